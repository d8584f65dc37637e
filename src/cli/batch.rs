//! `rhetor batch` — (implemented in its own issue).

use anyhow::Result;

/// Arguments of `rhetor batch`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `rhetor batch`.
pub fn run(_args: Args) -> Result<i32> {
    anyhow::bail!("`rhetor batch` is not implemented yet")
}
