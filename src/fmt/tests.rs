//! Formatter tests: fixtures produced by `terraform fmt` (`testdata/fmt/<case>/`), syntax
//! errors, and the agreement with Terraform over a corpus of real configurations.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{SyntaxError, format};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fmt(s: &str) -> String {
    match format(s.as_bytes()) {
        Ok(b) => String::from_utf8(b).expect("formatter output is UTF-8"),
        Err(e) => panic!("unexpected syntax error: {e}\n--- input:\n{s}"),
    }
}

fn err(s: &str) -> SyntaxError {
    match format(s.as_bytes()) {
        Ok(b) => panic!(
            "expected a syntax error, got:\n{}",
            String::from_utf8_lossy(&b)
        ),
        Err(e) => e,
    }
}

/// Every `testdata/fmt/<case>/input.tf` formats to its `expected.tf`, and `expected.tf` is a fixed point.
#[test]
fn fixtures() {
    let dir = manifest().join("testdata/fmt");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("testdata/fmt exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("input.tf").is_file())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no fixtures under {}", dir.display());
    let mut failures = Vec::new();
    for case in &cases {
        let input = std::fs::read_to_string(case.join("input.tf")).expect("input.tf");
        let expected = std::fs::read_to_string(case.join("expected.tf")).expect("expected.tf");
        let name = case
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        match format(input.as_bytes()) {
            Ok(got) if got == expected.as_bytes() => {}
            Ok(got) => failures.push(format!(
                "{name}: output differs\n--- expected\n{expected}\n--- got\n{}",
                String::from_utf8_lossy(&got)
            )),
            Err(e) => failures.push(format!("{name}: syntax error {e}")),
        }
        match format(expected.as_bytes()) {
            Ok(again) if again == expected.as_bytes() => {}
            _ => failures.push(format!("{name}: expected.tf is not a fixed point")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn aligns_equals_and_comments() {
    assert_eq!(
        fmt("a = 1\nbbb = 2 # x\nc=3 # yy\n"),
        "a   = 1\nbbb = 2 # x\nc   = 3 # yy\n"
    );
}

#[test]
fn unwraps_lone_interpolation_only() {
    assert_eq!(fmt("a = \"${var.x}\"\n"), "a = var.x\n");
    assert_eq!(fmt("a = \"${var.x}-y\"\n"), "a = \"${var.x}-y\"\n");
    assert_eq!(
        fmt("a = \"${var.x}${var.y}\"\n"),
        "a = \"${var.x}${var.y}\"\n"
    );
}

#[test]
fn quotes_labels_and_modernises_variable_types() {
    assert_eq!(fmt("resource a b {}\n"), "resource \"a\" \"b\" {}\n");
    assert_eq!(
        fmt("variable \"x\" {\n  type = \"list\"\n}\n"),
        "variable \"x\" {\n  type = list(string)\n}\n"
    );
}

#[test]
fn syntax_errors_have_positions() {
    let e = err("a = 1\na = 2\n");
    assert_eq!(
        (e.summary.as_str(), e.line, e.column),
        ("Attribute redefined", 2, 1)
    );
    let e = err("a = \"x\ny\"\n");
    assert_eq!(
        (e.summary.as_str(), e.line),
        ("Invalid multi-line string", 1)
    );
    let e = err("resource \"a${b}\" \"c\" {}\n");
    assert_eq!(
        (e.summary.as_str(), e.line, e.column),
        ("Invalid string literal", 1, 12)
    );
    let e = err("x {\n  a = 1\n");
    assert_eq!(e.summary, "Unclosed configuration block");
    let e = err("a = <<EOT\nx\nEOT");
    assert_eq!(e.summary, "Unterminated template string");
    let e = err("a = [1,\n");
    assert!(e.line >= 1 && e.line <= 2, "{e}");
    let e = err("a = 1 b = 2\n");
    assert_eq!((e.line, e.column), (1, 7));
}

fn corpus_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("CAIRN_CORPUS") {
        return Some(PathBuf::from(d));
    }
    let d = manifest().join("../shared/corpus");
    d.is_dir().then_some(d)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "tf" || x == "tfvars") {
            out.push(p);
        }
    }
}

/// The perturbation the regeneration script applies with
/// `sed -E 's/^[ \t]+//; s/ {2,}/ /g; s/ = /=/g'`: every line loses its indentation, runs of
/// spaces collapse, and ` = ` becomes `=`, so that nearly every file needs reformatting.
fn perturb(src: &[u8]) -> Vec<u8> {
    let spaces = regex::Regex::new(" {2,}").expect("valid regex");
    let text = String::from_utf8_lossy(src);
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let body = body.trim_start_matches([' ', '\t']);
        let body = spaces.replace_all(body, " ");
        out.push_str(&body.replace(" = ", "="));
        out.push_str(nl);
    }
    out.into_bytes()
}

