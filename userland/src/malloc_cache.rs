//! ibox's allocator in the static x86_64 build: musl's malloc, behind a
//! small cache of freed small blocks.
//!
//! The shell allocates and frees small strings and vectors all the time
//! (every word expanded, every variable read). glibc's malloc has a
//! per-thread cache for exactly that; musl's (mallocng) looks up a
//! block's metadata on every call and took a third of the instructions of
//! an arithmetic loop (`docs/benchmarks.md`, "Shell"). Here freed blocks of
//! up to 256 bytes wait in one free list per 16-byte size class, up to 32
//! per class (70 KB at most), and the next allocation of that class takes
//! one back without calling musl.
//!
//! One process-wide cache behind a try-lock: whoever finds it taken (a
//! second thread at the same moment, a child forked while another thread
//! held it) goes straight to musl, so nothing ever waits or deadlocks.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicBool, Ordering};

/// Bytes between size classes; also the alignment musl's malloc gives.
const STEP: usize = 16;
/// Size classes: blocks of 16, 32, ... 256 bytes.
const CLASSES: usize = 16;
/// Freed blocks kept per class.
const KEEP: u8 = 32;

/// A freed block, linked through its first word.
struct Free {
    next: *mut Free,
}

/// The free lists, one per class.
struct Cache {
    heads: [*mut Free; CLASSES],
    counts: [u8; CLASSES],
}

/// The cache, touched only by whoever holds [`LOCK`].
struct Shared(std::cell::UnsafeCell<Cache>);

// SAFETY: the cache is only reached through `with_cache`, under `LOCK`.
unsafe impl Sync for Shared {}

static LOCK: AtomicBool = AtomicBool::new(false);
static CACHE: Shared = Shared(std::cell::UnsafeCell::new(Cache {
    heads: [std::ptr::null_mut(); CLASSES],
    counts: [0; CLASSES],
}));

/// Runs `f` on the cache if no one else holds it; `None` if someone does.
fn with_cache<R>(f: impl FnOnce(&mut Cache) -> R) -> Option<R> {
    if LOCK
        .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        return None;
    }
    // SAFETY: holding LOCK makes this the only reference to the cache.
    let result = f(unsafe { &mut *CACHE.0.get() });
    LOCK.store(false, Ordering::Release);
    Some(result)
}

/// The size class of `layout`, if it is small enough to be cached.
fn class_of(layout: Layout) -> Option<usize> {
    (layout.align() <= STEP && layout.size() <= CLASSES * STEP)
        .then(|| layout.size().saturating_sub(1) / STEP)
}

/// musl's malloc behind the cache.
pub struct CachedMalloc;

// SAFETY: every block comes from musl's malloc, calloc, realloc or
// aligned_alloc with at least the size and alignment asked for (a cached
// block of class c was allocated with (c + 1) * 16 bytes, which covers
// every size of its class), and goes back to musl's free or to the cache
// of the class it was allocated for.
unsafe impl GlobalAlloc for CachedMalloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if let Some(class) = class_of(layout) {
            let cached = with_cache(|cache| {
                let head = cache.heads[class];
                if !head.is_null() {
                    // SAFETY: a block in the list holds its successor.
                    cache.heads[class] = unsafe { (*head).next };
                    cache.counts[class] -= 1;
                }
                head
            });
            match cached {
                Some(block) if !block.is_null() => return block.cast(),
                // SAFETY: plain malloc of a non-zero size.
                _ => return unsafe { nix::libc::malloc((class + 1) * STEP) }.cast(),
            }
        }
        // SAFETY: as malloc and aligned_alloc require: a power-of-two
        // alignment and, for aligned_alloc, a size it divides.
        unsafe {
            if layout.align() <= STEP {
                nix::libc::malloc(layout.size()).cast()
            } else {
                let size = layout.size().next_multiple_of(layout.align());
                nix::libc::aligned_alloc(layout.align(), size).cast()
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if class_of(layout).is_none() && layout.align() <= STEP {
            // Large zeroed blocks come from calloc, which knows when fresh
            // pages are zero already.
            // SAFETY: plain calloc.
            return unsafe { nix::libc::calloc(layout.size(), 1) }.cast();
        }
        // SAFETY: `alloc` returns a block of `layout.size()` bytes or null.
        unsafe {
            let block = self.alloc(layout);
            if !block.is_null() {
                std::ptr::write_bytes(block, 0, layout.size());
            }
            block
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        if let Some(class) = class_of(layout) {
            let kept = with_cache(|cache| {
                if cache.counts[class] >= KEEP {
                    return false;
                }
                let free = block.cast::<Free>();
                // SAFETY: the block is at least 16 bytes, aligned to 16,
                // and no longer used by anyone.
                unsafe { (*free).next = cache.heads[class] };
                cache.heads[class] = free;
                cache.counts[class] += 1;
                true
            });
            if kept == Some(true) {
                return;
            }
        }
        // SAFETY: every block came from musl's allocator.
        unsafe { nix::libc::free(block.cast()) }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees a valid size for this alignment.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (class_of(layout), class_of(new_layout)) {
            // The block already has room for the whole class.
            (Some(old), Some(new)) if old == new => block,
            // Neither end is cached: musl can often grow in place.
            // SAFETY: the block came from musl's malloc.
            (None, None) if layout.align() <= STEP => unsafe {
                nix::libc::realloc(block.cast(), new_size).cast()
            },
            // SAFETY: a new block, the common prefix copied, the old one
            // given back.
            _ => unsafe {
                let moved = self.alloc(new_layout);
                if !moved.is_null() {
                    std::ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                    self.dealloc(block, layout);
                }
                moved
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_cover_small_blocks_of_ordinary_alignment() {
        let class = |size, align| class_of(Layout::from_size_align(size, align).unwrap());
        assert_eq!(class(1, 1), Some(0));
        assert_eq!(class(16, 8), Some(0));
        assert_eq!(class(17, 8), Some(1));
        assert_eq!(class(256, 16), Some(15));
        assert_eq!(class(257, 1), None);
        assert_eq!(class(64, 32), None);
    }

    #[test]
    fn blocks_come_back_through_the_cache_intact() {
        let a = CachedMalloc;
        let small = Layout::from_size_align(24, 8).unwrap();
        // SAFETY: each block is used within its layout and freed once.
        unsafe {
            let p = a.alloc(small);
            assert!(!p.is_null());
            p.write_bytes(0xab, 24);
            let q = a.realloc(p, small, 30);
            assert_eq!(q, p, "the same class keeps the block");
            let r = a.realloc(q, Layout::from_size_align(30, 8).unwrap(), 1000);
            assert_eq!(*r.add(23), 0xab);
            a.dealloc(r, Layout::from_size_align(1000, 8).unwrap());
            let z = a.alloc_zeroed(small);
            assert!(std::slice::from_raw_parts(z, 24).iter().all(|&b| b == 0));
            a.dealloc(z, small);
        }
    }
}
