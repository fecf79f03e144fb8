//! Reading a directory of `*.tf` files into a [`Module`](super::Module).
//!
//! Every file is parsed into the compact syntax tree of [`crate::lang::ast`] (byte spans kept),
//! in pieces of about 16 KiB on all cores (`parse_pieces`): by the fast parser, or by hcl-edit
//! for what it leaves and for errors; each top-level block is decoded into the static model
//! (`resource` and `data` blocks on the same workers, the rest on the calling thread, all
//! declared in file order) and every problem becomes a [`Diagnostic`]. Decoding goes on after
//! an error so that one run reports everything. This module must not evaluate expressions, read state or
//! call providers: expressions are stored with their spans for `lang` to evaluate.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::lang::ast::{
    Attribute, Block, Body as AstBody, Expression, Span as _, Structure, TraversalOperator,
};

use super::constraint::{self, literal_bool, literal_string};
use super::{
    BackendBlock, Body, Config, Expr, IgnoreChanges, Lifecycle, Local, Module, ModuleCall, Output,
    ProviderBlock, ProviderRef, RequiredProvider, Resource, Validation, Variable,
};
use crate::addr::{Mode, ResourceAddr};
use crate::diag::{Diagnostic, Diagnostics, FileId, SourceMap, Span, display_path};
use crate::lang::ast::from_hcl::Conv;
use cairn_provider::PathStep;

#[path = "refactor.rs"]
mod refactor;

/// The summary of every diagnostic for text that does not parse.
pub const SYNTAX_ERROR: &str = "Invalid HCL syntax";

/// Loads every `*.tf` file in `dir` (sorted by name). Always returns the configuration it could
/// build, with every problem found (errors and warnings) in the diagnostics.
pub fn load_dir(dir: &Path) -> (Config, Diagnostics) {
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    let mut ancestors = Vec::new();
    let root = load_module(
        dir,
        dir,
        ".".to_string(),
        &mut sources,
        &mut diags,
        &mut ancestors,
    );
    (Config { root, sources }, diags)
}

/// How deep `module` calls may nest (a guard against runaway recursion).
const MAX_DEPTH: usize = 64;

/// Loads one module directory and, recursively, the local modules it calls. `path` is the
/// directory relative to the root (`path.module`); files are named relative to the root.
fn load_module(
    dir: &Path,
    root_dir: &Path,
    path: String,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
    ancestors: &mut Vec<PathBuf>,
) -> Module {
    let mut module = Module {
        dir: dir.to_path_buf(),
        path,
        ..Module::default()
    };
    let files = match list_files(dir, &[".tf", ".tf.json"]) {
        Ok(files) => files,
        Err(e) => {
            diags.push(Diagnostic::error(
                "Failed to read configuration directory",
                format!("Cannot read {}: {e}.", dir.display()),
            ));
            return module;
        }
    };
    let paths = files;
    let mut files = Vec::new();
    for file_path in paths {
        let name = if module.path == "." {
            display_path(&file_path, root_dir)
        } else {
            let file = file_path
                .file_name()
                .map(|f| f.to_string_lossy().to_string())
                .unwrap_or_default();
            format!("{}/{file}", module.path)
        };
        if name.ends_with(".tf.json") {
            diags.push(Diagnostic::error(
                "JSON configuration files are not supported",
                format!("{name} is in Terraform's JSON syntax, which cairn cannot read yet; rewrite it in native syntax (.tf)."),
            ));
            continue;
        }
        let stem = name.trim_end_matches(".tf");
        let base = stem.rsplit('/').next().unwrap_or(stem);
        if base == "override" || base.ends_with("_override") {
            diags.push(Diagnostic::error(
                "Override files are not supported",
                format!("{name} is an override file, whose blocks Terraform merges into the others; cairn does not support merging yet. Move its contents into the blocks it overrides."),
            ));
            continue;
        }
        let text = match std::fs::read_to_string(&file_path) {
            Ok(text) => text,
            Err(e) => {
                diags.push(Diagnostic::error(
                    "Failed to read file",
                    format!("Cannot read {name}: {e}."),
                ));
                continue;
            }
        };
        files.push(sources.add(name, text));
    }
    // Parsed in pieces and their resources decoded (in parallel), the rest decoded and
    // everything declared in file order.
    let texts: Vec<&str> = files.iter().map(|&f| sources.text(f)).collect();
    let shared: &SourceMap = sources;
    // The resources the workers decoded: the module's map is sized for them before the first
    // is declared, rather than grown by doubling (its entries are some 400 bytes each).
    let decoded = AtomicUsize::new(0);
    parse_pieces(
        &texts,
        |i, body| {
            let items = predecode(files[i], shared, body);
            let n = items
                .iter()
                .filter(|i| matches!(i, Item::Resource(Some(_), _)))
                .count();
            decoded.fetch_add(n, Ordering::Relaxed);
            items
        },
        |i, parsed| match parsed {
            Ok(items) => {
                let wanted = decoded.swap(0, Ordering::Relaxed);
                module.resources.reserve(wanted);
                let mut d = Decoder {
                    file: files[i],
                    sources: shared,
                    diags: &mut *diags,
                    module: &mut module,
                };
                d.file_items(items);
            }
            Err(e) => diags.push(syntax_error(shared, files[i], &e)),
        },
    );
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    ancestors.push(canonical);
    let parent_path = module.path.clone();
    for call in module.calls.values_mut() {
        if !is_local_source(&call.source) {
            // Reported when the block was decoded.
            continue;
        }
        let child_dir = dir.join(&call.source);
        let child_canonical = match child_dir.canonicalize() {
            Ok(c) if c.is_dir() => c,
            _ => {
                diags.push(
                    Diagnostic::error(
                        "Unreadable module directory",
                        format!(
                            "The directory {} of module \"{}\" does not exist or cannot be read.",
                            join_module_path(&parent_path, &call.source),
                            call.name
                        ),
                    )
                    .at(call.span.clone(), ""),
                );
                continue;
            }
        };
        if ancestors.contains(&child_canonical) || ancestors.len() >= MAX_DEPTH {
            diags.push(
                Diagnostic::error(
                    "Module calls itself",
                    format!(
                        "Module \"{}\" loads {}, which is already being loaded by a module that calls it: modules cannot call themselves, directly or indirectly.",
                        call.name,
                        join_module_path(&parent_path, &call.source)
                    ),
                )
                .at(call.span.clone(), ""),
            );
            continue;
        }
        call.module = load_module(
            &child_dir,
            root_dir,
            join_module_path(&parent_path, &call.source),
            sources,
            diags,
            ancestors,
        );
    }
    ancestors.pop();
    module
}

/// Whether a module source is a local path (`./x`, `../x`), the only kind cairn loads.
pub(crate) fn is_local_source(source: &str) -> bool {
    source.starts_with("./")
        || source.starts_with("../")
        || source.starts_with(".\\")
        || source.starts_with("..\\")
}

