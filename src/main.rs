//! The `cairn` binary: restores the default SIGPIPE disposition, keeps the allocator off
//! transparent huge pages, and runs the CLI.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    std::process::exit(cairn::cli::main());
}
