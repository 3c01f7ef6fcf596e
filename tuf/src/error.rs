//! Why a repository or a target is refused.

use core::fmt;

/// The four top-level roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Signs the keys of every role.
    Root,
    /// Signs the list of targets.
    Targets,
    /// Signs the versions of every targets metadata file.
    Snapshot,
    /// Signs the current snapshot, often, with short expiry.
    Timestamp,
}

impl Role {
    /// The role's name in metadata (`"root"`, ...) and its file name stem.
    pub fn name(self) -> &'static str {
        match self {
            Role::Root => "root",
            Role::Targets => "targets",
            Role::Snapshot => "snapshot",
            Role::Timestamp => "timestamp",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a repository, a metadata file or a target is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Not JSON, or not the metadata the role needs; says what.
    BadJson {
        /// The file's role.
        role: Role,
        /// What is wrong.
        what: String,
    },
    /// The role's metadata is past its `expires` time.
    Expired {
        /// The expired role.
        role: Role,
    },
    /// The metadata's version is older than one trusted before, or not
    /// the one its parent role names.
    Rollback {
        /// The role.
        role: Role,
        /// The version this client had or expected.
        trusted: u64,
        /// The version it was given.
        got: u64,
    },
    /// Fewer valid signatures from the role's keys than its threshold.
    Signature {
        /// The role.
        role: Role,
        /// Valid signatures from distinct keys.
        valid: u32,
        /// The role's threshold.
        threshold: u32,
    },
    /// The trusted root gives a role a threshold of zero, or lists keys it
    /// does not define.
    Threshold {
        /// The role.
        role: Role,
    },
    /// A metadata file or target does not have the SHA-256 its parent names.
    Hash {
        /// The file.
        name: String,
    },
    /// A metadata file or target has another length than its parent names.
    Length {
        /// The file.
        name: String,
        /// The length named.
        expected: u64,
        /// The length received.
        got: u64,
    },
    /// A file is larger than this client accepts.
    TooLarge {
        /// The file.
        name: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// Fetching a file failed.
    Fetch {
        /// The file.
        name: String,
        /// Why, as the fetcher said.
        reason: String,
    },
    /// No target by that name in the repository.
    NoTarget {
        /// The name asked for.
        name: String,
    },
    /// The state given to the client is not valid JSON of [`crate::State`].
    BadState,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadJson { role, what } => write!(f, "{role} metadata: {what}"),
            Error::Expired { role } => write!(f, "{role} metadata has expired"),
            Error::Rollback { role, trusted, got } => write!(
                f,
                "{role} metadata version {got} refused: version {trusted} is trusted or expected"
            ),
            Error::Signature {
                role,
                valid,
                threshold,
            } => write!(
                f,
                "{role} metadata: {valid} valid signature(s), {threshold} needed"
            ),
            Error::Threshold { role } => {
                write!(f, "the root gives role {role} no usable keys or threshold")
            }
            Error::Hash { name } => write!(f, "{name}: SHA-256 does not match the metadata"),
            Error::Length {
                name,
                expected,
                got,
            } => write!(f, "{name}: {got} bytes, the metadata says {expected}"),
            Error::TooLarge { name, limit } => write!(f, "{name}: larger than {limit} bytes"),
            Error::Fetch { name, reason } => write!(f, "{name}: {reason}"),
            Error::NoTarget { name } => write!(f, "no target '{name}' in the repository"),
            Error::BadState => f.write_str("the trusted state file is damaged"),
        }
    }
}

impl std::error::Error for Error {}
