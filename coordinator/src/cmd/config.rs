//! Flags from a config file and from the environment.
//!
//! Every flag of every subcommand can also be set in a TOML file named by
//! `--config FILE` (or `COORDINATOR_CONFIG`) and in environment variables.
//! The command line wins over the environment, the environment over the
//! file. Nothing here knows any particular flag: it walks clap's definition
//! of the command line, so a flag added to a subcommand can be set in both
//! at once, and every value, whatever its source, goes through the flag's
//! own parser (`flags.rs`): one place checks values.
//!
//! The file: keys are the flags' long names (`key-file`, or `key_file`). A
//! key at the top applies to every subcommand that has that flag; a table
//! named after a subcommand (`[run]`, `[chain.export]`) applies to it and
//! wins over the top (and `[chain]` over the top for `chain export`).
//! Relative paths are relative to the file's directory. A repeatable flag
//! takes an array, a switch `true` or `false`. Unknown keys are refused.
//!
//! The environment: `COORDINATOR_` and the flag's name in capitals with
//! underscores (`COORDINATOR_KEY_FILE`); a name with the subcommand's path
//! (`COORDINATOR_RUN_LISTEN`) wins over the plain one. A repeatable flag
//! takes a comma-separated list, a switch `1`/`true`/`yes`/`on` or
//! `0`/`false`/`no`/`off`. Empty variables count as unset.
//!
//! How: a first, lenient parse of the command line (nothing required) finds
//! the subcommand and which of its flags were given; each other flag found
//! in the environment or the file is appended as `--flag=value`, and the
//! whole is parsed for real. An error in a value that came from the
//! environment or the file names the variable, or the file and the key.
//! This module does the layering; `env.rs` reads the environment and
//! `file.rs` the TOML file.

mod env;
mod file;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, Command, ValueHint};

use env::{from_env, text_var};
use file::ConfigFile;

pub use env::{env_name, process_env};

/// The prefix of every environment variable read.
pub const ENV_PREFIX: &str = "COORDINATOR_";
/// The environment variable naming the config file.
pub const CONFIG_ENV: &str = "COORDINATOR_CONFIG";
/// The id of the `--config` flag.
pub const CONFIG_ARG: &str = "config";
/// Largest config file read, in bytes.
pub const MAX_FILE: u64 = 1 << 20;

/// What every subcommand's help says about the file and the environment.
pub const HELP: &str = "Every flag can also be set in a TOML file (--config FILE, or \
COORDINATOR_CONFIG; keys are the flags' names, in a table named after the subcommand or at the \
top) or in the environment (COORDINATOR_ and the flag's name in capitals, e.g. \
COORDINATOR_KEY_FILE). Flags win over the environment, the environment over the file.";

/// Where a value that was not on the command line came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// An environment variable.
    Env(String),
    /// A key of the config file (`run.heartbeat-ms`).
    File {
        /// The file, as named.
        path: PathBuf,
        /// The key, dotted.
        key: String,
    },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Env(name) => write!(f, "environment variable {name}"),
            Source::File { path, key } => {
                write!(f, "config file {}, key {key}", path.display())
            }
        }
    }
}

/// A config file or variable that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read, is not TOML, or has a key no flag has.
    #[error("config file {}: {reason}", path.display())]
    File {
        /// The file, as named.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A value its flag refuses, or of the wrong kind.
    #[error("{from}: {reason}")]
    Value {
        /// Where it came from.
        from: Source,
        /// Why it is refused.
        reason: String,
    },
}

/// Why the command line, with the file and the environment, does not parse.
#[derive(Debug)]
pub enum ParseError {
    /// clap's own answer (bad flags, `--help`, `--version`): print it as
    /// clap does, with its exit status.
    Clap(clap::Error),
    /// A value from the file or the environment (exit status 2).
    Config(ConfigError),
}

