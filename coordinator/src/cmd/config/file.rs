//! The file's layer: a TOML file read within its size bound, its keys
//! checked against every flag of the command line, and the value for one
//! flag found in the subcommand's table or an enclosing one. Apart from the
//! layering, which only asks it for a flag's value.

use std::path::{Path, PathBuf};

use clap::{ArgAction, Command};

use super::{CONFIG_ARG, ConfigError, MAX_FILE, Raw, Source, settable};

/// A parsed config file.
#[derive(Debug)]
pub(super) struct ConfigFile {
    path: PathBuf,
    table: toml::Table,
}

impl ConfigFile {
    pub(super) fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
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
    pub(super) fn check_keys(&self, cmd: &Command) -> Result<(), ConfigError> {
        check_table(&self.table, cmd, &[]).map_err(|reason| ConfigError::File {
            path: self.path.clone(),
            reason,
        })
    }

    /// The value for flag `long` of the subcommand at `path`: from its own
    /// table first, then the enclosing ones.
    pub(super) fn lookup(
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
