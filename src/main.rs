//! The `rhetor` command line. Each subcommand lives in its own file under
//! `src/cli/` (usage, arguments, `run()`).

mod cli;

fn main() {
    std::process::exit(cli::main());
}