/// Parses `argv` as `P`, with the flags it lacks taken from the environment
/// (`env` looks a variable up) and the config file.
pub fn parse<P: clap::Parser>(
    argv: Vec<OsString>,
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<P, ParseError> {
    let layered = layer(&command::<P>(), &argv, env).map_err(ParseError::Config)?;
    let matches = command::<P>()
        .try_get_matches_from(&layered.argv)
        .map_err(|e| layered.explain(e))?;
    P::from_arg_matches(&matches).map_err(ParseError::Clap)
}

/// `P`'s command line, with [`HELP`] after every subcommand's help.
pub fn command<P: clap::CommandFactory>() -> Command {
    fn with_help(cmd: Command) -> Command {
        let names: Vec<String> = cmd
            .get_subcommands()
            .map(|s| s.get_name().to_owned())
            .collect();
        let mut cmd = cmd.after_help(HELP);
        for name in names {
            cmd = cmd.mut_subcommand(name, with_help);
        }
        cmd
    }
    with_help(P::command())
}

/// The command line with the values from elsewhere appended, and where
/// each came from.
#[derive(Debug)]
struct Layered {
    argv: Vec<OsString>,
    sources: BTreeMap<String, Source>,
}

impl Layered {
    /// A clap error about a flag that came from elsewhere names its source.
    fn explain(&self, e: clap::Error) -> ParseError {
        let flag = match e.get(ContextKind::InvalidArg) {
            Some(ContextValue::String(s)) => s
                .trim_start_matches('-')
                .split([' ', '='])
                .next()
                .unwrap_or("")
                .to_owned(),
            _ => String::new(),
        };
        let Some(source) = self.sources.get(&flag) else {
            return ParseError::Clap(e);
        };
        let reason = match (e.kind(), std::error::Error::source(&e)) {
            (ErrorKind::ValueValidation, Some(inner)) => match e.get(ContextKind::InvalidValue) {
                Some(ContextValue::String(v)) => format!("{v:?} {inner}"),
                _ => inner.to_string(),
            },
            _ => {
                let text = e.render().to_string();
                let line = text.lines().next().unwrap_or("").to_owned();
                line.strip_prefix("error: ").unwrap_or(&line).to_owned()
            }
        };
        ParseError::Config(ConfigError::Value {
            from: source.clone(),
            reason,
        })
    }
}

/// A value found for one flag.
#[derive(Debug)]
enum Raw {
    /// A switch, on or off.
    Switch(bool),
    /// One value, or several for a repeatable flag.
    Values(Vec<String>),
}

fn layer(
    cmd: &Command,
    argv: &[OsString],
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<Layered, ConfigError> {
    let mut layered = Layered {
        argv: argv.to_vec(),
        sources: BTreeMap::new(),
    };
    // Help, version and bad flags: the real parse reports them.
    let Ok(matches) = relaxed(cmd.clone()).try_get_matches_from(argv) else {
        return Ok(layered);
    };
    let mut cmd = cmd.clone();
    cmd.build();
    let (path, leaf_cmd, leaf) = leaf_of(&cmd, &matches);
    let config = match leaf.get_one::<PathBuf>(CONFIG_ARG) {
        Some(p) => Some(p.clone()),
        None => text_var(env, CONFIG_ENV)?.map(PathBuf::from),
    };
    let file = config.map(|p| ConfigFile::load(&p)).transpose()?;
    if let Some(f) = &file {
        f.check_keys(&cmd)?;
    }
    for arg in leaf_cmd.get_arguments() {
        let (Some(long), id) = (arg.get_long(), arg.get_id().as_str()) else {
            continue;
        };
        if !settable(arg.get_action()) || id == CONFIG_ARG {
            continue;
        }
        if leaf.value_source(id) == Some(ValueSource::CommandLine) {
            continue;
        }
        // A flag given on the command line wins over the settings it
        // excludes too (`sim --rate` over a file's `threads`).
        // (clap keeps a conflict on the flag that declares it: look both ways.)
        let overridden = leaf_cmd.get_arguments().any(|other| {
            leaf.value_source(other.get_id().as_str()) == Some(ValueSource::CommandLine)
                && (leaf_cmd.get_arg_conflicts_with(arg).contains(&other)
                    || leaf_cmd.get_arg_conflicts_with(other).contains(&arg))
        });
        if overridden {
            continue;
        }
        let action = arg.get_action();
        let is_path = matches!(
            arg.get_value_hint(),
            ValueHint::AnyPath | ValueHint::FilePath | ValueHint::DirPath
        );
        let found = match from_env(&path, long, action, env)? {
            Some(found) => Some(found),
            None => match &file {
                Some(f) => f.lookup(&path, long, action, is_path)?,
                None => None,
            },
        };
        let Some((source, raw)) = found else { continue };
        let tokens: Vec<String> = match raw {
            Raw::Switch(on) => {
                let wanted = matches!(action, ArgAction::SetTrue) == on;
                wanted.then(|| format!("--{long}")).into_iter().collect()
            }
            Raw::Values(values) => values.iter().map(|v| format!("--{long}={v}")).collect(),
        };
        layered.argv.extend(tokens.into_iter().map(OsString::from));
        layered.sources.insert(long.to_owned(), source);
    }
    Ok(layered)
}

/// The command with nothing required, for the first parse.
fn relaxed(cmd: Command) -> Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    let mut cmd = cmd.mut_args(|a| a.required(false));
    for name in names {
        cmd = cmd.mut_subcommand(name, relaxed);
    }
    cmd
}

/// The subcommand path, the innermost subcommand and its matches.
fn leaf_of<'a>(
    cmd: &'a Command,
    matches: &'a ArgMatches,
) -> (Vec<String>, &'a Command, &'a ArgMatches) {
    let (mut path, mut cmd, mut matches) = (Vec::new(), cmd, matches);
    while let Some((name, sub)) = matches.subcommand() {
        let Some(sub_cmd) = cmd.find_subcommand(name) else {
            break;
        };
        path.push(name.to_owned());
        (cmd, matches) = (sub_cmd, sub);
    }
    (path, cmd, matches)
}

/// Whether a flag of this kind can be set from elsewhere: values and
/// switches (not help, version or counts).
fn settable(action: &ArgAction) -> bool {
    matches!(
        action,
        ArgAction::Set | ArgAction::Append | ArgAction::SetTrue | ArgAction::SetFalse
    )
}

#[cfg(test)]
mod tests;
