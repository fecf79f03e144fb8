//! Output for people: the human plan in Terraform's exact layout ([`human`]), values in
//! Terraform's notation ([`value`]), and apply progress ([`progress`]).
//!
//! Everything here writes to any `impl std::io::Write` and decides nothing: which plan, whether
//! to use colour (a terminal with `NO_COLOR` unset), how wide the terminal is — the caller says.
//! Colour only ever repeats what the text already says (`+`, `-`, `~` are always written).
//! Sensitive values are never written, whatever their position in a value.
//!
//! This module must not read configuration or state, call providers, or change a plan.

mod diff;
pub mod human;
pub mod json;
pub mod jsonlog;
pub mod markdown;
pub mod progress;
pub mod value;

#[cfg(test)]
mod shape_tests;
#[cfg(test)]
mod tests;

/// Terminal styling; with `color: false` every method returns its input unchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn new(color: bool) -> Style {
        Style { color }
    }
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    pub fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    pub fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    pub fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    pub fn cyan(&self, s: &str) -> String {
        self.paint("36", s)
    }
    pub fn dark_gray(&self, s: &str) -> String {
        self.paint("90", s)
    }
}

/// Wraps prose to `width` columns the way Terraform's `format.WordWrap` does: line by line,
/// breaking at spaces, keeping each line's leading indentation on its continuation lines.
pub fn word_wrap(text: &str, width: usize) -> String {
    if width <= 1 || text.chars().count() <= width {
        return text.to_string();
    }
    let mut out = Vec::new();
    for line in text.split('\n') {
        if line.chars().count() <= width {
            out.push(line.to_string());
            continue;
        }
        let indent_len = line.len() - line.trim_start().len();
        let prefix = &line[..indent_len];
        let limit = width.saturating_sub(prefix.chars().count()).max(1);
        let mut current = String::new();
        for word in line[indent_len..].split(' ').filter(|w| !w.is_empty()) {
            let need =
                current.chars().count() + usize::from(!current.is_empty()) + word.chars().count();
            if !current.is_empty() && need > limit {
                out.push(format!("{prefix}{current}"));
                current.clear();
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
        out.push(format!("{prefix}{current}"));
    }
    out.join("\n")
}

#[cfg(test)]
mod wrap_tests {
    use super::*;

    #[test]
    fn wraps_like_terraform_at_78_columns() {
        let s = "Terraform used the selected providers to generate the following execution plan. Resource actions are indicated with the following symbols:";
        assert_eq!(
            word_wrap(s, 78),
            "Terraform used the selected providers to generate the following execution\nplan. Resource actions are indicated with the following symbols:"
        );
        assert_eq!(word_wrap("short", 78), "short");
        assert_eq!(word_wrap("  aaa bbb ccc", 9), "  aaa bbb\n  ccc");
    }

    #[test]
    fn style_is_plain_without_colour() {
        assert_eq!(Style::new(false).green("+"), "+");
        assert_eq!(Style::new(true).green("+"), "\x1b[32m+\x1b[0m");
    }
}
