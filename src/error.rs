//! The library's error type. Messages are lowercase, name the offending value in
//! backticks and chain their cause, so `{:#}` prints the whole story.

use std::path::PathBuf;

/// Anything that can go wrong inside dana.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller sent something we cannot use; the message names the field.
    #[error("{0}")]
    Invalid(String),

    /// A named thing (project, phase, playbook, artifact, datasource) does not exist.
    #[error("{what} `{name}` not found{hint}")]
    NotFound {
        what: &'static str,
        name: String,
        hint: String,
    },

    /// A playbook file failed to parse or validate.
    #[error("playbook `{file}{location}`: {message}")]
    Playbook {
        file: String,
        location: String,
        message: String,
    },

    /// A template failed to load or render.
    #[error("template `{name}`: {source:#}")]
    Template {
        name: String,
        #[source]
        source: minijinja::Error,
    },

    /// The configuration file is wrong.
    #[error("config `{path}`: {message}")]
    Config { path: PathBuf, message: String },

    /// The state store failed. The text is redacted when the error is built (no password,
    /// no URL with credentials: see [`crate::store::redact`]), and the driver's error is
    /// not kept as a source, so no chain printer can show it either.
    #[error("state store: {0}")]
    Store(String),

    /// A store migration failed (redacted like [`Error::Store`]).
    #[error("state store migration: {0}")]
    Migrate(String),

    /// The protocol refused the request (a gate is not approved, a phase is out of order).
    #[error("{0}")]
    Protocol(String),

    /// A live datasource failed (connection, timeout, refused statement). The message
    /// never holds credentials: it is redacted where it is built (`crate::live`).
    #[error("datasource `{name}`: {message}")]
    Datasource {
        name: String,
        message: String,
        /// What failed: one statement, or the datasource itself (timeout, connection).
        failure: crate::live::Failure,
    },

    /// A file could not be read or written.
    #[error("{action} `{path}`: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::Invalid(message.into())
    }

    /// Shorthand for [`Error::NotFound`] with the list of valid names as a hint.
    pub fn not_found<I, S>(what: &'static str, name: impl Into<String>, valid: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let valid: Vec<String> = valid
            .into_iter()
            .map(|s| format!("`{}`", s.as_ref()))
            .collect();
        let hint = if valid.is_empty() {
            String::new()
        } else {
            format!("; valid: {}", valid.join(", "))
        };
        Error::NotFound {
            what,
            name: name.into(),
            hint,
        }
    }

    /// Wraps an I/O error with what we were doing and where.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Store(crate::store::redact(&e.to_string()))
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Error::Migrate(crate::store::redact(&e.to_string()))
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
