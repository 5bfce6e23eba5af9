//! Failures a user can act on: one line naming the remedy, and a distinct exit code.
use std::fmt;

/// What went wrong, which decides the exit code (sysexits.h numbering where one fits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Bad command line: unknown syscall name, conflicting options.
    Usage,
    /// A pid given with --pid does not exist.
    NoSuchProcess,
    /// The kernel lacks something we need (BTF, ring buffer, tracepoint).
    Unsupported,
    /// Loading or attaching the BPF programs failed for another reason.
    Kernel,
    /// The output file cannot be created or written.
    Output,
    /// Not root, or missing CAP_BPF / CAP_PERFMON.
    Permission,
    /// The command to launch was not found.
    CommandNotFound,
    /// The command was found but could not be executed.
    CommandNotExecutable,
    /// Another daemon holds the state directory.
    Busy,
}

impl Kind {
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Usage => 64,
            Kind::NoSuchProcess => 66,
            Kind::Unsupported => 69,
            Kind::Kernel => 70,
            Kind::Output => 73,
            Kind::Busy => 75,
            Kind::Permission => 77,
            Kind::CommandNotExecutable => 126,
            Kind::CommandNotFound => 127,
        }
    }
}

/// An error meant for the user: the message already says what to do.
#[derive(Debug)]
pub struct UserError {
    pub kind: Kind,
    pub message: String,
}

impl UserError {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        UserError {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UserError {}

/// Shorthand: `Err(user(Kind::Usage, "..."))?`.
pub fn user(kind: Kind, message: impl Into<String>) -> anyhow::Error {
    UserError::new(kind, message).into()
}

/// The exit code and the one line to print for any error that reaches main.
pub fn report(err: &anyhow::Error) -> (u8, String) {
    match err.downcast_ref::<UserError>() {
        Some(u) => (u.kind.exit_code(), u.message.clone()),
        None => (1, format!("{err:#}")),
    }
}
