//! `rhetor compare` — (implemented in its own issue).

use anyhow::Result;

/// Arguments of `rhetor compare`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `rhetor compare`.
pub fn run(_args: Args) -> Result<i32> {
    anyhow::bail!("`rhetor compare` is not implemented yet")
}
