//! Command-line syntax: the clap definitions of every command and flag, and the normaliser
//! that lets Terraform's single-dash long flags (`-auto-approve`, `-var=x=1`, `-chdir=dir`) work
//! alongside the conventional `--auto-approve`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Rewrites Terraform-style single-dash long flags to double-dash ones. A lone `-` (stdin) and
/// short flags (`-h`) are kept; everything after `--` is left alone.
pub fn normalise(args: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = false;
    for (i, a) in args.into_iter().enumerate() {
        if i == 0 || rest {
            out.push(a);
            continue;
        }
        if a == "--" {
            rest = true;
            out.push(a);
            continue;
        }
        let bytes = a.as_bytes();
        let single_long = bytes.len() > 2
            && bytes[0] == b'-'
            && bytes[1] != b'-'
            && bytes[1].is_ascii_alphabetic()
            && (bytes.len() != 2);
        if single_long {
            out.push(format!("-{a}"));
        } else {
            out.push(a);
        }
    }
    out
}

#[derive(Debug, Parser)]
#[command(
    name = "cairn",
    version,
    about = "Plans and applies infrastructure described in Terraform configuration, with rollback on failure.",
    disable_help_subcommand = true
)]
pub struct Cli {
    /// Switch to a different working directory before executing the command.
    #[arg(long, global = true, value_name = "DIR")]
    pub chdir: Option<PathBuf>,
    /// Disable colour in the output (also honoured: NO_COLOR).
    #[arg(long = "no-color", global = true)]
    pub no_color: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Prepare the working directory: check the configuration, providers and backend.
    Init(InitArgs),
    /// Check whether the configuration is valid.
    Validate(ValidateArgs),
    /// Try expressions against the configuration, its variables and its state.
    Console(ConsoleArgs),
    /// Show changes required by the current configuration.
    Plan(PlanArgs),
    /// Create or update infrastructure.
    Apply(ApplyArgs),
    /// Destroy previously-created infrastructure.
    Destroy(ApplyArgs),
    /// Associate an existing object with a resource instance in the state.
    Import(ImportArgs),
    /// Show the current state or a saved plan.
    Show(ShowArgs),
    /// Show output values from the state.
    Output(OutputArgs),
    /// Advanced state management.
    #[command(subcommand)]
    State(StateCommand),
    /// Release a stuck lock on the current state.
    #[command(name = "force-unlock")]
    ForceUnlock(ForceUnlockArgs),
    /// Print the dependency graph in DOT format.
    Graph(GraphArgs),
    /// Rewrite configuration files to the canonical format and style.
    Fmt(FmtArgs),
    /// Show the cairn version.
    Version,
}

#[derive(Debug, Args, Default)]
pub struct InitArgs {
    /// Ask for input if necessary (accepted for compatibility).
    #[arg(long, value_name = "BOOL", default_value = "true", action = clap::ArgAction::Set)]
    pub input: bool,
    /// Configure the backend (accepted for compatibility).
    #[arg(long, value_name = "BOOL", default_value = "true", action = clap::ArgAction::Set)]
    pub backend: bool,
    /// Upgrade modules and providers (accepted for compatibility).
    #[arg(long)]
    pub upgrade: bool,
    /// Reconfigure the backend, ignoring any saved configuration.
    #[arg(long)]
    pub reconfigure: bool,
    #[arg(long)]
    pub migrate_state: bool,
}

/// `cairn fmt [options] [target...]`: Terraform's flags and exit codes (0, 3 when a file is
/// not canonical under `-check`, 2 on a syntax error).
#[derive(Debug, Args)]
pub struct FmtArgs {
    /// List files whose formatting differs (always disabled for standard input).
    #[arg(long, value_name = "BOOL", default_value = "true", action = clap::ArgAction::Set)]
    pub list: bool,
    /// Write the result to the source files (always disabled for standard input or -check).
    #[arg(long, value_name = "BOOL", default_value = "true", action = clap::ArgAction::Set)]
    pub write: bool,
    /// Display diffs of formatting changes.
    #[arg(long)]
    pub diff: bool,
    /// Check whether the input is formatted: exit 0 if it is, 3 if not.
    #[arg(long)]
    pub check: bool,
    /// Also process files in subdirectories.
    #[arg(long)]
    pub recursive: bool,
    /// Files or directories to format (default: the current directory); `-` reads standard input.
    #[arg(value_name = "TARGET", allow_hyphen_values = true)]
    pub targets: Vec<PathBuf>,
}

