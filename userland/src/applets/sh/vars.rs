//! Shell variables: the environment imported at start-up, plus the shell's
//! own. Names and values are bytes, as in the kernel's environment.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ffi::{c_char, CStr, CString};
use std::hash::{BuildHasherDefault, Hasher};

/// One variable.
#[derive(Debug, Clone, Default)]
pub struct Var {
    /// The value; `None` for a name that is exported but was never set
    /// (`export NAME`), which children do not see. Values imported from
    /// the environment stay where the kernel put them until changed.
    pub value: Option<Cow<'static, [u8]>>,
    /// Whether children receive it in their environment.
    pub exported: bool,
    /// Whether it is `readonly`: its value can no longer change.
    pub readonly: bool,
}

/// FNV-1a, the hash of variable names: they are short, and a keyed hash
/// would defend against nobody (whoever chooses the names runs the shell).
/// Every `$name` is a lookup; in a sorted map each cost a dozen byte-string
/// comparisons.
#[derive(Debug, Clone, Copy)]
pub struct NameHasher(u64);

impl Default for NameHasher {
    fn default() -> Self {
        NameHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// The length that `Hash` for a byte string writes before the bytes,
    /// mixed in one step rather than as eight bytes through
    /// [`Hasher::write`]: that was half the cost of hashing a short name.
    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0 ^ n as u64).wrapping_mul(0x0100_0000_01b3);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// All variables. Listings (`export -p`, `set`, the environment of a
/// program) sort them by name. Names imported from the environment are
/// borrowed from it, like their values.
#[derive(Debug, Default)]
pub struct Vars {
    map: HashMap<Cow<'static, [u8]>, Var, BuildHasherDefault<NameHasher>>,
}

extern "C" {
    /// The C library's environment: `NAME=value` strings, null-terminated.
    static environ: *const *const c_char;
}

/// The strings of this process's environment. They live as long as the
/// process: those the kernel placed on the stack are never freed, and
/// glibc never frees strings it added (`setenv` leaks the old ones). The
/// shell changes its children's environment, never its own.
fn environment() -> impl Iterator<Item = &'static [u8]> {
    // SAFETY: `environ` is a null-terminated array of C strings that no
    // thread modifies while the shell starts (ibox is single-threaded, and
    // the unit tests never set variables). Each string outlives the
    // process, as above, so handing it out as `'static` is sound.
    let mut p = unsafe { environ };
    std::iter::from_fn(move || {
        if p.is_null() {
            return None;
        }
        // SAFETY: `p` points into the array, at the latest at its null end.
        let s = unsafe { *p };
        if s.is_null() {
            return None;
        }
        // SAFETY: as above; the entry is a C string, and the next slot
        // exists because this one was not the terminator.
        unsafe {
            p = p.add(1);
            Some(CStr::from_ptr(s).to_bytes())
        }
    })
}

impl Vars {
    /// Variables imported from this process's environment, all exported.
    /// Entries whose name is not a valid shell name are skipped (POSIX lets
    /// the shell drop them, and they could never be referenced).
    pub fn from_env() -> Self {
        // The strings are borrowed, not copied, into a table sized once:
        // this runs at the start of every shell, and two allocations per
        // variable were a fifth of the instructions of `sh -c true`. The
        // last of duplicate names wins. An entry without `=` is skipped,
        // as `std::env::vars_os` does.
        let mut vars = Vars {
            map: HashMap::with_capacity_and_hasher(environment().count(), Default::default()),
        };
        for entry in environment() {
            // A name cannot be empty, so a leading `=` does not end it.
            let Some(eq) = entry.iter().skip(1).position(|&c| c == b'=') else {
                continue;
            };
            let (k, v) = (&entry[..eq + 1], &entry[eq + 2..]);
            if super::lexer::is_name(k) {
                let var = Var {
                    value: Some(Cow::Borrowed(v)),
                    exported: true,
                    readonly: false,
                };
                vars.map.insert(Cow::Borrowed(k), var);
            }
        }
        vars
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &[u8]) -> Option<&[u8]> {
        self.map.get(name).and_then(|v| v.value.as_deref())
    }