/// `path.module` of a child: the parent's path joined with a local source, cleaned lexically
/// (`.` + `./modules/a` → `modules/a`; `modules/a` + `../b` → `modules/b`).
pub(crate) fn join_module_path(parent: &str, source: &str) -> String {
    let mut parts: Vec<&str> = parent
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    for p in source.split(['/', '\\']) {
        match p {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// The files of `dir` whose names end with one of `suffixes`, sorted by name; hidden files and
/// editor leftovers (`.#x.tf`, `x.tf~`) are skipped.
pub(crate) fn list_files(dir: &Path, suffixes: &[&str]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') || name.starts_with('#') || name.ends_with('~') {
            continue;
        }
        if !suffixes.iter().any(|s| name.ends_with(s)) {
            continue;
        }
        if entry.file_type().map(|t| t.is_dir()).unwrap_or(true) {
            continue;
        }
        out.push(entry.path());
    }
    out.sort();
    Ok(out)
}

/// Parses a file as HCL does: an object constructor that repeats a key is accepted and keeps
/// its last value (hcl-edit alone rejects it).
pub(crate) fn parse_body(text: &str) -> Result<hcl_edit::structure::Body, hcl_edit::parser::Error> {
    let mut fixed: Option<String> = None;
    loop {
        let t = fixed.as_deref().unwrap_or(text);
        match hcl_edit::parser::parse_body(t) {
            Ok(b) => return Ok(b),
            Err(e) if e.message().contains("redefined object key") => {
                match super::dupkeys::drop_earlier_entry(t, e.location().offset()) {
                    Some(next) => fixed = Some(next),
                    None => return Err(e),
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// Files are parsed in pieces of about this size (cut at top-level block boundaries), so a large
/// file is parsed on every core, and hcl-edit's tree (about 47 times the size of its text), for
/// what the fast parser leaves to it, exists for a piece at a time, never for a whole file.
const PIECE: usize = 16 * 1024;

/// Parses files in pieces on every core, each straight into the compact tree by
/// [`ast::parse`](crate::lang::ast::parse) (its spans offsets in the file), or, for what that
/// parser leaves to hcl-edit, as [`parse_body`] does and converted on the worker that parsed it
/// (hcl-edit's tree is dropped there). The trees go to `decode` in file order. When a piece
/// fails, its file is parsed again whole by hcl-edit: on success `decode` gets the blocks from
/// that piece on; otherwise the exact error. (A cut can only fall inside a construct that then
/// stays unclosed, so a wrong cut always fails the piece before it, and the pieces before that
/// were cut right.)
pub(crate) fn parse_pieces<T: Send>(
    texts: &[&str],
    prepare: impl Fn(usize, AstBody) -> T + Sync,
    mut decode: impl FnMut(usize, Result<T, hcl_edit::parser::Error>),
) {
    // (file, start, end) of every piece.
    let pieces: Vec<(usize, usize, usize)> = texts
        .iter()
        .enumerate()
        .flat_map(|(i, t)| {
            let mut starts = vec![0];
            starts.extend(block_cuts(t, PIECE));
            let ends: Vec<usize> = starts[1..].iter().copied().chain([t.len()]).collect();
            starts
                .into_iter()
                .zip(ends)
                .map(move |(s, e)| (i, s, e))
                .collect::<Vec<_>>()
        })
        .collect();
    // All pieces in one batch: the trees are compact (what the module keeps anyway), and each
    // batch starts its threads.
    let parsed = crate::par::map(&pieces, |&(i, start, end)| {
        let piece = &texts[i][start..end];
        // Converted (and prepared) on the worker: the main thread only decodes the rest.
        match crate::lang::ast::parse::parse_body(piece, start) {
            Some(body) => Ok(prepare(i, body)),
            None => parse_body(piece).map(|b| prepare(i, Conv { off: start }.body(&b))),
        }
    });
    let mut done = vec![false; texts.len()];
    for (&(i, start, _), r) in pieces.iter().zip(parsed) {
        if done[i] {
            continue;
        }
        match r {
            Ok(body) => decode(i, Ok(body)),
            Err(_) => {
                done[i] = true;
                match parse_body(texts[i]) {
                    Ok(whole) => {
                        let mut rest = Conv { off: 0 }.body(&whole);
                        rest.structures
                            .retain(|s| s.span().is_none_or(|r| r.start >= start));
                        decode(i, Ok(prepare(i, rest)));
                    }
                    Err(e) => decode(i, Err(e)),
                }
            }
        }
    }
}

/// Byte offsets at which to cut `text` into pieces of about `size` bytes: each is the start of
/// a line that begins a top-level block (a letter at column 0 after a line that is just `}` and
/// any empty lines).
pub(crate) fn block_cuts(text: &str, size: usize) -> Vec<usize> {
    let mut cuts = Vec::new();
    let mut from = size;
    while from < text.len() {
        while !text.is_char_boundary(from) {
            from += 1;
        }
        let Some(found) = text[from..].find("\n}\n") else {
            break;
        };
        let mut at = from + found + 3;
        while text[at..].starts_with('\n') {
            at += 1;
        }
        if text[at..].starts_with(|c: char| c.is_ascii_alphabetic()) {
            if text.len() - at < size / 2 {
                break;
            }
            cuts.push(at);
            from = at + size;
        } else {
            from = at;
        }
    }
    cuts
}

/// A diagnostic for a parse error of hcl-edit, at the byte offset it reports.
pub(crate) fn syntax_error(
    sources: &SourceMap,
    file: FileId,
    e: &hcl_edit::parser::Error,
) -> Diagnostic {
    let text = sources.text(file);
    let mut offset = e.location().offset().min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let end = text[offset..]
        .chars()
        .next()
        .map(|c| offset + c.len_utf8())
        .unwrap_or(offset);
    let mut detail = e.message().to_string();
    if detail.contains("redefined object key") {
        // Only where the earlier entry could not be found to drop (see `parse_body`).
        detail =
            "This object repeats a key. Terraform keeps the last value; remove the earlier entry"
                .to_string();
    }
    if let Some(first) = detail.get(..1) {
        detail = first.to_uppercase() + &detail[1..];
    }
    if !detail.ends_with('.') {
        detail.push('.');
    }
    Diagnostic::error(SYNTAX_ERROR, detail).at(Span::new(file, offset..end), "")
}

/// Parses `text` as an expression whose spans start at byte `start` of its file (hcl-edit's
/// `parse_expr` accepts no surrounding whitespace and numbers spans from 0). Errors carry offsets
/// into the file too.
pub(crate) fn parse_expr_at(
    text: &str,
    start: usize,
) -> Result<hcl_edit::expr::Expression, hcl_edit::parser::Error> {
    if start < 2 {
        return hcl_edit::parser::parse_expr(text.trim());
    }
    let padded = format!("_={}{}", " ".repeat(start - 2), text.trim_end());
    let body = hcl_edit::parser::parse_body(&padded)?;
    let mut attrs = body.into_attributes();
    match (attrs.next(), attrs.next()) {
        (Some(a), None) => Ok(a.value),
        // Text that closes the expression and goes on: parse it alone for the error.
        _ => hcl_edit::parser::parse_expr(text.trim()),
    }
}

/// Whether `s` is a valid HCL identifier (Terraform's rule for names).
pub(crate) fn is_ident(s: &str) -> bool {
    hcl_edit::Ident::try_new(s).is_ok()
}

const REFERENCE_DETAIL: &str = "A single static variable reference is required: only attribute access and indexing with constant keys. No calculations, function calls, template expressions, etc are allowed here.";
const NAME_DETAIL: &str = "A name must start with a letter or underscore and may contain only letters, digits, underscores, and dashes.";

/// One step of a static reference.
enum RefStep {
    Attr(String),
    Key(String),
    Index(u64),
    /// An index computed from `count.index` or `each.key` (allowed in `replace_triggered_by`).
    Dynamic,
}

/// A top-level item of a file as a parsing worker leaves it: a `resource` or `data` block
/// decoded there (which needs nothing else of the module), with what decoding it reported;
/// anything else as parsed.
enum Item {
    Parsed(Structure),
    Resource(Option<Box<Resource>>, Diagnostics),
}

/// Decodes the resources of a parsed piece of `file` (on a worker: a configuration is mostly
/// resources, and decoding them was most of the main thread's loading).
fn predecode(file: FileId, sources: &SourceMap, body: AstBody) -> Vec<Item> {
    body.into_iter()
        .map(|s| match s {
            Structure::Block(b) if matches!(b.ident.as_str(), "resource" | "data") => {
                let mode = match b.ident.as_str() {
                    "resource" => Mode::Managed,
                    _ => Mode::Data,
                };
                let mut diags = Diagnostics::new();
                let mut scratch = Module::default();
                let mut d = Decoder {
                    file,
                    sources,
                    diags: &mut diags,
                    module: &mut scratch,
                };
                let r = d.decode_resource(b, mode).map(Box::new);
                Item::Resource(r, diags)
            }
            s => Item::Parsed(s),
        })
        .collect()
}

struct Decoder<'a> {
    file: FileId,
    sources: &'a SourceMap,
    diags: &'a mut Diagnostics,
    module: &'a mut Module,
}

impl Decoder<'_> {
    fn span(&self, r: Option<Range<usize>>) -> Option<Span> {
        r.map(|r| Span::new(self.file, r))
    }

    fn error(
        &mut self,
        summary: impl Into<String>,
        detail: impl Into<String>,
        r: Option<Range<usize>>,
    ) {
        let d = Diagnostic::error(summary, detail).at_opt(self.span(r));
        self.diags.push(d);
    }

    /// An error at a span already made (by [`Self::span`] or [`Self::header`]).
    fn error_at(&mut self, summary: impl Into<String>, detail: impl Into<String>, span: Span) {
        let d = Diagnostic::error(summary, detail).at(span, "");
        self.diags.push(d);
    }

    fn warning(
        &mut self,
        summary: impl Into<String>,
        detail: impl Into<String>,
        r: Option<Range<usize>>,
    ) {
        let d = Diagnostic::warning(summary, detail).at_opt(self.span(r));
        self.diags.push(d);
    }

    /// Keeps an expression in the compact tree (hcl-edit's is dropped with the file).
    fn expr(&self, expr: Expression) -> Expr {
        Expr {
            file: self.file,
            expr,
        }
    }

    fn body(&self, body: AstBody) -> Body {
        Body {
            file: self.file,
            body,
        }
    }

    /// `file:line:col` of an earlier declaration.
    fn location(&self, span: &Span) -> String {
        self.sources.location(span)
    }

    /// The span of a block's header: its type and labels.
    fn header(&self, b: &Block) -> Span {
        let start = b.ident.span().map(|r| r.start);
        let end = b
            .labels
            .last()
            .and_then(|l| l.span())
            .or_else(|| b.ident.span())
            .map(|r| r.end);
        match (start, end) {
            (Some(s), Some(e)) if s <= e => Span::new(self.file, s..e),
            _ => Span::new(self.file, b.span().unwrap_or(0..0)),
        }
    }

    fn unsupported_argument(&mut self, a: &Attribute) {
        self.error(
            "Unsupported argument",
            format!(
                "An argument named \"{}\" is not expected here.",
                a.key.as_str()
            ),
            a.key.span(),
        );
    }

    fn unsupported_block(&mut self, b: &Block) {
        self.error(
            "Unsupported block type",
            format!(
                "Blocks of type \"{}\" are not expected here.",
                b.ident.as_str()
            ),
            b.ident.span(),
        );
    }

    /// Checks a block's labels against the expected names; returns them when they match.
    fn labels(&mut self, b: &Block, names: &[&str]) -> Option<Vec<String>> {
        let kind = b.ident.as_str().to_string();
        let have: Vec<String> = b.labels.iter().map(|l| l.as_str().to_string()).collect();
        let list = names.join(", ");
        let n = names.len();
        let plural = if n == 1 { "label" } else { "labels" };
        if have.len() < n {
            let missing = names[have.len()];
            self.error_at(
                format!("Missing {missing} for {kind}"),
                format!("All {kind} blocks must have {n} {plural} ({list})."),
                self.header(b),
            );
            return None;
        }
        if have.len() > n {
            let extra = b.labels.get(n).and_then(|l| l.span());
            let detail = if n == 0 {
                format!("No labels are expected for {kind} blocks.")
            } else {
                format!("Only {n} {plural} ({list}) expected for {kind} blocks.")
            };
            self.error(format!("Extraneous label for {kind}"), detail, extra);
            return None;
        }
        Some(have)
    }

    /// Checks that a label is a valid name.
    fn check_name(&mut self, b: &Block, index: usize, what: impl std::fmt::Display) -> bool {
        let Some(label) = b.labels.get(index) else {
            return false;
        };
        if is_ident(label.as_str()) {
            return true;
        }
        self.error(format!("Invalid {what}"), NAME_DETAIL, label.span());
        false
    }

    /// Explains why an expression that must be a literal is not one.
    fn not_literal(&mut self, a: &Attribute, wanted: &str) {
        let (summary, detail) = match non_literal_part(&a.value) {
            NonLiteral::Reference => (
                "Variables not allowed",
                "Variables may not be used here.".to_string(),
            ),
            NonLiteral::Call => (
                "Function calls not allowed",
                "Functions may not be called here.".to_string(),
            ),
            NonLiteral::Other => (
                "Unsuitable value type",
                format!(
                    "Unsuitable value for \"{}\": a {wanted} is required.",
                    a.key.as_str()
                ),
            ),
        };
        self.error(summary, detail, a.value.span());
    }

    /// A literal string argument (numbers and bools convert, as in Terraform).
    fn string_arg(&mut self, a: &Attribute) -> Option<String> {
        if let Some(s) = literal_string(&a.value) {
            return Some(s);
        }
        match &a.value {
            Expression::Number(n) => return Some(n.value().to_string()),
            Expression::Bool(b) => return Some(b.value().to_string()),
            _ => {}
        }
        self.not_literal(a, "string");
        None
    }

    /// A literal bool argument (`"true"`/`"false"` convert, as in Terraform).
    fn bool_arg(&mut self, a: &Attribute) -> Option<bool> {
        if let Some(b) = literal_bool(&a.value) {
            return Some(b);
        }
        match literal_string(&a.value).as_deref() {
            Some("true") => return Some(true),
            Some("false") => return Some(false),
            _ => {}
        }
        self.not_literal(a, "bool");
        None
    }

    fn missing_argument(&mut self, name: &str, span: Span) {
        self.diags.push(
            Diagnostic::error(
                "Missing required argument",
                format!("The argument \"{name}\" is required, but no definition was found."),
            )
            .at(span, ""),
        );
    }

    // ----- top level -----

    fn file_items(&mut self, items: Vec<Item>) {
        for item in items {
            match item {
                Item::Parsed(Structure::Attribute(a)) => self.unsupported_argument(&a),
                Item::Parsed(Structure::Block(b)) => self.top_block(b),
                Item::Resource(r, ds) => {
                    self.diags.extend(ds);
                    if let Some(r) = r {
                        self.declare_resource(*r);
                    }
                }
            }
        }
    }

    fn top_block(&mut self, b: Block) {
        match b.ident.as_str() {
            "terraform" => self.terraform(b),
            "provider" => self.provider(b),
            "variable" => self.variable(b),
            "locals" => self.locals(b),
            "output" => self.output(b),
            "resource" => self.resource(b, Mode::Managed),
            "data" => self.resource(b, Mode::Data),
            "module" => self.module_call(b),
            "moved" => self.moved(b),
            "import" => self.import(b),
            "removed" => self.removed(b),
            "check" => self.check(b),
            _ => self.unsupported_block(&b),
        }
    }

    // ----- terraform -----

    fn terraform(&mut self, b: Block) {
        if self.labels(&b, &[]).is_none() {
            return;
        }
        for s in b.body {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "required_version" => {
                        if let Some(v) = self.string_arg(&a) {
                            let tf = &mut self.module.terraform;
                            tf.required_version = Some(match tf.required_version.take() {
                                Some(prev) => format!("{prev}, {v}"),
                                None => v,
                            });
                        }
                    }
                    "experiments" => self.error(
                        "Experiments are not supported",
                        "Language experiments are not supported; remove the \"experiments\" argument.",
                        a.key.span(),
                    ),
                    _ => self.unsupported_argument(&a),
                },
                Structure::Block(inner) => match inner.ident.as_str() {
                    "required_providers" => self.required_providers(inner),
                    "backend" => self.backend(inner),
                    "cloud" => self.error(
                        "Unsupported block type \"cloud\"",
                        "HCP Terraform (the \"cloud\" block) is not supported; configure state with a \"backend\" block instead.",
                        inner.ident.span(),
                    ),
                    // Metadata passed to providers that ask for it; none of ours do.
                    "provider_meta" => {}
                    _ => self.unsupported_block(&inner),
                },
            }
        }
    }

    fn required_providers(&mut self, b: Block) {
        if self.labels(&b, &[]).is_none() {
            return;
        }
        for s in b.body {
            let a = match s {
                Structure::Attribute(a) => a,
                Structure::Block(inner) => {
                    self.unsupported_block(&inner);
                    continue;
                }
            };
            let name = a.key.as_str().to_string();
            let req = match &a.value {
                Expression::Object(obj) => {
                    let mut req = RequiredProvider {
                        source: format!("hashicorp/{name}"),
                        version: None,
                        configuration_aliases: Vec::new(),
                    };
                    let mut ok = true;
                    for (key, value) in obj.iter() {
                        let key_name = constraint::object_key_name(key).unwrap_or_default();
                        match key_name.as_str() {
                            "source" | "version" => match literal_string(value.expr()) {
                                Some(v) if key_name == "source" => req.source = v,
                                Some(v) => req.version = Some(v),
                                None => {
                                    ok = false;
                                    self.error(
                                        "Invalid required_providers object",
                                        format!("The \"{key_name}\" of a required provider must be a literal string."),
                                        value.expr().span(),
                                    );
                                }
                            },
                            "configuration_aliases" => {
                                req.configuration_aliases =
                                    self.configuration_aliases(&name, value.expr());
                            }
                            _ => {
                                ok = false;
                                self.error(
                                    "Invalid required_providers object",
                                    "required_providers objects can only contain \"version\", \"source\" and \"configuration_aliases\" attributes. To configure a provider, use a \"provider\" block.",
                                    key.span(),
                                );
                            }
                        }
                    }
                    ok.then_some(req)
                }
                other => match literal_string(other) {
                    Some(version) => Some(RequiredProvider {
                        source: format!("hashicorp/{name}"),
                        version: Some(version),
                        configuration_aliases: Vec::new(),
                    }),
                    None => {
                        self.error(
                            "Invalid required_providers object",
                            "A required provider is either an object with \"source\" and \"version\", or a version constraint string.",
                            other.span(),
                        );
                        None
                    }
                },
            };
            let Some(req) = req else { continue };
            if self.module.terraform.required_providers.contains_key(&name) {
                self.error(
                    "Duplicate required provider",
                    format!("Provider {name} was required more than once; each local name may be required only once per module."),
                    a.key.span(),
                );
                continue;
            }
            self.module.terraform.required_providers.insert(name, req);
        }
    }

    fn backend(&mut self, b: Block) {
        let Some(labels) = self.labels(&b, &["type"]) else {
            return;
        };
        let span = self.header(&b);
        if let Some(prev) = &self.module.terraform.backend {
            let at = self.location(&prev.span);
            self.error_at(
                "Duplicate backend configuration",
                format!("A module may have only one backend configuration. The backend was previously configured at {at}."),
                span,
            );
            return;
        }
        let kind = labels.into_iter().next().unwrap_or_default();
        self.module.terraform.backend = Some(BackendBlock {
            kind,
            body: self.body(b.body),
            span,
        });
    }

    // ----- provider -----

    fn provider(&mut self, mut b: Block) {
        let Some(labels) = self.labels(&b, &["name"]) else {
            return;
        };
        if !self.check_name(&b, 0, "provider local name") {
            return;
        }
        let name = labels.into_iter().next().unwrap_or_default();
        let span = self.header(&b);
        let mut alias = None;
        if let Some(a) = b.body.remove_attribute("alias")
            && let Some(v) = self.string_arg(&a)
        {
            if is_ident(&v) {
                alias = Some(v);
            } else {
                self.error(
                    "Invalid provider configuration alias",
                    NAME_DETAIL,
                    a.value.span(),
                );
            }
        }
        if let Some(a) = b.body.remove_attribute("version") {
            self.warning(
                "Version constraints inside provider configuration blocks are deprecated",
                "Use the required_providers block of the terraform block to constrain provider versions.",
                a.key.span(),
            );
        }
        for reserved in ["count", "for_each", "depends_on", "source"] {
            if let Some(a) = b.body.get_attribute(reserved) {
                let r = a.key.span();
                self.error(
                    "Reserved argument name in provider block",
                    format!("The provider argument name \"{reserved}\" is reserved for use by Terraform in a future version."),
                    r,
                );
            }
        }
        if let Some(prev) = self
            .module
            .providers
            .iter()
            .find(|p| p.name == name && p.alias == alias)
        {
            let at = self.location(&prev.span);
            let detail = match &alias {
                None => format!(
                    "A default (non-aliased) provider configuration for \"{name}\" was already given at {at}. If multiple configurations are required, set the \"alias\" argument for alternative configurations."
                ),
                Some(alias) => format!(
                    "A provider configuration for \"{name}\" with alias \"{alias}\" was already given at {at}. Each configuration for the same provider must have a distinct alias."
                ),
            };
            self.error_at("Duplicate provider configuration", detail, span);
            return;
        }
        let parallelism = b
            .body
            .remove_attribute("parallelism")
            .map(|a| self.expr(a.value));
        let body = self.body(b.body);
        self.module.providers.push(ProviderBlock {
            name,
            alias,
            body,
            parallelism,
            span,
        });
    }

    // ----- variable -----

    fn variable(&mut self, b: Block) {
        let Some(labels) = self.labels(&b, &["name"]) else {
            return;
        };
        let name = labels.into_iter().next().unwrap_or_default();
        if !self.check_name(&b, 0, "variable name") {
            return;
        }
        if matches!(
            name.as_str(),
            "source"
                | "version"
                | "providers"
                | "count"
                | "for_each"
                | "lifecycle"
                | "depends_on"
                | "locals"
        ) {
            self.error(
                "Invalid variable name",
                format!("The variable name \"{name}\" is reserved due to its special meaning inside module blocks."),
                b.labels.first().and_then(|l| l.span()),
            );
        }
        let span = self.header(&b);
        let mut var = Variable {
            name: name.clone(),
            ty: None,
            default: None,
            description: None,
            sensitive: false,
            nullable: true,
            validations: Vec::new(),
            span: span.clone(),
        };
        for s in b.body {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "type" => match constraint::parse_type(&a.value) {
                        Ok(ty) => var.ty = Some(ty),
                        Err((e, ty)) => {
                            var.ty = ty;
                            self.error(e.summary, e.detail, e.range);
                        }
                    },
                    "default" => var.default = Some(self.expr(a.value)),
                    "description" => var.description = self.string_arg(&a),
                    "sensitive" => var.sensitive = self.bool_arg(&a).unwrap_or(false),
                    "nullable" => var.nullable = self.bool_arg(&a).unwrap_or(true),
                    "ephemeral" => {
                        if self.bool_arg(&a) == Some(true) {
                            var.sensitive = true;
                            self.warning(
                                "Ephemeral variables are treated as sensitive",
                                "cairn does not support ephemeral values: this variable is treated as sensitive, so its value is hidden in output but may be stored in plans and state.",
                                a.key.span(),
                            );
                        }
                    }
                    _ => self.unsupported_argument(&a),
                },
                Structure::Block(inner) => match inner.ident.as_str() {
                    "validation" => {
                        if let Some(v) = self.condition(inner) {
                            var.validations.push(v);
                        }
                    }
                    _ => self.unsupported_block(&inner),
                },
            }
        }
        if let Some(prev) = self.module.variables.get(&name) {
            let at = self.location(&prev.span);
            self.diags.push(
                Diagnostic::error(
                    "Duplicate variable declaration",
                    format!("A variable named \"{name}\" was already declared at {at}. Variable names must be unique within a module."),
                )
                .at(span, "")
                .at(prev.span.clone(), "first declared here"),
            );
            return;
        }
        self.module.variables.insert(name, var);
    }

    /// A `validation`, `precondition` or `postcondition` block.
    fn condition(&mut self, b: Block) -> Option<Validation> {
        self.labels(&b, &[])?;
        let span = self.header(&b);
        let (mut condition, mut message) = (None, None);
        for s in b.body {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "condition" => condition = Some(self.expr(a.value)),
                    "error_message" => message = Some(self.expr(a.value)),
                    _ => self.unsupported_argument(&a),
                },
                Structure::Block(inner) => self.unsupported_block(&inner),
            }
        }
        if condition.is_none() {
            self.missing_argument("condition", span.clone());
        }
        if message.is_none() {
            self.missing_argument("error_message", span);
        }
        Some(Validation {
            condition: condition?,
            error_message: message?,
        })
    }

    // ----- locals -----

    fn locals(&mut self, b: Block) {
        if self.labels(&b, &[]).is_none() {
            return;
        }
        for s in b.body {
            let a = match s {
                Structure::Attribute(a) => a,
                Structure::Block(inner) => {
                    self.error(
                        format!("Unexpected \"{}\" block", inner.ident.as_str()),
                        "Blocks are not allowed here.",
                        inner.ident.span(),
                    );
                    continue;
                }
            };
            let name = a.key.as_str().to_string();
            let span = Span::new(self.file, a.key.span().unwrap_or(0..0));
            if let Some(prev) = self.module.locals.get(&name) {
                let at = self.location(&prev.span);
                self.diags.push(
                    Diagnostic::error(
                        "Duplicate local value definition",
                        format!("A local value named \"{name}\" was already defined at {at}. Local value names must be unique within a module."),
                    )
                    .at(span, "")
                    .at(prev.span.clone(), "first defined here"),
                );
                continue;
            }
            let expr = self.expr(a.value);
            self.module
                .locals
                .insert(name.clone(), Local { name, expr, span });
        }
    }

    // ----- output -----

    fn output(&mut self, b: Block) {
        let Some(labels) = self.labels(&b, &["name"]) else {
            return;
        };
        let name = labels.into_iter().next().unwrap_or_default();
        if !self.check_name(&b, 0, "output name") {
            return;
        }
        let span = self.header(&b);
        let mut value = None;
        let mut out = Output {
            name: name.clone(),
            value: self.expr(Expression::Null(crate::lang::ast::Decorated::new(
                (),
                crate::lang::ast::Sp::NONE,
            ))),
            description: None,
            sensitive: false,
            depends_on: Vec::new(),
            preconditions: Vec::new(),
            span: span.clone(),
        };
        for s in b.body {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "value" => value = Some(self.expr(a.value)),
                    "description" => out.description = self.string_arg(&a),
                    "sensitive" => out.sensitive = self.bool_arg(&a).unwrap_or(false),
                    "depends_on" => out.depends_on = self.references(&a, RefKind::DependsOn),
                    "ephemeral" => self.error(
                        "Ephemeral outputs are not supported",
                        "Remove the \"ephemeral\" argument.",
                        a.key.span(),
                    ),
                    _ => self.unsupported_argument(&a),
                },
                Structure::Block(inner) => match inner.ident.as_str() {
                    "precondition" => {
                        if let Some(v) = self.condition(inner) {
                            out.preconditions.push(v);
                        }
                    }
                    _ => self.unsupported_block(&inner),
                },
            }
        }
        match value {
            Some(v) => out.value = v,
            None => self.missing_argument("value", span.clone()),
        }
        if let Some(prev) = self.module.outputs.get(&name) {
            let at = self.location(&prev.span);
            self.diags.push(
                Diagnostic::error(
                    "Duplicate output definition",
                    format!("An output named \"{name}\" was already defined at {at}. Output names must be unique within a module."),
                )
                .at(span, "")
                .at(prev.span.clone(), "first defined here"),
            );
            return;
        }
        self.module.outputs.insert(name, out);
    }

    // ----- module -----

    fn module_call(&mut self, mut b: Block) {
        let Some(labels) = self.labels(&b, &["name"]) else {
            return;
        };
        if !self.check_name(&b, 0, "module instance name") {
            return;
        }
        let name = labels.into_iter().next().unwrap_or_default();
        let span = self.header(&b);
        let source = match b.body.remove_attribute("source") {
            Some(a) => match literal_string(&a.value) {
                Some(s) => Some((s, a.value.span())),
                None => {
                    self.error(
                        "Invalid module source",
                        "The module source must be a literal string.",
                        a.value.span(),
                    );
                    return;
                }
            },
            None => None,
        };
        let Some((source, source_range)) = source else {
            self.missing_argument("source", span);
            return;
        };
        if !is_local_source(&source) {
            let kind = if source.starts_with("git::")
                || source.starts_with("git@")
                || source.starts_with("github.com/")
                || source.starts_with("bitbucket.org/")
                || source.contains(".git")
            {
                "a Git repository"
            } else if source.contains("::") || source.contains("://") {
                "a remote address"
            } else if source.starts_with('/') {
                "an absolute path"
            } else {
                "a module registry address"
            };
            self.error(
                "Module source not available",
                format!(
                    "Module \"{name}\" has source \"{source}\", {kind}. cairn works offline and loads only local modules, whose source starts with ./ or ../; it does not download modules. Vendor the module: copy its files into a directory of this configuration (for example ./modules/{name}) and set source = \"./modules/{name}\"."
                ),
                source_range,
            );
        }
        if let Some(a) = b.body.remove_attribute("version")
            && is_local_source(&source)
        {
            self.error(
                "Invalid version constraint",
                format!("Cannot apply a version constraint to module \"{name}\" because it has a local source: only registry modules have versions."),
                a.key.span(),
            );
        }
        let count = b.body.remove_attribute("count");
        let for_each = b.body.remove_attribute("for_each");
        if let (Some(_), Some(fe)) = (&count, &for_each) {
            self.error(
                "Invalid combination of \"count\" and \"for_each\"",
                "The \"count\" and \"for_each\" meta-arguments are mutually-exclusive, only one should be used to be explicit about the number of resources to be created.",
                fe.key.span(),
            );
        }
        let depends_on = match b.body.remove_attribute("depends_on") {
            Some(a) => self.references(&a, RefKind::DependsOn),
            None => Vec::new(),
        };
        let providers = match b.body.remove_attribute("providers") {
            Some(a) => self.providers_map(&a),
            None => Vec::new(),
        };
        let mut args = indexmap::IndexMap::new();
        for s in b.body {
            match s {
                Structure::Attribute(a) => {
                    let key = a.key.as_str().to_string();
                    args.insert(key, self.expr(a.value));
                }
                Structure::Block(inner) => self.unsupported_block(&inner),
            }
        }
        if let Some(prev) = self.module.calls.get(&name) {
            let at = self.location(&prev.span);
            self.diags.push(
                Diagnostic::error(
                    "Duplicate module call",
                    format!("A module call named \"{name}\" was already defined at {at}. Module calls must have unique names within a module."),
                )
                .at(span, "")
                .at(prev.span.clone(), "first defined here"),
            );
            return;
        }
        let call = ModuleCall {
            name: name.clone(),
            source,
            count: count.map(|a| self.expr(a.value)),
            for_each: for_each.map(|a| self.expr(a.value)),
            depends_on,
            providers,
            args,
            span,
            module: Module::default(),
        };
        self.module.calls.insert(name, call);
    }

    /// A provider configuration reference in a `providers` map or `configuration_aliases`.
    fn provider_ref_expr(&self, e: &Expression) -> Option<ProviderRef> {
        match static_reference(e, false).as_deref() {
            Some([RefStep::Attr(name)]) => Some(ProviderRef {
                name: name.into(),
                alias: None,
            }),
            Some([RefStep::Attr(name), RefStep::Attr(alias)]) => Some(ProviderRef {
                name: name.into(),
                alias: Some(alias.into()),
            }),
            _ => None,
        }
    }

    /// `providers = { aws = aws.west, aws.east = aws }`.
    fn providers_map(&mut self, a: &Attribute) -> Vec<(ProviderRef, ProviderRef)> {
        const DETAIL: &str = "The providers argument maps the module's provider configurations to this module's, like { aws = aws.west }: each side is a provider name, optionally followed by a period and an alias.";
        let Expression::Object(obj) = &a.value else {
            self.error("Invalid providers argument", DETAIL, a.value.span());
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, value) in obj.iter() {
            let child = match key {
                crate::lang::ast::ObjectKey::Ident(i) => Some(ProviderRef {
                    name: i.as_str().into(),
                    alias: None,
                }),
                crate::lang::ast::ObjectKey::Expression(e) => self.provider_ref_expr(e),
            };
            let parent = self.provider_ref_expr(value.expr());
            match (child, parent) {
                (Some(c), Some(p)) => out.push((c, p)),
                _ => self.error("Invalid providers argument", DETAIL, value.expr().span()),
            }
        }
        out
    }

    /// `configuration_aliases = [aws.west, aws.east]` of the provider `name`.
    fn configuration_aliases(&mut self, name: &str, e: &Expression) -> Vec<ProviderRef> {
        let mut out = Vec::new();
        let Expression::Array(items) = e else {
            self.error(
                "Invalid configuration_aliases",
                "configuration_aliases is a list of provider configuration references, like [aws.west].",
                e.span(),
            );
            return out;
        };
        for item in items.iter() {
            match self.provider_ref_expr(item) {
                Some(r) if r.name == name && r.alias.is_some() => out.push(r),
                _ => self.error(
                    "Invalid configuration_aliases",
                    format!("Each entry must be a reference to an aliased configuration of provider \"{name}\", like {name}.west."),
                    item.span(),
                ),
            }
        }
        out
    }

    // ----- resource and data -----

    fn resource(&mut self, b: Block, mode: Mode) {
        let Some(resource) = self.decode_resource(b, mode) else {
            return;
        };
        self.declare_resource(resource);
    }

    /// Adds a resource to the module unless one of the same address exists.
    fn declare_resource(&mut self, resource: Resource) {
        let (addr, span) = (resource.addr.clone(), resource.span.clone());
        let (ty, name) = (&addr.ty, &addr.name);
        let kind = match addr.mode {
            Mode::Managed => "resource",
            Mode::Data => "data resource",
        };
        if let Some(prev) = self.module.resources.get(&addr) {
            let at = self.location(&prev.span);
            let summary = match addr.mode {
                Mode::Managed => format!("Duplicate resource \"{ty}\" configuration"),
                Mode::Data => format!("Duplicate data \"{ty}\" configuration"),
            };
            self.diags.push(
                Diagnostic::error(
                    summary,
                    format!("A {ty} {kind} named \"{name}\" was already declared at {at}. Resource names must be unique per type in each module."),
                )
                .at(span, "")
                .at(prev.span.clone(), "first declared here"),
            );
            return;
        }
        self.module.resources.insert(addr, resource);
    }

    fn decode_resource(&mut self, mut b: Block, mode: Mode) -> Option<Resource> {
        let labels = self.labels(&b, &["type", "name"])?;
        let (what, kind) = match mode {
            Mode::Managed => ("resource", "resource"),
            Mode::Data => ("data source", "data resource"),
        };
        if !self.check_name(&b, 0, format_args!("{what} type name"))
            | !self.check_name(&b, 1, format_args!("{what} name"))
        {
            return None;
        }
        let (ty, name) = (labels[0].clone(), labels[1].clone());
        let span = self.header(&b);
        let addr = match mode {
            Mode::Managed => ResourceAddr::managed(&ty, &name),
            Mode::Data => ResourceAddr::data(&ty, &name),
        };

        let count = b.body.remove_attribute("count");
        let for_each = b.body.remove_attribute("for_each");
        if let (Some(_), Some(fe)) = (&count, &for_each) {
            self.error(
                "Invalid combination of \"count\" and \"for_each\"",
                "The \"count\" and \"for_each\" meta-arguments are mutually-exclusive, only one should be used to be explicit about the number of resources to be created.",
                fe.key.span(),
            );
        }
        let depends_on = match b.body.remove_attribute("depends_on") {
            Some(a) => self.references(&a, RefKind::DependsOn),
            None => Vec::new(),
        };
        let provider = b
            .body
            .remove_attribute("provider")
            .and_then(|a| self.provider_ref(&a));

        let mut lifecycle = Lifecycle::default();
        let mut first_lifecycle: Option<Span> = None;
        for lc in b.body.remove_blocks("lifecycle") {
            let lc_span = self.header(&lc);
            if let Some(first) = &first_lifecycle {
                let at = self.location(first);
                self.error_at(
                    "Duplicate lifecycle block",
                    format!("This {kind} already has a lifecycle block at {at}."),
                    lc_span,
                );
                continue;
            }
            first_lifecycle = Some(lc_span);
            self.lifecycle(lc, mode, &mut lifecycle);
        }
        if mode == Mode::Managed {
            let mut ignored: Vec<Block> = b.body.remove_blocks("provisioner");
            ignored.extend(b.body.remove_blocks("connection"));
            for p in ignored {
                let what = match (p.ident.as_str(), p.labels.first()) {
                    ("provisioner", Some(l)) => {
                        format!("this \"{}\" provisioner will not run", l.as_str())
                    }
                    ("provisioner", None) => "this provisioner will not run".to_string(),
                    _ => "this connection block is not used".to_string(),
                };
                let at = self.header(&p);
                self.diags.push(
                    Diagnostic::warning(
                        "Provisioners are not supported",
                        format!("Provisioner and connection blocks are ignored: {what}."),
                    )
                    .at(at, ""),
                );
            }
        }

        let resource = Resource {
            addr: addr.clone(),
            provider,
            count: count.map(|a| self.expr(a.value)),
            for_each: for_each.map(|a| self.expr(a.value)),
            depends_on,
            lifecycle,
            body: self.body(b.body),
            span,
        };
        Some(resource)
    }

    fn lifecycle(&mut self, b: Block, mode: Mode, lc: &mut Lifecycle) {
        if self.labels(&b, &[]).is_none() {
            return;
        }
        for s in b.body {
            match s {
                Structure::Attribute(a) => {
                    let key = a.key.as_str();
                    if mode == Mode::Data
                        && matches!(
                            key,
                            "create_before_destroy"
                                | "prevent_destroy"
                                | "ignore_changes"
                                | "replace_triggered_by"
                        )
                    {
                        self.error(
                            "Invalid data resource lifecycle argument",
                            format!("The lifecycle argument \"{key}\" is defined only for managed resources (\"resource\" blocks), and is not valid for data resources."),
                            a.key.span(),
                        );
                        continue;
                    }
                    match key {
                        "create_before_destroy" => {
                            lc.create_before_destroy = self.bool_arg(&a).unwrap_or(false)
                        }
                        "prevent_destroy" => {
                            lc.prevent_destroy = self.bool_arg(&a).unwrap_or(false)
                        }
                        "ignore_changes" => lc.ignore_changes = self.ignore_changes(&a),
                        "replace_triggered_by" => {
                            lc.replace_triggered_by =
                                self.references(&a, RefKind::ReplaceTriggeredBy)
                        }
                        _ => self.unsupported_argument(&a),
                    }
                }
                Structure::Block(inner) => match inner.ident.as_str() {
                    "precondition" => {
                        if let Some(v) = self.condition(inner) {
                            lc.preconditions.push(v);
                        }
                    }
                    "postcondition" => {
                        if let Some(v) = self.condition(inner) {
                            lc.postconditions.push(v);
                        }
                    }
                    _ => self.unsupported_block(&inner),
                },
            }
        }
    }

    /// `provider = aws` or `provider = aws.west`.
    fn provider_ref(&mut self, a: &Attribute) -> Option<ProviderRef> {
        let expr = match &a.value {
            Expression::String(_) => {
                self.quoted_reference_warning(&a.value);
                self.unquote(&a.value)?
            }
            e => e.clone(),
        };
        let steps = static_reference(&expr, false);
        let parsed = match steps.as_deref() {
            Some([RefStep::Attr(name)]) => Some(ProviderRef {
                name: name.into(),
                alias: None,
            }),
            Some([RefStep::Attr(name), RefStep::Attr(alias)]) => Some(ProviderRef {
                name: name.into(),
                alias: Some(alias.into()),
            }),
            _ => None,
        };
        if parsed.is_none() {
            self.error(
                "Invalid provider configuration reference",
                "The provider argument requires a provider type name, optionally followed by a period and then a configuration alias.",
                a.value.span(),
            );
        }
        parsed
    }

    fn quoted_reference_warning(&mut self, e: &Expression) {
        self.warning(
            "Quoted references are deprecated",
            "In this context, references are expected literally rather than in quotes. Remove the quotes surrounding this reference.",
            e.span(),
        );
    }

    /// Parses the contents of a quoted reference, keeping spans into the file.
    fn unquote(&mut self, e: &Expression) -> Option<Expression> {
        let text = literal_string(e)?;
        // Spans of the reference are offsets into the file, inside the quotes.
        let start = e.span().map(|r| r.start + 1).unwrap_or(0);
        let lead = text.len() - text.trim_start().len();
        match hcl_edit::parser::parse_expr(text.trim()) {
            Ok(parsed) => Some(Conv { off: start + lead }.expr(&parsed)),
            Err(_) => {
                self.error("Invalid expression", REFERENCE_DETAIL, e.span());
                None
            }
        }
    }

    /// A list of references (`depends_on`, `replace_triggered_by`).
    fn references(&mut self, a: &Attribute, kind: RefKind) -> Vec<Expr> {
        let Expression::Array(items) = &a.value else {
            self.error(
                "Invalid expression",
                "A static list expression is required.",
                a.value.span(),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items.iter() {
            let expr = match item {
                Expression::String(_) => {
                    self.quoted_reference_warning(item);
                    match self.unquote(item) {
                        Some(e) => e,
                        None => continue,
                    }
                }
                e => e.clone(),
            };
            let Some(steps) = static_reference(&expr, kind == RefKind::ReplaceTriggeredBy) else {
                self.error("Invalid expression", REFERENCE_DETAIL, item.span());
                continue;
            };
            if let Some(problem) = check_reference(&steps, kind) {
                let summary = match kind {
                    RefKind::DependsOn => "Invalid reference",
                    RefKind::ReplaceTriggeredBy => {
                        "Invalid reference in replace_triggered_by expression"
                    }
                };
                self.error(summary, problem, item.span());
                continue;
            }
            out.push(self.expr(expr));
        }
        out
    }

    fn ignore_changes(&mut self, a: &Attribute) -> IgnoreChanges {
        if let Expression::Variable(v) = &a.value
            && v.as_str() == "all"
        {
            return IgnoreChanges::All;
        }
        let Expression::Array(items) = &a.value else {
            self.error(
                "Invalid ignore_changes",
                "The ignore_changes argument is either the keyword all or a list of attribute references, like [tags, tags[\"Name\"]].",
                a.value.span(),
            );
            return IgnoreChanges::None;
        };
        let mut paths = Vec::new();
        for item in items.iter() {
            let expr = match item {
                Expression::String(_) => {
                    self.quoted_reference_warning(item);
                    match self.unquote(item) {
                        Some(e) => e,
                        None => continue,
                    }
                }
                e => e.clone(),
            };
            let path: Option<Vec<PathStep>> = static_reference(&expr, false).and_then(|steps| {
                steps
                    .into_iter()
                    .map(|s| match s {
                        RefStep::Attr(n) => Some(PathStep::Attr(n)),
                        RefStep::Key(k) => Some(PathStep::Key(k)),
                        RefStep::Index(i) => Some(PathStep::Index(i)),
                        RefStep::Dynamic => None,
                    })
                    .collect()
            });
            match path {
                Some(p) => paths.push(p),
                None => self.error("Invalid expression", REFERENCE_DETAIL, item.span()),
            }
        }
        IgnoreChanges::Paths(paths)
    }
}

/// What makes an expression not a literal, in the order Terraform reports it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum NonLiteral {
    Other,
    Call,
    Reference,
}

