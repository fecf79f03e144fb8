//! The `cairn` binary: restores the default SIGPIPE disposition, sets up the allocator
//! (mimalloc through its plain entry points where alignment allows, off transparent huge pages,
//! nothing done at exit, and for apply and destroy returning freed memory at once), and runs the
//! CLI. How the binary is linked is `build.rs`'s; what the CLI does is the library's.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

#[global_allocator]
static ALLOCATOR: Allocator = Allocator;

/// mimalloc, asked for word-aligned blocks by its plain entry points: `mimalloc::MiMalloc`
/// always takes the aligned ones, which check the alignment before they reach the same fast
/// path (a run makes hundreds of thousands of small allocations).
struct Allocator;

/// Every mimalloc block is aligned to a word: its sizes are whole words.
const WORD: usize = std::mem::size_of::<usize>();

// SAFETY: each method passes the layout's size, and its alignment unless it is at most a word,
// which every mimalloc block has; blocks are freed by `mi_free`, whichever way they were made.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: see the impl.
        unsafe {
            if layout.align() <= WORD {
                mi_malloc(layout.size()).cast()
            } else {
                mimalloc::MiMalloc.alloc(layout)
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: see the impl.
        unsafe {
            if layout.align() <= WORD {
                mi_zalloc(layout.size()).cast()
            } else {
                mimalloc::MiMalloc.alloc_zeroed(layout)
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: see the impl.
        unsafe { mi_free(ptr.cast()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: see the impl.
        unsafe {
            if layout.align() <= WORD {
                mi_realloc(ptr.cast(), new_size).cast()
            } else {
                mimalloc::MiMalloc.realloc(ptr, layout, new_size)
            }
        }
    }
}

unsafe extern "C" {
    fn mi_malloc(size: usize) -> *mut c_void;
    fn mi_zalloc(size: usize) -> *mut c_void;
    fn mi_realloc(p: *mut c_void, new_size: usize) -> *mut c_void;
    fn mi_free(p: *mut c_void);
    fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// mimalloc's `mi_option_purge_delay` (v3): how long freed memory stays mapped, in ms.
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;
/// mimalloc's `mi_option_os_tag` (v3), whose fixed default (100) confirms the numbering.
const MI_OPTION_OS_TAG: std::ffi::c_int = 18;
/// mimalloc's `mi_option_destroy_on_exit` (v3); above 1, nothing is done at exit.
const MI_OPTION_DESTROY_ON_EXIT: std::ffi::c_int = 22;

/// At exit the allocator would collect the main thread's heap and hand its memory back page
/// range by page range (some 75 `madvise` calls after a plan of 2,000), which the process's
/// end does anyway: it is told to do nothing then.
///
/// Apply and destroy hold the plan, the state and the operations' values for the whole run,
/// and their time goes to providers: there, freed memory goes back to the OS at once (about a
/// fifth less peak memory for a few percent more CPU). Plans keep mimalloc's default delay,
/// which is faster. `MIMALLOC_PURGE_DELAY` and `MIMALLOC_DESTROY_ON_EXIT` in the environment
/// take precedence.
fn tune_allocator() {
    // SAFETY: reading an allocator option by number; a known default confirms the numbering
    // (should a future mimalloc number them differently, nothing is changed).
    if unsafe { mi_option_get(MI_OPTION_OS_TAG) } != 100 {
        return;
    }
    if std::env::var_os("MIMALLOC_DESTROY_ON_EXIT").is_none() {
        // SAFETY: setting an allocator option, numbered as checked above.
        unsafe { mi_option_set(MI_OPTION_DESTROY_ON_EXIT, 2) };
    }
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    let command = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    if matches!(command.as_deref(), Some("apply" | "destroy")) {
        // SAFETY: as above.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
}

fn main() {
    // Like other command-line tools, end quietly when the reader of our output goes away
    // (`cairn show | head`) instead of reporting a broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // The allocator asks for transparent huge pages on its arenas; the kernel then faults in
    // and zeroes 2 MiB at a time, most of it never used by a short-lived run: a third more
    // peak memory and a large share of the run spent clearing pages. Small pages instead.
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE only sets a flag on this process's memory map.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    tune_allocator();
    std::process::exit(cairn::cli::main());
}
