//! `rhetor train` — (implemented in its own issue).

use anyhow::Result;

/// Arguments of `rhetor train`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `rhetor train`.
pub fn run(_args: Args) -> Result<i32> {
    anyhow::bail!("`rhetor train` is not implemented yet")
}