fn non_literal_part(e: &Expression) -> NonLiteral {
    use crate::lang::ast::Part;
    fn parts(ps: &[Part]) -> NonLiteral {
        ps.iter()
            .map(|p| match p {
                Part::Interp(e) => non_literal_part(e),
                Part::If { cond, then, els } => {
                    non_literal_part(cond).max(parts(then)).max(parts(els))
                }
                Part::For { coll, body, .. } => non_literal_part(coll).max(parts(body)),
                Part::Lit(_) => NonLiteral::Other,
            })
            .max()
            .unwrap_or(NonLiteral::Other)
    }
    let template = |t: &crate::lang::ast::Template| parts(&t.parts);
    match e {
        Expression::Variable(_) | Expression::Traversal(_) => NonLiteral::Reference,
        Expression::FuncCall(c) => c
            .args
            .iter()
            .map(non_literal_part)
            .max()
            .unwrap_or(NonLiteral::Call)
            .max(NonLiteral::Call),
        Expression::Parenthesis(p) => non_literal_part(p.inner()),
        Expression::StringTemplate(t) => template(t),
        Expression::HeredocTemplate(h) => template(h),
        Expression::UnaryOp(op) => non_literal_part(&op.expr),
        Expression::BinaryOp(op) => {
            non_literal_part(&op.lhs_expr).max(non_literal_part(&op.rhs_expr))
        }
        Expression::Conditional(c) => non_literal_part(&c.cond_expr)
            .max(non_literal_part(&c.true_expr))
            .max(non_literal_part(&c.false_expr)),
        Expression::Array(items) => items
            .iter()
            .map(non_literal_part)
            .max()
            .unwrap_or(NonLiteral::Other),
        Expression::Object(items) => items
            .iter()
            .map(|(_, v)| non_literal_part(v.expr()))
            .max()
            .unwrap_or(NonLiteral::Other),
        _ => NonLiteral::Other,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RefKind {
    DependsOn,
    ReplaceTriggeredBy,
}

/// The steps of a static reference (`a.b["c"][0]`), or `None` when the expression is anything
/// else. With `dynamic_index`, indexes by `count.index` / `each.key` / `each.value` are allowed.
fn static_reference(expr: &Expression, dynamic_index: bool) -> Option<Vec<RefStep>> {
    match expr {
        Expression::Variable(v) => Some(vec![RefStep::Attr(v.as_str().to_string())]),
        // `null.x`: a provider named like a keyword.
        Expression::Null(_) => Some(vec![RefStep::Attr("null".into())]),
        Expression::Parenthesis(p) => static_reference(p.inner(), dynamic_index),
        Expression::Traversal(t) => {
            let mut steps = match &t.expr {
                Expression::Variable(v) => vec![RefStep::Attr(v.as_str().to_string())],
                Expression::Null(_) => vec![RefStep::Attr("null".into())],
                _ => return None,
            };
            for op in &t.operators {
                steps.push(match op.value() {
                    TraversalOperator::GetAttr(name) => RefStep::Attr(name.as_str().to_string()),
                    TraversalOperator::LegacyIndex(i) => RefStep::Index(*i),
                    TraversalOperator::Index(key) => match key {
                        Expression::Number(n) => RefStep::Index(n.value().parse::<u64>().ok()?),
                        Expression::String(s) => RefStep::Key(s.value().clone()),
                        e if dynamic_index && is_repetition_reference(e) => RefStep::Dynamic,
                        _ => return None,
                    },
                    TraversalOperator::AttrSplat | TraversalOperator::FullSplat => {
                        return None;
                    }
                });
            }
            Some(steps)
        }
        _ => None,
    }
}

/// `count.index`, `each.key` or `each.value`.
fn is_repetition_reference(e: &Expression) -> bool {
    matches!(
        static_reference(e, false).as_deref(),
        Some([RefStep::Attr(root), RefStep::Attr(attr)])
            if (root == "count" && attr == "index") || (root == "each" && (attr == "key" || attr == "value"))
    )
}

/// Checks what a reference in `depends_on` or `replace_triggered_by` may name.
fn check_reference(steps: &[RefStep], kind: RefKind) -> Option<String> {
    let Some(RefStep::Attr(root)) = steps.first() else {
        return Some("A reference must start with a name.".into());
    };
    let attrs = steps
        .iter()
        .skip(1)
        .take_while(|s| matches!(s, RefStep::Attr(_)))
        .count();
    let trigger = kind == RefKind::ReplaceTriggeredBy;
    match root.as_str() {
        "var" | "local" if trigger => {
            Some("Only resources, count.index, and each.key may be referenced in replace_triggered_by.".into())
        }
        "var" | "local" | "module" if attrs == 0 => {
            Some(format!("The \"{root}\" object cannot be accessed directly. Instead, access one of its attributes."))
        }
        "module" if trigger => {
            Some("Only resources, count.index, and each.key may be referenced in replace_triggered_by.".into())
        }
        "var" | "local" | "module" => None,
        "data" if trigger => {
            Some("Only resources, count.index, and each.key may be referenced in replace_triggered_by.".into())
        }
        "data" if attrs < 2 => Some("A reference to a data source must be followed by at least one attribute access, specifying the data source type and its name.".into()),
        "data" => None,
        "count" | "each" | "path" | "terraform" | "self" => Some(format!(
            "\"{root}\" values cannot be referenced here: only resources, data sources, modules, variables and local values can."
        )),
        _ if attrs == 0 => Some("A reference to a resource type must be followed by at least one attribute access, specifying the resource name.".into()),
        _ => None,
    }
}
