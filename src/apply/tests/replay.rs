//! Data-driven tests of journal replay: each folder of `testdata/apply/replay/` holds a
//! `journal.txt` (the state before the run and the records a crashed run left, in a compact
//! notation) and an `expected.txt` (the state and orphans after replay). Run with
//! `UPDATE_EXPECT=1` to rewrite the expectations after a deliberate change.
//!
//! Notation of `journal.txt`, one item per line (JSON without spaces):
//! ```text
//! state NAME JSON                              an object in the state before the run
//! start SEQ create|update|delete NAME [deposed] [prior JSON] [planned JSON]
//! done SEQ JSON|-                              the result (`-`: deleted)
//! failed SEQ MESSAGE
//! torn TEXT                                    raw text appended without a newline
//! ```

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use super::{P, addr};
use crate::apply::journal::{self, Journal, OpKind, Record};
use crate::state::{InstanceState, State};

fn inst(json: &str) -> Result<InstanceState, String> {
    let attributes = serde_json::from_str(json).map_err(|e| format!("{json}: {e}"))?;
    Ok(InstanceState {
        attributes,
        ..InstanceState::default()
    })
}

/// Builds the state and the journal file described by `text`.
fn build(text: &str, path: &Path) -> Result<State, String> {
    let mut state = State::new();
    let j = Journal::create(path).map_err(|e| e.to_string())?;
    let begin = Record::Begin {
        run_id: "run".into(),
        lineage: state.lineage.clone(),
        serial: 1,
    };
    j.append(&begin, false).map_err(|e| e.to_string())?;
    let mut torn = None;
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let words: Vec<&str> = line.split_whitespace().collect();
        let seq = || {
            words
                .get(1)
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or(format!("no seq: {line}"))
        };
        let rec = match words[0] {
            "state" => {
                state.set_instance(&addr(words[1]), P, Some(inst(words[2])?));
                continue;
            }
            "torn" => {
                torn = Some(line["torn ".len()..].to_string());
                continue;
            }
            "start" => {
                let kind = match words[2] {
                    "create" => OpKind::Create,
                    "update" => OpKind::Update,
                    "delete" => OpKind::Delete,
                    k => return Err(format!("unknown kind {k}")),
                };
                let mut rest = words[4..].iter();
                let (mut deposed, mut prior, mut planned) = (false, None, None);
                while let Some(w) = rest.next() {
                    match *w {
                        "deposed" => deposed = true,
                        "prior" => prior = Some(inst(rest.next().ok_or("prior without JSON")?)?),
                        "planned" => {
                            planned = Some(inst(rest.next().ok_or("planned without JSON")?)?)
                        }
                        w => return Err(format!("unexpected {w} in {line}")),
                    }
                }
                Record::Start {
                    seq: seq()?,
                    addr: addr(words[3]),
                    provider: P.into(),
                    kind,
                    deposed,
                    prior,
                    planned,
                }
            }
            "done" => Record::Done {
                seq: seq()?,
                result: match words.get(2) {
                    Some(&"-") | None => None,
                    Some(j) => Some(inst(j)?),
                },
            },
            "failed" => Record::Failed {
                seq: seq()?,
                message: words[2..].join(" "),
            },
            w => return Err(format!("unknown item {w}")),
        };
        j.append(&rec, false).map_err(|e| e.to_string())?;
    }
    j.flush().map_err(|e| e.to_string())?;
    drop(j);
    if let Some(t) = torn {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| e.to_string())?;
        f.write_all(t.as_bytes()).map_err(|e| e.to_string())?;
    }
    Ok(state)
}

/// Replays the case and prints the outcome.
fn run_case(text: &str) -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("terraform.tfstate.journal");
    let mut state = build(text, &path)?;
    let rec = journal::recover(&path)
        .map_err(|e| e.to_string())?
        .ok_or("nothing to recover")?;
    let orphans = rec.replay(&mut state).map_err(|e| e.to_string())?;
    let mut out = String::new();
    if rec.torn {
        out.push_str("torn line ignored\n");
    }
    for (a, _, i) in state.instances() {
        let taint = if i.tainted { " tainted" } else { "" };
        let _ = writeln!(out, "{a}{taint} {}", i.attributes);
    }
    for o in orphans {
        let _ = writeln!(out, "orphan {} {}", o.addr, o.object.attributes);
    }
    Ok(out)
}

#[test]
fn replay_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/apply/replay");
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .expect("testdata/apply/replay exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 5, "fixtures missing");
    let mut failures = Vec::new();
    for case in cases {
        let input = std::fs::read_to_string(case.join("journal.txt")).expect("journal.txt");
        let actual = run_case(&input).unwrap_or_else(|e| format!("error: {e}\n"));
        let expected_path = case.join("expected.txt");
        if update {
            std::fs::write(&expected_path, &actual).expect("write expected.txt");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "{}:\n--- expected\n{expected}--- actual\n{actual}",
                case.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
