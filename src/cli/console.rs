//! `console`: evaluates expressions typed interactively or piped on standard input, in the
//! context of the configuration in the working directory (its variables, locals, and the
//! resources recorded in state), and prints each result in Terraform's console notation.
//!
//! It reads state but never locks or writes it, configures no provider (schemas come from
//! unconfigured instances), and plans nothing. A resource declared in the configuration but
//! without objects in state is unknown, as is a required variable that was given no value.

use std::collections::HashMap;
use std::io::{BufRead, Write};

use crate::lang::ast::{Expression, TraversalOperator};
use cairn_provider::{ProviderSchema, Schema, Type, Value};

use super::args::ConsoleArgs;
use super::registry::Builtin;
use super::support::{self, report};
use super::{Reported, Ui};
use crate::addr::{Mode, ResourceAddr};
use crate::config::vars::VarArg;
use crate::config::{self, Config, Expr};
use crate::diag::{Diagnostic, Diagnostics, SourceMap};
use crate::lang::{self, Scope};
use crate::plan::Registry;
use crate::plan::providers::source_of_addr;
use crate::render::value::{format_type, format_value};

/// The name diagnostics give the text typed at the console.
const INPUT_NAME: &str = "<console-input>";

pub(crate) async fn console(args: ConsoleArgs, ui: Ui) -> anyhow::Result<i32> {
    let dir = support::cwd()?;
    let (mut config, diags) = config::load_dir(&dir);
    report(&diags, &config.sources, ui);
    if diags.has_errors() {
        return Err(Reported.into());
    }
    let vars = variables(&mut config, &args, ui)?;
    let path = support::state_path(Some(&config), args.state.as_ref())?;
    let state = {
        use crate::state::backend::Backend;
        support::backend(&path).read().await?.unwrap_or_default()
    };
    let schemas = provider_schemas(&state);
    let schema_of = |provider: &str, addr: &ResourceAddr| -> Option<Schema> {
        let s = schemas.get(provider)?;
        match addr.mode {
            Mode::Managed => s.resources.get(addr.ty.as_str()).map(|r| r.schema.clone()),
            Mode::Data => s.data_sources.get(addr.ty.as_str()).cloned(),
        }
    };
    // Evaluation never looks at source text: the console keeps the map, so that what is typed
    // can be added to it while the scope borrows the configuration.
    let mut sources = std::mem::take(&mut config.sources);
    let cwd = dir.display().to_string();
    let scope = crate::plan::fin::stored_scope(&config, vars, &state, &schema_of, &cwd);
    let mut session = Session {
        scope: &scope,
        sources: &mut sources,
        ui,
        var_types: config
            .root
            .variables
            .values()
            .map(|v| (v.name.clone(), v.ty.clone().unwrap_or(Type::Any)))
            .collect(),
    };
    let stdin = std::io::stdin();
    if ui.interactive {
        session.interactive(&mut stdin.lock())
    } else {
        session.piped(&mut stdin.lock())
    }
}

/// The input variables: as for a plan, except that a required variable given no value is
/// unknown instead of an error (Terraform's console does the same).
fn variables(
    config: &mut Config,
    args: &ConsoleArgs,
    ui: Ui,
) -> anyhow::Result<HashMap<String, Value>> {
    let dir = support::cwd()?;
    let env: Vec<(String, String)> = std::env::vars().collect();
    let mut list = support::var_args();
    if list.is_empty() {
        list.extend(args.var_files.iter().cloned().map(VarArg::File));
        list.extend(args.vars.iter().cloned().map(VarArg::Var));
    }
    let raw = match config::vars::collect(&dir, &list, &env, &mut config.sources) {
        Ok(r) => r,
        Err(ds) => {
            report(&ds, &config.sources, ui);
            return Err(Reported.into());
        }
    };
    let missing = crate::plan::vars::missing(config, &raw);
    let mut set_aside = Vec::new();
    for name in &missing {
        if let Some(v) = config.root.variables.shift_remove(name) {
            set_aside.push(v);
        }
    }
    let result = crate::plan::vars::evaluate(config, &raw);
    for v in set_aside {
        config.root.variables.insert(v.name.clone(), v);
    }
    match result {
        Ok((mut vars, warnings)) => {
            report(&warnings, &config.sources, ui);
            for name in missing {
                vars.insert(name, Value::Unknown);
            }
            Ok(vars)
        }
        Err(ds) => {
            report(&ds, &config.sources, ui);
            Err(Reported.into())
        }
    }
}

