//! Lowering of hcl-edit templates into the compact tree's [`ast::Template`], ready to evaluate: strip markers (`~`) applied to
//! the neighbouring literals and, for `<<-` heredocs, indentation removed the way Terraform does
//! it (over every line of the heredoc, including lines inside `%{if}`/`%{for}` directives, which
//! hcl-edit leaves indented).
//!
//! Owns only template structure; evaluation lives in `eval`. Expressions inside are converted
//! with [`Conv`].

use hcl_edit::template::{Directive, Element, Strip, Template};

use super::ast::from_hcl::Conv;
use super::ast::{self, Ident, Part, Sp};

/// The flat token order of a template, as Terraform's parser sees it.
enum Flat {
    Lit(usize),
    Mark { start: bool, end: bool },
}

struct Lowerer {
    conv: Conv,
    lits: Vec<String>,
    flat: Vec<Flat>,
    /// Split literals at line ends (heredocs: Terraform scans one token per line).
    per_line: bool,
    /// For `<<-` heredocs whose top-level literals hcl-edit already dedented: the amount to add
    /// back, and whether the next top-level literal starts mid-line.
    reindent: Option<usize>,
    skip_first: bool,
}

impl Lowerer {
    fn lit(&mut self, text: &str, top: bool, before_marker: bool) -> Vec<usize> {
        let mut text = text.to_string();
        if top && let Some(n) = self.reindent {
            let mut restored = String::with_capacity(text.len() + n * 2);
            // hcl-edit removed `n` characters from every non-empty line start. Text before an
            // interpolation or directive ended in a piece without a newline (had it ended in a
            // newline, hcl-edit would not have dedented at all), which may be empty now.
            let mut pieces: Vec<&str> = text.split_inclusive('\n').collect();
            if before_marker && pieces.last().is_none_or(|p| p.ends_with('\n')) {
                pieces.push("");
            }
            let last = pieces.len().saturating_sub(1);
            for (i, line) in pieces.into_iter().enumerate() {
                let content = line.strip_suffix('\n').unwrap_or(line);
                let final_piece = i == last && !line.ends_with('\n');
                if !(i == 0 && self.skip_first) && (!content.is_empty() || final_piece) {
                    restored.extend(std::iter::repeat_n(' ', n));
                }
                restored.push_str(line);
            }
            self.skip_first = !text.ends_with('\n');
            text = restored;
        }
        let pieces: Vec<String> = if self.per_line {
            text.split_inclusive('\n').map(str::to_string).collect()
        } else {
            vec![text]
        };
        let mut out = Vec::new();
        for p in pieces {
            self.lits.push(p);
            let i = self.lits.len() - 1;
            self.flat.push(Flat::Lit(i));
            out.push(i);
        }
        out
    }

    fn mark(&mut self, s: Strip) {
        self.flat.push(Flat::Mark {
            start: s.strip_start(),
            end: s.strip_end(),
        });
    }

    fn template(&mut self, t: &Template, top: bool) -> Vec<Part> {
        let mut parts = Vec::new();
        let elements: Vec<&Element> = t.iter().collect();
        for (k, el) in elements.iter().enumerate() {
            match el {
                Element::Literal(l) => {
                    let before_marker = elements.get(k + 1).is_some_and(|e| !e.is_literal());
                    for i in self.lit(l.value(), top, before_marker) {
                        parts.push(Part::Lit(i));
                    }
                }
                Element::Interpolation(i) => {
                    if top {
                        self.skip_first = true;
                    }
                    self.mark(i.strip);
                    parts.push(Part::Interp(self.conv.expr(&i.expr)));
                }
                Element::Directive(d) => {
                    if top {
                        self.skip_first = true;
                    }
                    match d.as_ref() {
                        Directive::If(d) => {
                            self.mark(d.if_expr.strip);
                            let then = self.template(&d.if_expr.template, false);
                            let els = match &d.else_expr {
                                Some(e) => {
                                    self.mark(e.strip);
                                    self.template(&e.template, false)
                                }
                                None => Vec::new(),
                            };
                            self.mark(d.endif_expr.strip);
                            parts.push(Part::If {
                                cond: self.conv.expr(&d.if_expr.cond_expr),
                                then,
                                els,
                            });
                        }
                        Directive::For(d) => {
                            let f = &d.for_expr;
                            self.mark(f.strip);
                            let body = self.template(&f.template, false);
                            self.mark(d.endfor_expr.strip);
                            parts.push(Part::For {
                                key: f.key_var.as_ref().map(|k| Ident::new(k.as_str())),
                                value: Ident::new(f.value_var.as_str()),
                                coll: self.conv.expr(&f.collection_expr),
                                body,
                            });
                        }
                    }
                }
            }
        }
        parts
    }