    /// Sets `name` to `value`, keeping its export flag. A readonly
    /// variable is left alone: callers that can report it check
    /// [`Vars::is_readonly`] first.
    pub fn set(&mut self, name: &[u8], value: Vec<u8>) {
        // Looked up first: the name is copied only for a new variable.
        if let Some(var) = self.map.get_mut(name) {
            if !var.readonly {
                var.value = Some(Cow::Owned(value));
            }
            return;
        }
        let var = Var {
            value: Some(Cow::Owned(value)),
            ..Var::default()
        };
        self.map.insert(Cow::Owned(name.to_vec()), var);
    }

    /// Sets `name` to a copy of `value`, like [`Vars::set`], reusing the
    /// old value's buffer: a loop counter is assigned on every step, and
    /// this spares a `malloc` and a `free` each time.
    pub fn set_slice(&mut self, name: &[u8], value: &[u8]) {
        match self.map.get_mut(name) {
            Some(var) if var.readonly => {}
            Some(Var {
                value: Some(Cow::Owned(old)),
                ..
            }) => {
                old.clear();
                old.extend_from_slice(value);
            }
            _ => self.set(name, value.to_vec()),
        }
    }

    /// Whether `name` is readonly.
    pub fn is_readonly(&self, name: &[u8]) -> bool {
        self.map.get(name).is_some_and(|v| v.readonly)
    }

    /// Marks `name` readonly, creating it (unset) when missing.
    pub fn set_readonly(&mut self, name: &[u8]) {
        self.map
            .entry(Cow::Owned(name.to_vec()))
            .or_default()
            .readonly = true;
    }

    /// Marks `name` exported, creating it (unset) when missing.
    pub fn export(&mut self, name: &[u8]) {
        self.map
            .entry(Cow::Owned(name.to_vec()))
            .or_default()
            .exported = true;
    }

    /// Removes `name`, unless it is readonly.
    pub fn unset(&mut self, name: &[u8]) {
        if !self.is_readonly(name) {
            self.map.remove(name);
        }
    }

    /// The whole entry for `name`, to be put back later with
    /// [`Vars::restore`] (function-local variables).
    pub fn entry(&self, name: &[u8]) -> Option<Var> {
        self.map.get(name).cloned()
    }

    /// Puts back an entry saved with [`Vars::entry`].
    pub fn restore(&mut self, name: &[u8], var: Option<Var>) {
        match var {
            Some(v) => {
                self.map.insert(Cow::Owned(name.to_vec()), v);
            }
            None => {
                self.map.remove(name);
            }
        }
    }

    /// Every variable, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &Var)> {
        let mut all: Vec<(&[u8], &Var)> = self.map.iter().map(|(k, v)| (k.as_ref(), v)).collect();
        ibex_sort::sort_by_key(&mut all, |&(k, _)| k);
        all.into_iter()
    }

    /// The environment for a new program: `NAME=value` for each exported,
    /// set variable.
    pub fn environ(&self) -> Vec<CString> {
        self.iter()
            .filter(|(_, v)| v.exported)
            .filter_map(|(k, v)| {
                let mut entry = k.to_vec();
                entry.push(b'=');
                entry.extend_from_slice(v.value.as_deref()?);
                CString::new(entry).ok()
            })
            .collect()
    }
}

/// Quotes `s` for reading back by the shell (`export -p`, `set`): inside
/// single quotes, with each `'` written as `'\''`.
pub fn shell_quote(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    out.push(b'\'');
    for &c in s {
        if c == b'\'' {
            out.extend_from_slice(b"'\\''");
        } else {
            out.push(c);
        }
    }
    out.push(b'\'');
    out
}
