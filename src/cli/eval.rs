//! `rhetor eval` — (implemented in its own issue).

use anyhow::Result;

/// Arguments of `rhetor eval`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `rhetor eval`.
pub fn run(_args: Args) -> Result<i32> {
    anyhow::bail!("`rhetor eval` is not implemented yet")
}
