//! How a command ends when it cannot do its work, sorted by whose move it
//! is: bad input ([`UsageError`], exit status 2: change the command line or
//! the file it names) or a failure while running ([`Failure`], exit status
//! 1: the input was fine, the machine or a peer was not). Both print as
//! `error: ...` on stderr.

use std::io;
use std::process::ExitCode;

/// Bad input: what the user typed, or a file or address it names, cannot
/// work. Exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// A flag's value that cannot be used, or flags that exclude each other.
    #[error("{0}")]
    Flag(String),
    /// The cluster key: missing, unreadable, or not a key.
    #[error("{0}")]
    Key(String),
    /// A file or directory named on the command line that cannot be used.
    #[error("{0}")]
    Path(String),
    /// The chain service refused the request as invalid (a transaction
    /// that does not apply, a malformed query): what was asked cannot work.
    #[error("{0}")]
    Refused(String),
    /// An address named on the command line that cannot be bound.
    #[error("{flag} {addr}: {source}")]
    Address {
        /// The flag that named it.
        flag: &'static str,
        /// The address as given.
        addr: String,
        /// Why it could not be bound.
        source: io::Error,
    },
}

/// A failure while running, with input that was fine. Exit status 1.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The operating system refused something the command needs: the async
    /// runtime, sockets of its own.
    #[error("cannot start {what}: {source}")]
    Resources {
        /// What could not be started.
        what: String,
        /// Why.
        source: io::Error,
    },
    /// The scanning threads asked for could not all be started.
    #[error("{0}; try fewer --threads")]
    Threads(#[from] crate::mining::SpawnError),
    /// The operating system's random source failed.
    #[error(transparent)]
    Random(#[from] crate::random::RandomError),
    /// A kernel backend failed its known-answer test on this CPU.
    #[error(transparent)]
    SelfTest(#[from] protocol::kernel::SelfTestFailed),
    /// A part that was running stopped with an error.
    #[error("{what} stopped: {source}")]
    Stopped {
        /// What stopped.
        what: String,
        /// Why.
        source: io::Error,
    },
}

impl Failure {
    /// `what` could not be started because of `source`.
    pub fn resources(what: impl Into<String>, source: io::Error) -> Failure {
        Failure::Resources {
            what: what.into(),
            source,
        }
    }
}

/// Either kind: what every command returns besides its own exit status.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// Bad input (exit status 2).
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// A failure while running (exit status 1).
    #[error(transparent)]
    Failed(#[from] Failure),
}

impl CommandError {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CommandError::Usage(_) => ExitCode::from(2),
            CommandError::Failed(_) => ExitCode::from(1),
        }
    }
}
