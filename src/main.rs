//! The `cairn` binary: restores the default SIGPIPE disposition and runs the CLI.

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
    std::process::exit(cairn::cli::main());
}
