//! Diagnostics: what went wrong, where (`file:line:col` spans into the loaded sources) and how to
//! fix it. Problems in configuration are collected into [`Diagnostics`] rather than returned at
//! the first one, and rendered through miette with a source snippet.
//!
//! This module owns the [`SourceMap`] (the text of every loaded file, for spans) and rendering.
//! It must not decide what is an error: the modules that find problems build the diagnostics.

use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

/// Index of a file in the [`SourceMap`].
pub type FileId = usize;

/// A byte range in one source file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub range: Range<usize>,
}

impl Span {
    pub fn new(file: FileId, range: Range<usize>) -> Span {
        Span { file, range }
    }
}

#[derive(Debug)]
struct SourceFile {
    /// The path as shown to the user (relative to the working directory where possible).
    name: String,
    text: Arc<str>,
    /// Where each line starts, found the first time a location is asked for: most runs never
    /// report one, and a large file has a million lines.
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

/// The text of every file loaded in this run, addressable by [`FileId`].
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }
    /// Adds a file and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<Arc<str>>) -> FileId {
        self.files.push(SourceFile {
            name: name.into(),
            text: text.into(),
            line_starts: std::sync::OnceLock::new(),
        });
        self.files.len() - 1
    }
    pub fn name(&self, file: FileId) -> &str {
        &self.files[file].name
    }
    pub fn text(&self, file: FileId) -> &str {
        &self.files[file].text
    }
    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, file: FileId, offset: usize) -> (usize, usize) {
        let f = &self.files[file];
        let offset = offset.min(f.text.len());
        let line_starts = f.line_starts.get_or_init(|| {
            let mut starts = vec![0];
            starts.extend(memchr::memchr_iter(b'\n', f.text.as_bytes()).map(|i| i + 1));
            starts
        });
        let line = match line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = line_starts[line];
        let col = f
            .text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(0)
            + 1;
        (line + 1, col)
    }
    /// `file:line:col` of a span's start.
    pub fn location(&self, span: &Span) -> String {
        let (l, c) = self.line_col(span.file, span.range.start);
        format!("{}:{l}:{c}", self.name(span.file))
    }
}

/// Shows `path` relative to `base` when it lies below it.
pub fn display_path(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A short statement of what is wrong (`Unsupported argument`).
    pub summary: String,
    /// What exactly, and how to fix it.
    pub detail: String,
    /// Where; the first label is the primary location.
    pub labels: Vec<(Span, String)>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            labels: Vec::new(),
        }
    }
    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(summary, detail)
        }
    }
    /// Adds a location.
    pub fn at(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.labels.push((span, label.into()));
        self
    }
    pub fn at_opt(self, span: Option<Span>) -> Diagnostic {
        match span {
            Some(s) => self.at(s, ""),
            None => self,
        }
    }
    pub fn span(&self) -> Option<&Span> {
        self.labels.first().map(|(s, _)| s)
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.summary)?;
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

/// A collection of diagnostics from one stage.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }
    /// `Ok(value)` when there are no errors, else the diagnostics.
    pub fn into_result<T>(self, value: T) -> Result<T, Diagnostics> {
        if self.has_errors() {
            Err(self)
        } else {
            Ok(value)
        }
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Diagnostics {
        Diagnostics(vec![d])
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// Adapts one diagnostic to miette for rendering.
struct Report<'a> {
    diag: &'a Diagnostic,
    heading: String,
    source: Option<miette::NamedSource<String>>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.heading)
    }
}
impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.heading)
    }
}
impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.diag.detail.is_empty()).then(|| Box::new(&self.diag.detail) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let primary = self.diag.span()?.file;
        Some(Box::new(
            self.diag
                .labels
                .iter()
                .filter(move |(s, _)| s.file == primary)
                .map(|(s, l)| {
                    let len = s.range.end.saturating_sub(s.range.start);
                    miette::LabeledSpan::new((!l.is_empty()).then(|| l.clone()), s.range.start, len)
                }),
        ))
    }
}

/// Renders diagnostics for a terminal or a log: each starts with `Error: SUMMARY` (or
/// `Warning:`) and its `file:line:col`, then a snippet of the source and the detail.
pub fn render(diags: &Diagnostics, sources: &SourceMap, color: bool) -> String {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    for d in diags.iter() {
        let kind = match d.severity {
            Severity::Error => "Error",
            Severity::Warning => "Warning",
        };
        let heading = match d.span() {
            Some(s) => format!("{kind}: {} ({})", d.summary, sources.location(s)),
            None => format!("{kind}: {}", d.summary),
        };
        let source = d.span().map(|s| {
            miette::NamedSource::new(sources.name(s.file), sources.text(s.file).to_string())
        });
        let report = Report {
            diag: d,
            heading,
            source,
        };
        let mut buf = String::new();
        if handler.render_report(&mut buf, &report).is_err() {
            buf = format!("{report}\n{}\n", d.detail);
        }
        out.push_str(&buf);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_and_snippet() {
        let mut sm = SourceMap::new();
        let f = sm.add("main.tf", "resource \"a\" \"b\" {\n  bad = 1\n}\n");
        let d = Diagnostic::error(
            "Unsupported argument",
            "An argument named \"bad\" is not expected here.",
        )
        .at(Span::new(f, 21..24), "here");
        let out = render(&Diagnostics::from(d), &sm, false);
        assert!(
            out.contains("Error: Unsupported argument (main.tf:2:3)"),
            "{out}"
        );
        assert!(out.contains("bad = 1"), "{out}");
        assert!(out.contains("is not expected here"), "{out}");
    }

    #[test]
    fn line_col_counts_characters() {
        let mut sm = SourceMap::new();
        let f = sm.add("x.tf", "é = 1\nb = 2");
        assert_eq!(sm.line_col(f, 0), (1, 1));
        assert_eq!(sm.line_col(f, 3), (1, 3));
        assert_eq!(sm.line_col(f, 7), (2, 1));
    }
}
