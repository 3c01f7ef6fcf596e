//! Which applets go into an image's `ibox`, as cargo features.
//!
//! ibox has one cargo feature per applet name (`userland/Cargo.toml`, see
//! `userland/src/applets/mod.rs`), all on by default. An image that lists
//! its applets gets an ibox built with only those features, so that the
//! code of the others is not in its root filesystem at all; `"*"` keeps
//! the default, every applet. The manifest is read rather than a list kept
//! here, so that an applet added to ibox needs no change in the linker.

use std::fmt;
use std::path::{Path, PathBuf};

/// Applets every image gets whatever it lists: PID 1 is ibox's `init`
/// (the kernel's `/init`, a container's entrypoint).
pub const ALWAYS: &[&str] = &["init"];

/// Features of ibox's manifest that are not applets.
const NOT_APPLETS: &[&str] = &["default", "all"];

/// Why an image's applets could not be turned into features.
#[derive(Debug)]
pub enum AppletError {
    /// `userland/Cargo.toml` could not be read.
    Read(PathBuf, std::io::Error),
    /// `userland/Cargo.toml` is not TOML, or has no `[features]` table.
    Manifest(PathBuf, String),
    /// The image lists a name that is not one of ibox's applets.
    Unknown {
        /// The image that lists it.
        image: String,
        /// The name it lists.
        applet: String,
    },
}

impl fmt::Display for AppletError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppletError::Read(path, e) => write!(f, "{}: {e}", path.display()),
            AppletError::Manifest(path, msg) => write!(f, "{}: {msg}", path.display()),
            AppletError::Unknown { image, applet } => write!(
                f,
                "image '{image}' lists applet '{applet}', which ibox does not have \
                 (no such feature in userland/Cargo.toml)"
            ),
        }
    }
}

impl std::error::Error for AppletError {}

/// The features to build ibox with for an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// The image lists `"*"`: ibox's default features, every applet.
    All,
    /// Only these features (sorted, without duplicates), with
    /// `--no-default-features`.
    Only(Vec<String>),
}

impl Selection {
    /// The features for an image's `applets` list, checked against the
    /// features of ibox's manifest in the checkout at `root`.
    pub fn for_image(root: &Path, image: &str, applets: &[String]) -> Result<Self, AppletError> {
        if applets.iter().any(|a| a == "*") {
            return Ok(Selection::All);
        }
        let path = root.join("userland/Cargo.toml");
        let text =
            std::fs::read_to_string(&path).map_err(|e| AppletError::Read(path.clone(), e))?;
        let known = manifest_features(&text).map_err(|msg| AppletError::Manifest(path, msg))?;
        Self::from_list(image, applets, &known)
    }

    /// [`Selection::for_image`] with the manifest's features given.
    pub fn from_list(
        image: &str,
        applets: &[String],
        known: &[String],
    ) -> Result<Self, AppletError> {
        let mut features: Vec<String> = ALWAYS.iter().map(|a| a.to_string()).collect();
        for applet in applets {
            let feature = feature_of(applet);
            if NOT_APPLETS.contains(&feature) || !known.iter().any(|k| k == feature) {
                return Err(AppletError::Unknown {
                    image: image.into(),
                    applet: applet.clone(),
                });
            }
            features.push(feature.into());
        }
        features.sort();
        features.dedup();
        Ok(Selection::Only(features))
    }

    /// Arguments for `cargo build` that select these features.
    pub fn cargo_args(&self) -> Vec<String> {
        match self {
            Selection::All => Vec::new(),
            Selection::Only(features) => vec![
                "--no-default-features".into(),
                "--features".into(),
                features.join(","),
            ],
        }
    }

    /// The cargo target directory for builds with these features, under
    /// `target`. Each feature set has its own: builds of different sets
    /// then neither evict each other's artifacts nor overwrite the `ibox`
    /// another build (a parallel test, say) is about to read, at the price
    /// of compiling the dependencies once per set.
    pub fn target_dir(&self, target: &Path) -> PathBuf {
        match self {
            Selection::All => target.join("device"),
            Selection::Only(features) => {
                let digest = crate::oci::sha256(features.join(",").as_bytes());
                let hex = digest.trim_start_matches("sha256:");
                target.join(format!("device-{}", &hex[..hex.len().min(16)]))
            }
        }
    }
}

/// The feature that brings an applet in: its own name, but for `[`,
/// which is `test` (a feature name cannot be `[`).
fn feature_of(applet: &str) -> &str {
    if applet == "[" {
        "test"
    } else {
        applet
    }
}

/// The names in a manifest's `[features]` table.
fn manifest_features(text: &str) -> Result<Vec<String>, String> {
    let manifest: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let features = manifest
        .get("features")
        .and_then(toml::Value::as_table)
        .ok_or("no [features] table")?;
    Ok(features.keys().cloned().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<String> {
        [
            "default", "all", "cat", "init", "sh", "test", "egrep", "grep",
        ]
        .map(String::from)
        .to_vec()
    }

    fn list(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn star_is_every_applet() {
        let root = Path::new("/nonexistent");
        let sel = Selection::for_image(root, "x", &list(&["cat", "*"])).unwrap();
        assert_eq!(sel, Selection::All);
        assert!(sel.cargo_args().is_empty());
        assert_eq!(sel.target_dir(Path::new("t")), Path::new("t/device"));
    }

    #[test]
    fn a_list_is_its_features_and_init() {
        let sel = Selection::from_list("x", &list(&["sh", "[", "cat", "egrep"]), &known()).unwrap();
        assert_eq!(
            sel,
            Selection::Only(list(&["cat", "egrep", "init", "sh", "test"]))
        );
        assert_eq!(
            sel.cargo_args(),
            list(&[
                "--no-default-features",
                "--features",
                "cat,egrep,init,sh,test"
            ])
        );
    }

    #[test]
    fn feature_sets_have_target_dirs_of_their_own() {
        let t = Path::new("t");
        let a = Selection::from_list("x", &list(&["cat"]), &known()).unwrap();
        let b = Selection::from_list("x", &list(&["sh"]), &known()).unwrap();
        let a2 = Selection::from_list("x", &list(&["cat", "init", "cat"]), &known()).unwrap();
        assert_ne!(a.target_dir(t), b.target_dir(t));
        assert_eq!(a.target_dir(t), a2.target_dir(t));
        assert!(a.target_dir(t).starts_with(t));
    }

    #[test]
    fn unknown_applets_and_non_applet_features_are_refused() {
        for bad in ["frobnicate", "all", "default", ""] {
            let err = Selection::from_list("img", &list(&["cat", bad]), &known()).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains("image 'img'"), "{msg}");
            assert!(msg.contains(&format!("'{bad}'")), "{msg}");
        }
    }

    /// The checkout's own manifest: every image's list resolves.
    #[test]
    fn the_checkouts_images_resolve() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for entry in std::fs::read_dir(root.join("images")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let name = path.file_stem().unwrap().to_string_lossy().to_string();
                let image = crate::definitions::Image::load(&root, &name).unwrap();
                Selection::for_image(&root, &name, &image.applets)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
            }
        }
    }

    #[test]
    fn a_broken_manifest_is_an_error() {
        assert!(manifest_features("[package]\nname = 'x'\n").is_err());
        assert!(manifest_features("not toml [").is_err());
        assert_eq!(
            manifest_features("[features]\na = []\nb = ['a']\n").unwrap(),
            list(&["a", "b"])
        );
    }
}