#[derive(Debug, Args, Default)]
pub struct ValidateArgs {
    /// Produce output in a machine-readable JSON format.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args, Default)]
pub struct ConsoleArgs {
    /// Set a value for one of the input variables: -var 'NAME=VALUE'.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Load variable values from the given file.
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// Path to the state file (local backend only).
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
}

/// Flags shared by plan, apply and destroy.
#[derive(Debug, Args, Clone, Default)]
pub struct PlanFlags {
    /// Set a value for one of the input variables: -var 'NAME=VALUE'.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Load variable values from the given file.
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// Limit planning to only the given resource instances and their dependencies.
    #[arg(long = "target", value_name = "ADDRESS")]
    pub targets: Vec<String>,
    /// Force replacement of a particular resource instance.
    #[arg(long = "replace", value_name = "ADDRESS")]
    pub replace: Vec<String>,
    /// Select the "destroy" planning mode.
    #[arg(long)]
    pub destroy: bool,
    /// Skip checking for external changes to remote objects.
    #[arg(long, value_name = "BOOL", default_value = "true", action = clap::ArgAction::Set)]
    pub refresh: bool,
    /// Select the "refresh only" planning mode.
    #[arg(long = "refresh-only")]
    pub refresh_only: bool,
    /// Limit the number of concurrent operations.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub parallelism: usize,
    /// Hold a state lock during the operation.
    #[arg(long, value_name = "BOOL", default_value = "true", action = clap::ArgAction::Set)]
    pub lock: bool,
    /// Duration to retry a state lock (e.g. 30s, 2m).
    #[arg(long = "lock-timeout", value_name = "DURATION", default_value = "0s")]
    pub lock_timeout: String,
    /// Ask for input for variables if not directly set.
    #[arg(long, value_name = "BOOL", default_value = "true", action = clap::ArgAction::Set)]
    pub input: bool,
    /// Path to the state file (local backend only).
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Machine-readable output (one JSON object per line).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args, Default)]
pub struct PlanArgs {
    #[command(flatten)]
    pub flags: PlanFlags,
    /// Write the plan to the given path, to apply it later.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Keep sensitive values (and sensitive input variables) in the plan file in clear text, as
    /// Terraform does. By default they are left out and an apply of the file plans again.
    #[arg(long = "unsafe-keep-sensitive")]
    pub unsafe_keep_sensitive: bool,
    /// Return exit code 2 when there are changes (0: none, 1: error).
    #[arg(long = "detailed-exitcode")]
    pub detailed_exitcode: bool,
    /// Exit with code 4 when the plan destroys (`destroy`, which includes replacements) or
    /// replaces (`replace`) anything; repeat or separate with commas.
    #[arg(
        long = "fail-on",
        value_name = "destroy|replace",
        value_delimiter = ','
    )]
    pub fail_on: Vec<FailOn>,
    /// Check the plan against the rules of a policy file (repeatable); exit 5 on a violation.
    #[arg(long = "policy", value_name = "FILE")]
    pub policies: Vec<PathBuf>,
}

/// How `show` lays out a saved plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ShowFormat {
    #[default]
    Human,
    Markdown,
}

/// Plan actions that `-fail-on` turns into a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Destroy,
    Replace,
}

#[derive(Debug, Args, Default)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub flags: PlanFlags,
    /// Skip interactive approval of the plan before applying.
    #[arg(long = "auto-approve")]
    pub auto_approve: bool,
    /// On failure, keep what succeeded instead of rolling back (Terraform's behaviour).
    #[arg(long = "no-rollback")]
    pub no_rollback: bool,
    /// A saved plan file to apply.
    pub plan_file: Option<PathBuf>,
}

