//! The host side of Ibex: reads board and image definitions, builds the
//! device binaries, the root filesystem and the kernel, links them into one
//! bootable file, and boots it under QEMU; and it builds, signs and indexes
//! packages (`pkg`). The `ibex` binary is a thin CLI
//! over this library; the integration tests use the library directly.

pub mod accounts;
pub mod applets;
pub mod build;
pub mod cpio;
pub mod definitions;
pub mod disk;
pub mod etc_manifest;
pub mod flash;
pub mod image_packages;
pub mod kernel_edit;
pub mod oci;
pub mod overlay;
pub mod pkg;
pub mod qemu;
pub mod release;
pub mod services;

use std::fmt;
use std::path::{Path, PathBuf};

/// Everything `ibex` can fail with.
#[derive(Debug)]
pub enum Error {
    /// A board or image definition is missing or wrong.
    Definition(definitions::DefinitionError),
    /// The kernel could not be configured or built.
    Kernel(ibex_kernel::Error),
    /// The root filesystem could not be archived.
    Cpio(cpio::CpioError),
    /// A file could not be read or written.
    Io(PathBuf, std::io::Error),
    /// An external tool is missing or failed.
    Tool(String),
    /// The definitions are individually fine but do not fit together.
    Invalid(String),
    /// An image's applets are not all ibox's.
    Applets(applets::AppletError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Definition(e) => e.fmt(f),
            Error::Kernel(e) => e.fmt(f),
            Error::Cpio(e) => e.fmt(f),
            Error::Applets(e) => e.fmt(f),
            Error::Io(path, e) => write!(f, "{}: {e}", path.display()),
            Error::Tool(msg) | Error::Invalid(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for Error {}

impl From<definitions::DefinitionError> for Error {
    fn from(e: definitions::DefinitionError) -> Self {
        Error::Definition(e)
    }
}

impl From<ibex_kernel::Error> for Error {
    fn from(e: ibex_kernel::Error) -> Self {
        Error::Kernel(e)
    }
}

impl From<applets::AppletError> for Error {
    fn from(e: applets::AppletError) -> Self {
        Error::Applets(e)
    }
}

impl From<cpio::CpioError> for Error {
    fn from(e: cpio::CpioError) -> Self {
        Error::Cpio(e)
    }
}

impl Error {
    /// Adapter for `map_err` that remembers which path failed.
    pub fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
        move |e| Error::Io(path.to_path_buf(), e)
    }
}

/// The project checkout: the nearest ancestor of the current directory with
/// `boards/` and `kernel/config/`, else the checkout this tool was built from.
pub fn project_root() -> Result<PathBuf, Error> {
    let is_root = |p: &Path| p.join("boards").is_dir() && p.join("kernel/config").is_dir();
    if let Ok(cwd) = std::env::current_dir() {
        if let Some(found) = cwd.ancestors().find(|p| is_root(p)) {
            return Ok(found.to_path_buf());
        }
    }
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if is_root(&built_from) {
        return Ok(built_from.canonicalize().unwrap_or(built_from));
    }
    Err(Error::Invalid(
        "not inside an Ibex checkout (no boards/ and kernel/config/ found)".into(),
    ))
}