/// The schemas of the providers the state's resources belong to, by provider address.
fn provider_schemas(state: &crate::state::State) -> HashMap<String, ProviderSchema> {
    let registry = Builtin::new();
    let mut out = HashMap::new();
    for rs in state.resources.values() {
        if out.contains_key(&rs.provider) {
            continue;
        }
        let source = source_of_addr(&rs.provider).unwrap_or(&rs.provider);
        if let Some(p) = registry.instantiate(source) {
            out.insert(rs.provider.clone(), p.schema());
        }
    }
    out
}

/// What one line of input asked for.
enum Outcome {
    Value(String),
    Exit,
    Nothing,
}

struct Session<'a, 's> {
    scope: &'a dyn Scope,
    sources: &'s mut SourceMap,
    ui: Ui,
    /// The declared types of the variables.
    var_types: HashMap<String, Type>,
}

impl Session<'_, '_> {
    /// Piped input: every result is printed; the first error stops with exit code 1.
    fn piped(&mut self, input: &mut dyn BufRead) -> anyhow::Result<i32> {
        let mut out = std::io::stdout().lock();
        while let Some(text) = read_entry(input, None)? {
            match self.handle(&text) {
                Ok(Outcome::Value(s)) => writeln!(out, "{s}")?,
                Ok(Outcome::Exit) => return Ok(0),
                Ok(Outcome::Nothing) => {}
                Err(ds) => {
                    out.flush()?;
                    report(&ds, self.sources, self.ui);
                    return Ok(1);
                }
            }
        }
        Ok(0)
    }

    /// A terminal: a prompt per entry; errors are reported and the session goes on.
    fn interactive(&mut self, input: &mut dyn BufRead) -> anyhow::Result<i32> {
        loop {
            let Some(text) = read_entry(input, Some("> "))? else {
                println!();
                return Ok(0);
            };
            match self.handle(&text) {
                Ok(Outcome::Value(s)) => println!("{s}\n"),
                Ok(Outcome::Exit) => return Ok(0),
                Ok(Outcome::Nothing) => {}
                Err(ds) => report(&ds, self.sources, self.ui),
            }
        }
    }

    fn handle(&mut self, text: &str) -> Result<Outcome, Diagnostics> {
        let text = text.trim();
        match text {
            "" => return Ok(Outcome::Nothing),
            "exit" => return Ok(Outcome::Exit),
            "help" => return Ok(Outcome::Value(HELP.trim_end().to_string())),
            _ => {}
        }
        let file = self.sources.add(INPUT_NAME, text);
        let expr = hcl_edit::parser::parse_expr(text)
            .map_err(|e| Diagnostics::from(config::load::syntax_error(self.sources, file, &e)))?;
        evaluate(&Expr::from_hcl(file, &expr), self.scope, &self.var_types).map(Outcome::Value)
    }
}

const HELP: &str = "\
The console evaluates expressions against the configuration in the working directory:
its variables, locals, and the resources recorded in state. Enter an expression to see
its value, type(EXPRESSION) to see its type, and \"exit\" (or end the input) to leave.
";

/// Evaluates one console entry to the text it prints: the value, or with `type(...)` around
/// the whole entry, the type of the value in Terraform's notation. An unknown value carries no
/// type, so for a variable given no value its declared type (from `var_types`) is reported.
pub(crate) fn evaluate(
    expr: &Expr,
    scope: &dyn Scope,
    var_types: &HashMap<String, Type>,
) -> Result<String, Diagnostics> {
    if let Expression::FuncCall(f) = &expr.expr
        && f.name.namespace.is_empty()
        && f.name.name.as_str() == "type"
    {
        let mut args = f.args.iter();
        return match (args.next(), args.next()) {
            (Some(a), None) if !f.args.expand_final() => {
                let inner = Expr {
                    file: expr.file,
                    expr: a.clone(),
                };
                let v = lang::eval(&inner, scope)?;
                // Null and unknown values carry no type: the expression's static type says it.
                let ty = if v.is_null() || v.is_unknown() {
                    match lang::infer::static_type(a, scope) {
                        Type::Any => match declared_type(a, var_types) {
                            Some(t) if v.is_unknown() => t.clone(),
                            _ => Type::Any,
                        },
                        t => t,
                    }
                } else {
                    type_of(&v)
                };
                Ok(format_type(&ty))
            }
            _ => Err(Diagnostic::error(
                "Invalid function argument",
                "The type function takes exactly one argument.",
            )
            .at_opt(expr.span())
            .into()),
        };
    }
    let v = lang::eval(expr, scope)?;
    Ok(format_value(&v, 0))
}

