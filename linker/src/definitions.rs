//! Board and image definitions: the TOML files in `boards/` and `images/`,
//! read strictly (unknown fields are errors) and checked before any build.

use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// A board: the hardware an image runs on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Board {
    /// Name; must match the file name.
    pub name: String,
    /// One line for people.
    pub description: String,
    /// CPU architecture as Linux distributions name it.
    pub arch: String,
    /// Rust target triple of the device binaries.
    pub rust_target: String,
    /// Console device name under /dev (`ttyS0`).
    pub console: String,
    /// Console speed.
    pub baud: u32,
    /// How to build its kernel.
    pub kernel: KernelDef,
    /// How to boot it under emulation, where QEMU can.
    pub qemu: Option<QemuDef>,
    /// Hardening rules of `ibex kernel check` this board cannot meet.
    #[serde(default)]
    pub hardening: HardeningDef,
}

/// Waived hardening rules, each with the reason a person reviewed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HardeningDef {
    /// Rule name (as `ibex kernel check` prints it) → why it is waived.
    #[serde(default)]
    pub waive: std::collections::BTreeMap<String, String>,
}

/// The kernel part of a board definition.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KernelDef {
    /// Kernel `ARCH=`.
    pub arch: String,
    /// `CROSS_COMPILE=` prefix, empty for native.
    pub cross_compile: String,
    /// Fragment names under `kernel/config/`, merged in order.
    pub fragments: Vec<String>,
    /// make target producing the boot image.
    pub make_target: String,
    /// Path of that image inside the build tree.
    pub image: String,
    /// File name of the image in the output directory.
    pub image_name: String,
}

/// How QEMU boots a board.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QemuDef {
    /// Emulator binary.
    pub binary: String,
    /// Debian package providing it.
    pub package: String,
    /// `-M` value.
    pub machine: String,
    /// Guest memory.
    pub memory_mb: u32,
}

/// An image profile: what runs on the board.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Image {
    /// Name; must match the file name.
    pub name: String,
    /// One line for people.
    pub description: String,
    /// Host name of the running system.
    pub hostname: String,
    /// Applets linked into the root filesystem; `"*"` means all.
    pub applets: Vec<String>,
    /// Services started by init, in order.
    #[serde(default, rename = "service")]
    pub services: Vec<ServiceDef>,
}

/// One service in an image definition.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceDef {
    /// Name in logs.
    pub name: String,
    /// Absolute program path and arguments.
    pub command: Vec<String>,
    /// `"console"` for the board's console, a device path, or absent.
    pub tty: Option<String>,
    /// `"always"` or `"never"`.
    pub restart: RestartDef,
}

/// Restart policy as written in definitions.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RestartDef {
    /// Restart whenever it exits.
    Always,
    /// Run once.
    Never,
}

/// A definition that could not be used.
#[derive(Debug)]
pub struct DefinitionError {
    /// The file at fault.
    pub path: PathBuf,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for DefinitionError {}

fn load<T: for<'de> Deserialize<'de>>(
    dir: &Path,
    kind: &str,
    name: &str,
) -> Result<(T, PathBuf), DefinitionError> {
    let path = dir.join(format!("{name}.toml"));
    let err = |message: String| DefinitionError {
        path: path.clone(),
        message,
    };
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return Err(err(format!("'{name}' is not a valid {kind} name")));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| {
        let known = list(dir).join(", ");
        err(format!("no such {kind} ({e}); known: {known}"))
    })?;
    let value = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
    Ok((value, path))
}

/// Names of the definitions (`*.toml`) in `dir`, sorted.
pub fn list(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".toml"))
                .map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

impl Board {
    /// Reads and checks `boards/<name>.toml`.
    pub fn load(root: &Path, name: &str) -> Result<Board, DefinitionError> {
        let (board, path): (Board, _) = load(&root.join("boards"), "board", name)?;
        let err = |message: String| DefinitionError {
            path: path.clone(),
            message,
        };
        if board.name != name {
            return Err(err(format!(
                "name '{}' does not match the file name",
                board.name
            )));
        }
        for rule in board.hardening.waive.keys() {
            if !ibex_kernel::check::RULES.iter().any(|r| r.name == rule) {
                return Err(err(format!("waives unknown hardening rule '{rule}'")));
            }
        }
        for fragment in &board.kernel.fragments {
            let f = root
                .join("kernel/config")
                .join(format!("{fragment}.config"));
            if !f.is_file() {
                return Err(err(format!(
                    "kernel fragment {} does not exist",
                    f.display()
                )));
            }
        }
        Ok(board)
    }
}

impl Image {
    /// Reads and checks `images/<name>.toml`.
    pub fn load(root: &Path, name: &str) -> Result<Image, DefinitionError> {
        let (image, path): (Image, _) = load(&root.join("images"), "image", name)?;
        let err = |message: String| DefinitionError {
            path: path.clone(),
            message,
        };
        if image.name != name {
            return Err(err(format!(
                "name '{}' does not match the file name",
                image.name
            )));
        }
        if !valid_hostname(&image.hostname) {
            return Err(err(format!(
                "'{}' is not a valid host name",
                image.hostname
            )));
        }
        let mut seen = std::collections::HashSet::new();
        for service in &image.services {
            if !seen.insert(service.name.as_str()) {
                return Err(err(format!("service '{}' is defined twice", service.name)));
            }
            match service.command.first() {
                Some(program) if program.starts_with('/') => {}
                _ => {
                    return Err(err(format!(
                        "service '{}': command must start with an absolute program path",
                        service.name
                    )))
                }
            }
        }
        Ok(image)
    }
}

/// RFC 1123 host name: labels of letters, digits and hyphens, 1–63 bytes each.
fn valid_hostname(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names() {
        assert!(valid_hostname("ibex"));
        assert!(valid_hostname("router-1.lan"));
        assert!(!valid_hostname(""));
        assert!(!valid_hostname("-x"));
        assert!(!valid_hostname("a b"));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let text = "name='x'\ndescription=''\nhostname='x'\napplets=[]\ncolour='red'\n";
        let e = toml::from_str::<Image>(text).unwrap_err().to_string();
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn repository_definitions_load() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for name in list(&root.join("boards")) {
            Board::load(&root, &name).unwrap();
        }
        for name in list(&root.join("images")) {
            Image::load(&root, &name).unwrap();
        }
    }
}
