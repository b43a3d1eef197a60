//! The environment's layer: which variables name a flag (`COORDINATOR_`,
//! then the subcommand's path, then the flag) and how their text reads as
//! values, lists and switches. Apart from the file's layer, which shares
//! only what a found value is (`Raw`, `Source`).

use std::ffi::{OsStr, OsString};

use clap::ArgAction;

use super::{ConfigError, ENV_PREFIX, Raw, Source};

/// The variable's value as text; unset and empty are `None`.
pub(super) fn text_var(
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

pub(super) fn from_env(
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

/// The environment of this process, for [`super::parse`].
pub fn process_env(name: &str) -> Option<OsString> {
    std::env::var_os(OsStr::new(name))
}