/// The declared type of the variable an expression is exactly a reference to (`var.NAME`).
fn declared_type<'t>(e: &Expression, var_types: &'t HashMap<String, Type>) -> Option<&'t Type> {
    let Expression::Traversal(t) = e else {
        return None;
    };
    let Expression::Variable(root) = &t.expr else {
        return None;
    };
    match (root.as_str(), t.operators.as_slice()) {
        ("var", [op]) => match op.value() {
            TraversalOperator::GetAttr(name) => var_types.get(name.as_str()),
            _ => None,
        },
        _ => None,
    }
}

/// The type of a value as Terraform's `type()` reports it: marks are looked through; null and
/// unknown values are `dynamic`.
fn type_of(v: &Value) -> Type {
    match v.strip_marks_ref() {
        Value::List(xs) => Type::list(xs.first().map(type_of).unwrap_or(Type::Any)),
        Value::Set(xs) => Type::set(xs.first().map(type_of).unwrap_or(Type::Any)),
        Value::Map(m) => Type::map(m.values().next().map(type_of).unwrap_or(Type::Any)),
        Value::Tuple(xs) => Type::Tuple(xs.iter().map(type_of).collect()),
        Value::Object(m) => Type::object(m.iter().map(|(k, v)| (k.clone(), type_of(v)))),
        other => Type::of(other),
    }
}

/// Reads one entry: a line, continued over the following lines while brackets, parentheses
/// or a heredoc are left open. `None` at the end of the input.
fn read_entry(input: &mut dyn BufRead, prompt: Option<&str>) -> anyhow::Result<Option<String>> {
    let mut text = String::new();
    loop {
        if let Some(p) = prompt {
            let mut out = std::io::stdout();
            write!(out, "{}", if text.is_empty() { p } else { "  " })?;
            out.flush()?;
        }
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            return Ok((!text.trim().is_empty()).then_some(text));
        }
        text.push_str(&line);
        if !is_open(&text) {
            return Ok(Some(text));
        }
    }
}

/// Whether `text` leaves a bracket or a heredoc open (so the entry continues on the next line).
fn is_open(text: &str) -> bool {
    let mut depth: i64 = 0;
    let mut in_string = false;
    let mut heredoc: Option<String> = None;
    for line in text.split_inclusive('\n') {
        if let Some(delim) = &heredoc {
            if line.trim() == delim {
                heredoc = None;
            }
            continue;
        }
        let mut chars = line.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if in_string {
                match c {
                    '\\' => {
                        chars.next();
                    }
                    '"' => in_string = false,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' => in_string = true,
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                '#' => break,
                '/' if line[i..].starts_with("//") => break,
                '<' if line[i..].starts_with("<<") => {
                    let rest = line[i + 2..].trim_start_matches('-');
                    let delim: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !delim.is_empty() && rest[delim.len()..].trim().is_empty() {
                        heredoc = Some(delim);
                        break;
                    }
                }
                _ => {}
            }
        }
        // A string never spans lines outside a heredoc.
        in_string = false;
    }
    depth > 0 || heredoc.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(input: &str) -> Vec<String> {
        let mut r = std::io::Cursor::new(input.as_bytes().to_vec());
        let mut out = Vec::new();
        while let Some(e) = read_entry(&mut r, None).unwrap() {
            out.push(e.trim().to_string());
        }
        out
    }

    #[test]
    fn entries_continue_while_open() {
        assert_eq!(
            entries("1 + 1\n{\n  a = [1,\n 2]\n}\n\"(\"\n"),
            vec!["1 + 1", "{\n  a = [1,\n 2]\n}", "\"(\""]
        );
        assert_eq!(
            entries("<<EOT\n{\nEOT\nupper(\"x\") # (\n"),
            vec!["<<EOT\n{\nEOT", "upper(\"x\") # ("]
        );
        // An unbalanced entry at the end of the input is still handed over (and fails to parse).
        assert_eq!(entries("[1,\n"), vec!["[1,"]);
    }

    #[test]
    fn type_of_looks_through_marks() {
        let v = Value::object([
            ("a", Value::string("x").mark_sensitive()),
            ("b", Value::List(vec![])),
            ("c", Value::Unknown),
        ]);
        assert_eq!(
            format_type(&type_of(&v)),
            "object({\n    a: string,\n    b: list(dynamic),\n    c: dynamic,\n})"
        );
    }
}
