//! Link settings for the `cairn` executable; owns nothing else (no generated code, no
//! settings of the library or of the tests).
//!
//! A short run of cairn (a plan of a few thousand resources) is small enough that the code
//! mapped into the process is a third of its memory. Two link settings make that smaller, on
//! x86-64 Linux with the toolchain's own linker (LLD, Rust's default there since 1.90):
//!
//! - **Not position-independent** (`-no-pie`, as Go links Terraform). A position-independent
//!   executable carries a relocation for every pointer in its read-only data, which the dynamic
//!   linker reads and applies at start, dirtying every page of that data: 1.6 MB of relocations
//!   and 1 MB of data with the AWS provider in.
//! - **The code a run executes, placed together** (`--symbol-ordering-file`). The kernel maps
//!   64 KiB of code around each page a run touches, and the functions a plan executes are spread
//!   over most of the binary. `benches/link-order.txt` lists them, in the order the linker
//!   should place them first; `benches/link_order.py` makes it from the functions runs of the
//!   benchmark's shapes execute. A name the binary lacks (another toolchain, other dependency
//!   versions) is skipped, so a stale list costs memory, never a failed build; cairn's crates
//!   are built as one codegen unit each in release (Cargo.toml) so that the names survive
//!   edits, and `benches/run.py` says when a binary it measures lacks much of the list.
//!
//! Anything else (another target, a linker of one's own through `RUSTC_LINKER` or `RUSTFLAGS`,
//! an older toolchain) links as Rust's default, and `CAIRN_DEFAULT_LINK=1` asks for that too.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=benches/link-order.txt");
    println!("cargo:rerun-if-env-changed=CAIRN_DEFAULT_LINK");
    if !uses_bundled_lld() {
        return;
    }
    println!("cargo:rustc-link-arg-bins=-no-pie");
    let order = Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default())
        .join("benches")
        .join("link-order.txt");
    if order.is_file() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}

/// Whether the executable is linked by `cc` with the toolchain's LLD: Rust's default for
/// x86_64-unknown-linux-gnu from 1.90 on, unless a linker is configured.
fn uses_bundled_lld() -> bool {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("CAIRN_DEFAULT_LINK") == "1"
        || var("TARGET") != "x86_64-unknown-linux-gnu"
        || !var("RUSTC_LINKER").is_empty()
        || var("CARGO_ENCODED_RUSTFLAGS").contains("linker")
        || var("CARGO_ENCODED_RUSTFLAGS").contains("link-self-contained")
    {
        return false;
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let Ok(out) = Command::new(rustc).arg("--version").output() else {
        return false;
    };
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .split('.')
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    major > 1 || (major == 1 && minor >= 90)
}