#[derive(Debug, Args, Default)]
pub struct ShowArgs {
    #[arg(long)]
    pub json: bool,
    /// `markdown`: a summary of a saved plan sized for a pull-request comment or CI step summary.
    #[arg(long, value_enum, default_value = "human")]
    pub format: ShowFormat,
    /// A saved plan file or a state file; default: the current state.
    pub path: Option<PathBuf>,
}

#[derive(Debug, Args, Default)]
pub struct OutputArgs {
    #[arg(long)]
    pub json: bool,
    /// Print the raw string value of a single output.
    #[arg(long)]
    pub raw: bool,
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    pub name: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List resources in the state.
    List {
        #[arg(long, value_name = "PATH")]
        state: Option<PathBuf>,
        addresses: Vec<String>,
    },
    /// Show a resource in the state.
    Show {
        #[arg(long, value_name = "PATH")]
        state: Option<PathBuf>,
        address: String,
    },
    /// Remove instances from the state (the objects themselves are left alone).
    Rm {
        #[command(flatten)]
        lock: LockArgs,
        #[arg(long = "dry-run")]
        dry_run: bool,
        #[arg(long, value_name = "PATH")]
        state: Option<PathBuf>,
        #[arg(required = true)]
        addresses: Vec<String>,
    },
    /// Move an item in the state.
    Mv {
        #[command(flatten)]
        lock: LockArgs,
        #[arg(long = "dry-run")]
        dry_run: bool,
        #[arg(long, value_name = "PATH")]
        state: Option<PathBuf>,
        source: String,
        destination: String,
    },
}

#[derive(Debug, Args, Clone, Default)]
pub struct LockArgs {
    #[arg(long, value_name = "BOOL", default_value = "true", action = clap::ArgAction::Set)]
    pub lock: bool,
    #[arg(long = "lock-timeout", value_name = "DURATION", default_value = "0s")]
    pub lock_timeout: String,
}

/// `cairn import [options] ADDR ID`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub flags: PlanFlags,
    /// The resource instance to import into (`aws_vpc.main`, `module.net.aws_subnet.a[0]`).
    pub address: String,
    /// The provider-specific id of the existing object.
    pub id: String,
}

#[derive(Debug, Args, Default)]
pub struct ForceUnlockArgs {
    /// Don't ask for confirmation.
    #[arg(long)]
    pub force: bool,
    pub lock_id: String,
}

#[derive(Debug, Args, Default)]
pub struct GraphArgs {
    /// Draw only this kind of graph (accepted for compatibility).
    #[arg(long, value_name = "TYPE")]
    pub r#type: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        let v = normalise(args.iter().map(|s| s.to_string()));
        Cli::try_parse_from(v).unwrap()
    }

    #[test]
    fn single_and_double_dash_flags() {
        let a = parse(&[
            "cairn",
            "-chdir=x",
            "apply",
            "-auto-approve",
            "-var=a=1",
            "--var",
            "b=2",
            "-no-color",
        ]);
        assert_eq!(a.chdir, Some(PathBuf::from("x")));
        assert!(a.no_color);
        let Command::Apply(ap) = a.command else {
            panic!("not apply")
        };
        assert!(ap.auto_approve);
        assert_eq!(ap.flags.vars, vec!["a=1", "b=2"]);
    }

    #[test]
    fn boolean_flags_take_values() {
        let a = parse(&[
            "cairn",
            "plan",
            "-refresh=false",
            "-lock=false",
            "-input=false",
            "-detailed-exitcode",
            "-out=p.plan",
        ]);
        let Command::Plan(p) = a.command else {
            panic!("not plan")
        };
        assert!(!p.flags.refresh && !p.flags.lock && !p.flags.input && p.detailed_exitcode);
        assert_eq!(p.out, Some(PathBuf::from("p.plan")));
    }

    #[test]
    fn lone_dash_and_short_flags_are_kept() {
        assert_eq!(
            normalise(["c", "-", "-h", "-x=1"].map(String::from)),
            vec!["c", "-", "-h", "--x=1"]
        );
    }
}
