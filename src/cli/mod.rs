//! The command-line interface: Terraform's verbs and flags ([`args`]), the table of linked
//! providers ([`registry`]), and the commands themselves, which wire configuration, state,
//! planning, the executor and rendering together. Exit codes follow Terraform's.
//!
//! The only module that uses `anyhow`, reads the terminal or prints; nothing imports it.

pub mod args;
mod console;
mod format;
mod import;
mod inspect;
mod planfile;
pub mod registry;
mod run;
mod setup;
mod support;

use std::io::IsTerminal;

use clap::Parser;

use args::{Cli, Command};

/// An error already reported to the user (exit 1 without printing again).
#[derive(Debug)]
pub(crate) struct Reported;

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "reported")
    }
}
impl std::error::Error for Reported {}

/// How output should look.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ui {
    pub color: bool,
    /// Standard input is a terminal: prompts are allowed.
    pub interactive: bool,
    /// Standard error is a terminal: live progress is allowed.
    pub live: bool,
}

/// Runs cairn with the process arguments; returns the exit code.
pub fn main() -> i32 {
    run_with(std::env::args().collect())
}

/// Runs cairn with the given arguments (the first is the program name).
pub fn run_with(argv: Vec<String>) -> i32 {
    let argv = args::normalise(argv);
    support::set_argv(&argv);
    let cli = match Cli::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    if let Some(dir) = &cli.chdir
        && let Err(e) = std::env::set_current_dir(dir)
    {
        eprintln!("Error: cannot switch to directory {}: {e}", dir.display());
        return 1;
    }
    let no_color = cli.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let ui = Ui {
        color: !no_color && std::io::stdout().is_terminal(),
        interactive: std::io::stdin().is_terminal(),
        live: std::io::stderr().is_terminal() && std::env::var_os("CI").is_none(),
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error: cannot start the runtime: {e}");
            return 1;
        }
    };
    let result = rt.block_on(dispatch(cli.command, ui));
    // Everything a command must finish it awaited; what may still run is work whose result
    // nobody wants (a state read ahead for a plan whose configuration then failed to load),
    // which the process does not wait for.
    rt.shutdown_background();
    match result {
        Ok(code) => code,
        Err(e) if e.is::<Reported>() => 1,
        Err(e) if support::json_mode() => {
            let text = format!("{e:#}");
            let (summary, detail) = text.split_once("\n\n").unwrap_or((&text, ""));
            let mut log = crate::render::jsonlog::Log::new(std::io::stdout().lock());
            let _ = log.error(summary, detail);
            1
        }
        Err(e) => {
            eprintln!("\nError: {e:#}\n");
            1
        }
    }
}

async fn dispatch(cmd: Command, ui: Ui) -> anyhow::Result<i32> {
    match cmd {
        Command::Init(a) => setup::init(a, ui).await,
        Command::Validate(a) => setup::validate(a, ui).await,
        Command::Console(a) => console::console(a, ui).await,
        Command::Plan(a) => run::plan(a, ui).await,
        Command::Apply(a) => run::apply(a, ui, false).await,
        Command::Destroy(a) => run::apply(a, ui, true).await,
        Command::Import(a) => import::import(a, ui).await,
        Command::Show(a) => inspect::show(a, ui).await,
        Command::Output(a) => inspect::output(a, ui).await,
        Command::State(s) => inspect::state(s, ui).await,
        Command::ForceUnlock(a) => inspect::force_unlock(a, ui).await,
        Command::Graph(a) => inspect::graph(a, ui).await,
        Command::Fmt(a) => format::fmt(a, ui),
        Command::Version => {
            println!("cairn v{}", env!("CARGO_PKG_VERSION"));
            Ok(0)
        }
    }
}
