//! Reading a directory of `*.tf` files into a [`Module`](super::Module).

use std::path::Path;

use super::Config;
use crate::diag::Diagnostics;

/// Loads every `*.tf` file in `dir` (sorted by name). Always returns the configuration it could
/// build, with every problem found (errors and warnings) in the diagnostics.
pub fn load_dir(dir: &Path) -> (Config, Diagnostics) {
    let _ = dir;
    todo!("config loading")
}
