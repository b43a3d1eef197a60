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

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, Command, ValueHint};

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

/// The variable's value as text; unset and empty are `None`.
fn text_var(
    env: &dyn Fn(&str) -> Option<OsString>,
    name: &str,
) -> Result<Option<String>, ConfigError> {
    match env(name) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => v.into_string().map(Some).map_err(|_| ConfigError::Value {
            from: Source::Env(name.to_owned()),
            reason: "not valid UTF-8".into(),
        }),
    }
}

/// `COORDINATOR_` + the words, in capitals, with underscores.
pub fn env_name(words: &[&str]) -> String {
    let mut name = ENV_PREFIX.to_owned();
    name.push_str(&words.join("_").to_uppercase().replace('-', "_"));
    name
}

fn from_env(
    path: &[String],
    long: &str,
    action: &ArgAction,
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<Option<(Source, Raw)>, ConfigError> {
    for depth in (0..=path.len()).rev() {
        let mut words: Vec<&str> = path[..depth].iter().map(String::as_str).collect();
        words.push(long);
        let name = env_name(&words);
        let Some(text) = text_var(env, &name)? else {
            continue;
        };
        let source = Source::Env(name);
        let raw = match action {
            ArgAction::SetTrue | ArgAction::SetFalse => match switch(&text) {
                Some(on) => Raw::Switch(on),
                None => {
                    return Err(ConfigError::Value {
                        from: source,
                        reason: format!(
                            "{text:?}: expected 1, true, yes or on, or 0, false, no or off"
                        ),
                    });
                }
            },
            ArgAction::Append => Raw::Values(
                text.split(',')
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            _ => Raw::Values(vec![text]),
        };
        return Ok(Some((source, raw)));
    }
    Ok(None)
}

fn switch(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// A parsed config file.
#[derive(Debug)]
struct ConfigFile {
    path: PathBuf,
    table: toml::Table,
}

impl ConfigFile {
    fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
        let bad = |reason: String| ConfigError::File {
            path: path.to_path_buf(),
            reason,
        };
        let meta = std::fs::metadata(path).map_err(|e| bad(format!("cannot read it: {e}")))?;
        if meta.len() > MAX_FILE {
            return Err(bad(format!(
                "{} bytes; a config file is at most {MAX_FILE}",
                meta.len()
            )));
        }
        let text =
            std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read it: {e}")))?;
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| bad(format!("not valid TOML: {e}")))?;
        Ok(ConfigFile {
            path: path.to_path_buf(),
            table,
        })
    }

    /// Refuses keys that are no flag of the table's subcommand (or of its
    /// subcommands), with what they could have been.
    fn check_keys(&self, cmd: &Command) -> Result<(), ConfigError> {
        check_table(&self.table, cmd, &[]).map_err(|reason| ConfigError::File {
            path: self.path.clone(),
            reason,
        })
    }

    /// The value for flag `long` of the subcommand at `path`: from its own
    /// table first, then the enclosing ones.
    fn lookup(
        &self,
        path: &[String],
        long: &str,
        action: &ArgAction,
        is_path: bool,
    ) -> Result<Option<(Source, Raw)>, ConfigError> {
        for depth in (0..=path.len()).rev() {
            let Some(table) = path[..depth]
                .iter()
                .try_fold(&self.table, |t, name| t.get(name)?.as_table())
            else {
                continue;
            };
            let underscored = long.replace('-', "_");
            let Some((key, value)) = [long, underscored.as_str()]
                .into_iter()
                .find_map(|k| table.get(k).map(|v| (k, v)))
            else {
                continue;
            };
            // `chain = {...}` at the top is the `chain` subcommand's table,
            // not `run --chain`.
            if value.is_table() {
                continue;
            }
            let mut dotted: Vec<&str> = path[..depth].iter().map(String::as_str).collect();
            dotted.push(key);
            let source = Source::File {
                path: self.path.clone(),
                key: dotted.join("."),
            };
            let raw = self.raw(&source, value, action, is_path)?;
            return Ok(Some((source, raw)));
        }
        Ok(None)
    }

    fn raw(
        &self,
        source: &Source,
        value: &toml::Value,
        action: &ArgAction,
        is_path: bool,
    ) -> Result<Raw, ConfigError> {
        let refuse = |reason: &str| ConfigError::Value {
            from: source.clone(),
            reason: reason.to_owned(),
        };
        let scalar = |v: &toml::Value| -> Result<String, ConfigError> {
            let text = match v {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                toml::Value::Datetime(d) => d.to_string(),
                toml::Value::Array(_) | toml::Value::Table(_) => {
                    return Err(refuse("expected a value, not a list or a table"));
                }
            };
            Ok(if is_path { self.relative(&text) } else { text })
        };
        match (action, value) {
            (ArgAction::SetTrue | ArgAction::SetFalse, toml::Value::Boolean(b)) => {
                Ok(Raw::Switch(*b))
            }
            (ArgAction::SetTrue | ArgAction::SetFalse, _) => {
                Err(refuse("a switch: expected true or false"))
            }
            (ArgAction::Append, toml::Value::Array(items)) => Ok(Raw::Values(
                items.iter().map(scalar).collect::<Result<_, _>>()?,
            )),
            (_, toml::Value::Array(_)) => Err(refuse("takes one value, not a list")),
            (_, v) => Ok(Raw::Values(vec![scalar(v)?])),
        }
    }

    /// A path from the file, relative to the file's directory (a URL, such
    /// as a database's, stays as it is).
    fn relative(&self, text: &str) -> String {
        let p = Path::new(text);
        match self.path.parent() {
            Some(dir)
                if p.is_relative() && !dir.as_os_str().is_empty() && !text.contains("://") =>
            {
                dir.join(p).to_string_lossy().into_owned()
            }
            _ => text.to_owned(),
        }
    }
}

/// Whether a flag of this kind can be set from elsewhere: values and
/// switches (not help, version or counts).
fn settable(action: &ArgAction) -> bool {
    matches!(
        action,
        ArgAction::Set | ArgAction::Append | ArgAction::SetTrue | ArgAction::SetFalse
    )
}

/// The long names of every settable flag of `cmd` and its subcommands.
fn flag_names(cmd: &Command, out: &mut Vec<String>) {
    for arg in cmd.get_arguments() {
        if let Some(long) = arg.get_long()
            && arg.get_id().as_str() != CONFIG_ARG
            && settable(arg.get_action())
            && !out.iter().any(|n| n == long)
        {
            out.push(long.to_owned());
        }
    }
    for sub in cmd.get_subcommands() {
        flag_names(sub, out);
    }
}

fn check_table(table: &toml::Table, cmd: &Command, path: &[&str]) -> Result<(), String> {
    let mut names = Vec::new();
    flag_names(cmd, &mut names);
    let place = if path.is_empty() {
        "at the top".to_owned()
    } else {
        format!("in [{}]", path.join("."))
    };
    for (key, value) in table {
        if let (Some(sub), toml::Value::Table(inner)) = (cmd.find_subcommand(key), value) {
            let mut deeper = path.to_vec();
            deeper.push(key);
            check_table(inner, sub, &deeper)?;
            continue;
        }
        let flag = key.replace('_', "-");
        if names.contains(&flag) {
            continue;
        }
        let whose = if path.is_empty() {
            "no subcommand has it".to_owned()
        } else {
            format!("`coordinator {}` has no --{flag}", path.join(" "))
        };
        return Err(format!(
            "unknown key {key:?} {place}: {whose} (keys are flags' long names: {})",
            names.join(", ")
        ));
    }
    Ok(())
}

/// The environment of this process, for [`parse`].
pub fn process_env(name: &str) -> Option<OsString> {
    std::env::var_os(OsStr::new(name))
}

#[cfg(test)]
mod tests;
