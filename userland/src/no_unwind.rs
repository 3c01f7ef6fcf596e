//! The unwinder's entry points, answered without unwinding, for the device
//! build.
//!
//! The device build aborts on panic and its unwind tables are discarded
//! (`linker/src/build.rs`), so nothing can unwind: the only caller left
//! is the panic message's backtrace under `RUST_BACKTRACE`, which found
//! no frames without the tables anyway. The standard library still
//! refers to the unwinder, and GCC's (`libgcc_eh`, 11 KB) came along.
//! Defined here instead, inside the link-time-optimised program, the
//! calls are seen to go nowhere: `_Unwind_Backtrace` never calls its
//! callback, so the backtrace's symbol lookup behind it (DWARF parsing,
//! demangling and their sorts, about 90 KB) is dropped as dead code too.
//! A panic still prints its message and aborts.
//!
//! Compiled only where panics abort, and not into tests, which unwind.

use std::ffi::{c_int, c_void};

/// `_Unwind_Reason_Code`: no more frames.
const END_OF_STACK: c_int = 5;

/// Walks no frames.
#[no_mangle]
extern "C" fn _Unwind_Backtrace(_trace: *const c_void, _argument: *mut c_void) -> c_int {
    END_OF_STACK
}

/// Nothing is thrown when panics abort; should anything try, it stops
/// here.
#[no_mangle]
extern "C" fn _Unwind_RaiseException(_exception: *mut c_void) -> c_int {
    std::process::abort()
}

/// Landing pads end here, and none runs when panics abort.
#[no_mangle]
extern "C" fn _Unwind_Resume(_exception: *mut c_void) -> ! {
    std::process::abort()
}

/// No exception ever exists to be deleted.
#[no_mangle]
extern "C" fn _Unwind_DeleteException(_exception: *mut c_void) {}

/// The personality routine's view of a frame: never called, as no frame
/// is ever visited; zero throughout.
#[no_mangle]
extern "C" fn _Unwind_GetIP(_context: *mut c_void) -> usize {
    0
}

#[no_mangle]
extern "C" fn _Unwind_GetIPInfo(_context: *mut c_void, before: *mut c_int) -> usize {
    if !before.is_null() {
        // SAFETY: the caller passes a valid pointer or null.
        unsafe { *before = 0 };
    }
    0
}

#[no_mangle]
extern "C" fn _Unwind_GetCFA(_context: *mut c_void) -> usize {
    0
}

#[no_mangle]
extern "C" fn _Unwind_GetLanguageSpecificData(_context: *mut c_void) -> *mut c_void {
    std::ptr::null_mut()
}

#[no_mangle]
extern "C" fn _Unwind_GetRegionStart(_context: *mut c_void) -> usize {
    0
}

#[no_mangle]
extern "C" fn _Unwind_GetTextRelBase(_context: *mut c_void) -> usize {
    0
}

#[no_mangle]
extern "C" fn _Unwind_GetDataRelBase(_context: *mut c_void) -> usize {
    0
}

#[no_mangle]
extern "C" fn _Unwind_SetGR(_context: *mut c_void, _register: c_int, _value: usize) {}

#[no_mangle]
extern "C" fn _Unwind_SetIP(_context: *mut c_void, _value: usize) {}

#[no_mangle]
extern "C" fn _Unwind_FindEnclosingFunction(pc: *mut c_void) -> *mut c_void {
    pc
}