    fn strip(&mut self) {
        for i in 0..self.flat.len() {
            if let Flat::Mark { start, end } = self.flat[i] {
                if start
                    && i > 0
                    && let Flat::Lit(j) = self.flat[i - 1]
                {
                    self.lits[j] = self.lits[j].trim_end().to_string();
                }
                if end && let Some(Flat::Lit(j)) = self.flat.get(i + 1) {
                    self.lits[*j] = self.lits[*j].trim_start().to_string();
                }
            }
        }
    }

    /// Terraform's heredoc indentation removal: the smallest indentation of any line start
    /// (blank lines aside; a directive or interpolation at a line start counts as zero) is
    /// removed from every line-start literal.
    fn dedent(&mut self) {
        let mut min = usize::MAX;
        let mut newline = true;
        let mut adjust = Vec::new();
        for f in &self.flat {
            if newline {
                newline = false;
                let spaces = match f {
                    Flat::Lit(j) => {
                        let s = &self.lits[*j];
                        let trimmed = s.trim_start();
                        if trimmed.is_empty() && s.ends_with('\n') {
                            usize::MAX
                        } else {
                            adjust.push(*j);
                            s.chars().take_while(|c| c.is_whitespace()).count()
                        }
                    }
                    Flat::Mark { .. } => 0,
                };
                min = min.min(spaces);
            }
            if let Flat::Lit(j) = f
                && self.lits[*j].ends_with('\n')
            {
                newline = true;
            }
        }
        if min == usize::MAX || min == 0 {
            return;
        }
        for j in adjust {
            let s = &self.lits[j];
            let cut: usize = s.chars().take(min).map(char::len_utf8).sum();
            self.lits[j] = s[cut..].to_string();
        }
    }
}

/// Lowers a quoted template.
pub(crate) fn lower(t: &Template, span: Sp, conv: Conv) -> ast::Template {
    let mut l = Lowerer {
        conv,
        lits: Vec::new(),
        flat: Vec::new(),
        per_line: false,
        reindent: None,
        skip_first: false,
    };
    let parts = l.template(t, true);
    l.strip();
    ast::Template {
        parts,
        lits: l.lits,
        span,
    }
}

/// Lowers a heredoc; `indent` is hcl-edit's record of what it removed from a `<<-` heredoc.
pub(crate) fn lower_heredoc(
    t: &Template,
    indent: Option<usize>,
    span: Sp,
    conv: Conv,
) -> ast::Template {
    let mut l = Lowerer {
        conv,
        lits: Vec::new(),
        flat: Vec::new(),
        per_line: true,
        reindent: indent,
        skip_first: false,
    };
    let parts = l.template(t, true);
    l.strip();
    if indent.is_some() {
        l.dedent();
    }
    ast::Template {
        parts,
        lits: l.lits,
        span,
    }
}

/// An element of a heredoc that [`super::ast::parse`] read (interpolations only, no
/// directives), before lowering.
pub(crate) enum HeredocElement {
    Lit(String),
    Interp {
        strip_start: bool,
        strip_end: bool,
        expr: ast::Expression,
    },
}

/// Lowers a heredoc read by [`super::ast::parse`] exactly as [`lower_heredoc`] lowers hcl-edit's:
/// `els` as hcl-edit's tree holds them (a `<<-` heredoc's literals already dedented by `indent`).
pub(crate) fn lower_heredoc_elements(
    els: Vec<HeredocElement>,
    indent: Option<usize>,
    span: Sp,
) -> ast::Template {
    let mut l = Lowerer {
        conv: Conv { off: 0 },
        lits: Vec::new(),
        flat: Vec::new(),
        per_line: true,
        reindent: indent,
        skip_first: false,
    };
    let literal: Vec<bool> = els
        .iter()
        .map(|e| matches!(e, HeredocElement::Lit(_)))
        .collect();
    let mut parts = Vec::new();
    for (k, el) in els.into_iter().enumerate() {
        match el {
            HeredocElement::Lit(s) => {
                let before_marker = literal.get(k + 1).is_some_and(|l| !l);
                for i in l.lit(&s, true, before_marker) {
                    parts.push(Part::Lit(i));
                }
            }
            HeredocElement::Interp {
                strip_start,
                strip_end,
                expr,
            } => {
                l.skip_first = true;
                l.flat.push(Flat::Mark {
                    start: strip_start,
                    end: strip_end,
                });
                parts.push(Part::Interp(expr));
            }
        }
    }
    l.strip();
    if indent.is_some() {
        l.dedent();
    }
    ast::Template {
        parts,
        lits: l.lits,
        span,
    }
}