/// Compares `cairn fmt` with the recorded `terraform fmt` over every corpus file (after
/// `transform`): same accept/reject (exit 0/3/2) and same output bytes (by SHA-256).
/// Returns the disagreements not listed as exceptions.
fn agreement(
    corpus: &Path,
    set: &str,
    expect_file: &str,
    transform: fn(&[u8]) -> Vec<u8>,
) -> Vec<String> {
    let expect_text = std::fs::read_to_string(manifest().join("testdata/fmt").join(expect_file))
        .unwrap_or_else(|e| panic!("{expect_file}: {e}"));
    let exceptions: HashSet<String> =
        std::fs::read_to_string(manifest().join("testdata/fmt/corpus-exceptions.txt"))
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
            .collect();
    let mut expect = std::collections::HashMap::new();
    for line in expect_text.lines() {
        let mut f = line.split('\t');
        if let (Some(p), Some(h), Some(c)) = (f.next(), f.next(), f.next()) {
            expect.insert(p.to_string(), (h.to_string(), c.to_string()));
        }
    }
    let mut files = Vec::new();
    walk(corpus, &mut files);
    files.sort();
    // format on every core: the corpus is thousands of files
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .max(1);
    let chunk = files.len().div_ceil(threads).max(1);
    let results: Vec<(String, String, &str)> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|path| {
                            let rel = path
                                .strip_prefix(corpus)
                                .map(|p| p.to_string_lossy().replace('\\', "/"))
                                .unwrap_or_default();
                            let src = transform(&std::fs::read(path).expect("read corpus file"));
                            let (hash, code) = match format(&src) {
                                Ok(out) => (
                                    hex::encode(Sha256::digest(&out)),
                                    if out == src { "0" } else { "3" },
                                ),
                                Err(_) => ("-".to_string(), "2"),
                            };
                            (rel, hash, code)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("corpus worker"))
            .collect()
    });
    let mut agree = 0usize;
    let mut failures = Vec::new();
    let mut excused = 0usize;
    let mut codes = [0usize; 3];
    for (rel, got_hash, got_code) in results {
        let Some((hash, code)) = expect.get(&rel) else {
            failures.push(format!(
                "{set}/{rel}: no recorded expectation (run scripts/regen-fmt-corpus.sh)"
            ));
            continue;
        };
        codes[match got_code {
            "0" => 0,
            "3" => 1,
            _ => 2,
        }] += 1;
        if &got_hash == hash && got_code == code {
            agree += 1;
        } else if exceptions.contains(&format!("{set}/{rel}")) {
            excused += 1;
        } else {
            let what = if got_code == code {
                "output differs"
            } else {
                "exit code differs"
            };
            failures.push(format!(
                "{set}/{rel}: {what} (terraform exit {code}, cairn exit {got_code})"
            ));
        }
    }
    let total = files.len();
    let pct = if total == 0 {
        100.0
    } else {
        agree as f64 * 100.0 / total as f64
    };
    println!(
        "fmt corpus agreement ({set}): {agree}/{total} ({pct:.1}%), {excused} listed exceptions; cairn exits 0/3/2: {}/{}/{}",
        codes[0], codes[1], codes[2]
    );
    assert!(
        total > 0,
        "corpus at {} holds no .tf files",
        corpus.display()
    );
    failures
}

/// Over every file of the corpus, as is and perturbed, `cairn fmt` agrees with `terraform fmt`.
#[test]
fn corpus_agreement() {
    let Some(corpus) = corpus_dir() else {
        println!("skipped: corpus not found");
        return;
    };
    let mut failures = agreement(&corpus, "as-is", "corpus-expect.tsv", |b| b.to_vec());
    failures.extend(agreement(
        &corpus,
        "perturbed",
        "corpus-perturbed-expect.tsv",
        perturb,
    ));
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Byte-level cases checked against `terraform fmt`: a byte-order mark is dropped, bytes that
/// are not UTF-8 pass through comments untouched and are refused anywhere else, and a lone
/// carriage return in a comment is kept.
#[test]
fn bytes_outside_utf8_and_byte_order_marks() {
    assert_eq!(format(b"\xef\xbb\xbfa=1\n").unwrap(), b"a = 1\n");
    assert_eq!(
        format(b"a = 1 /* \xff */\nbb = 2 # \xe2\x82\n").unwrap(),
        b"a  = 1 /* \xff */\nbb = 2 # \xe2\x82\n"
    );
    assert_eq!(format(b"a = 1 # c\r").unwrap(), b"a = 1 # c\r");
    let e = format(b"a = \"\xff\"\n").unwrap_err();
    assert_eq!(
        (e.summary.as_str(), e.line, e.column),
        ("Invalid character encoding", 1, 6)
    );
    let e = format(b"a = <<EOT\n\xff\nEOT\n").unwrap_err();
    assert_eq!(e.summary, "Invalid character encoding");
}
