//! Sorting with one compiled copy of the sort for the whole program.
//!
//! The standard library's sorts are generic over the element and the
//! comparison: every `sort_by` with its own closure compiles its own copy
//! of driftsort or ipnsort, 2 to 6 KB each at `opt-level = "z"`. ibox had
//! about 25 of them, some 100 KB of its code, for sorting directory
//! entries, names and a few dozen records. Here the elements' positions
//! are sorted instead (one `[usize]` sort behind a `dyn` comparison, so
//! one copy), and the elements are then moved into that order by a small
//! generic loop. Each call costs an index vector and an indirect call per
//! comparison, nothing where lists are short; the `sort` applet, whose
//! speed is the point, keeps the standard sort.
//!
//! All the functions here are stable: equal elements keep their order.

use std::cmp::Ordering;

/// Sorts `items` by `compare`, stably.
pub fn sort_by<T>(items: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    if items.len() < 2 {
        return;
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    sort_positions(&mut order, &mut |a, b| compare(&items[a], &items[b]));
    permute(items, &mut order);
}

/// Sorts `items` by the key `key` gives each, stably.
pub fn sort_by_key<T, K: Ord>(items: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `items` in their natural order, stably.
pub fn sort<T: Ord>(items: &mut [T]) {
    sort_by(items, T::cmp);
}

/// The one copy of the standard sort: positions, by a comparison of the
/// elements at them.
#[inline(never)]
fn sort_positions(order: &mut [usize], compare: &mut dyn FnMut(usize, usize) -> Ordering) {
    order.sort_by(|&a, &b| compare(a, b));
}

/// Moves the elements so that position `i` holds the one that was at
/// `order[i]`, following each cycle of the permutation with swaps; `order`
/// is used up.
fn permute<T>(items: &mut [T], order: &mut [usize]) {
    for start in 0..order.len() {
        let mut at = start;
        loop {
            let from = order[at];
            // Marks the position done; a cycle ends where it began.
            order[at] = at;
            if from == start || from == at {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator, so the tests need no crate.
    fn numbers(seed: u64, n: usize, range: u64) -> Vec<u64> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x % range
            })
            .collect()
    }

    #[test]
    fn sorts_like_the_standard_stable_sort() {
        for (seed, n, range) in [
            (1, 0, 1),
            (2, 1, 5),
            (3, 2, 2),
            (4, 50, 5),
            (5, 1000, 1000),
            (6, 3000, 7),
        ] {
            // Pairs of (key, original position) show stability.
            let mut ours: Vec<(u64, usize)> = numbers(seed, n, range)
                .into_iter()
                .enumerate()
                .map(|(i, k)| (k, i))
                .collect();
            let mut std = ours.clone();
            sort_by_key(&mut ours, |p| p.0);
            std.sort_by_key(|p| p.0);
            assert_eq!(ours, std, "seed {seed}");
        }
    }

    #[test]
    fn moves_owned_values_without_losing_any() {
        let mut names: Vec<String> = ["pear", "apple", "fig", "apple", "kiwi"]
            .map(String::from)
            .into();
        sort(&mut names);
        assert_eq!(names, ["apple", "apple", "fig", "kiwi", "pear"]);
        sort_by(&mut names, |a, b| b.len().cmp(&a.len()));
        assert_eq!(names, ["apple", "apple", "kiwi", "pear", "fig"]);
    }
}
