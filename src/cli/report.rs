//! `rhetor report` — (implemented in its own issue).

use anyhow::Result;

/// Arguments of `rhetor report`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `rhetor report`.
pub fn run(_args: Args) -> Result<i32> {
    anyhow::bail!("`rhetor report` is not implemented yet")
}
