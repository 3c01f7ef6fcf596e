//! Awk's associative arrays: string keys, iterated in insertion order so
//! that `for (k in a)` is predictable.

use super::value::Value;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::rc::Rc;

/// A fast multiplicative hash (as in rustc's FxHash): awk arrays are hit
/// once per record, and SipHash's resistance to crafted keys costs more
/// than it is worth here.
#[derive(Default, Clone, Copy)]
pub struct FxBuild;

/// The hasher [`FxBuild`] makes.
pub struct Fx(u64);

impl BuildHasher for FxBuild {
    type Hasher = Fx;
    fn build_hasher(&self) -> Fx {
        Fx(0)
    }
}

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 =
                (self.0.rotate_left(5) ^ u64::from_le_bytes(b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0.rotate_left(5) ^ n as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn finish(&self) -> u64 {
        // Products only carry low bits upwards; the table indexes by the
        // low bits, so fold the high ones down (splitmix64's finaliser).
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// An array.
#[derive(Default)]
pub struct Array {
    index: HashMap<Rc<[u8]>, usize, FxBuild>,
    slots: Vec<Option<(Rc<[u8]>, Value)>>,
}

impl Array {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// The element at `key`, if present.
    pub fn get(&self, key: &[u8]) -> Option<&Value> {
        let &i = self.index.get(key)?;
        self.slots[i].as_ref().map(|(_, v)| v)
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: &[u8]) -> bool {
        self.index.contains_key(key)
    }

    /// The element at `key`, created uninitialised if absent.
    pub fn entry(&mut self, key: &[u8]) -> &mut Value {
        let i = match self.index.get(key) {
            Some(&i) => i,
            None => {
                let k: Rc<[u8]> = Rc::from(key);
                self.slots.push(Some((k.clone(), Value::Uninit)));
                self.index.insert(k, self.slots.len() - 1);
                self.slots.len() - 1
            }
        };
        match &mut self.slots[i] {
            Some((_, v)) => v,
            None => unreachable!("indexed slot is live"),
        }
    }

    /// Sets `key` to `v`.
    pub fn set(&mut self, key: &[u8], v: Value) {
        *self.entry(key) = v;
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &[u8]) {
        if let Some(i) = self.index.remove(key) {
            self.slots[i] = None;
            if self.slots.len() > 32 && self.slots.len() > 2 * self.index.len() {
                self.compact();
            }
        }
    }

    /// Removes everything.
    pub fn clear(&mut self) {
        self.index.clear();
        self.slots.clear();
    }

    /// The keys, in insertion order.
    pub fn keys(&self) -> Vec<Rc<[u8]>> {
        self.slots
            .iter()
            .flatten()
            .map(|(k, _)| k.clone())
            .collect()
    }

    fn compact(&mut self) {
        self.slots.retain(Option::is_some);
        for (i, s) in self.slots.iter().enumerate() {
            if let Some((k, _)) = s {
                self.index.insert(k.clone(), i);
            }
        }
    }
}
