//! Subcommand dispatch, exit codes and error printing.
//!
//! Exit codes: 0 success; 1 runtime error (bad input, model error); 2 usage
//! error (bad arguments, printed by clap); 3 partial success (some inputs
//! failed, the others were written). A broken pipe exits 0 quietly.

use clap::{Parser, Subcommand};

pub mod args;
pub mod batch;
pub mod compare;
pub mod doctor;
pub mod eval;
pub mod report;
pub mod sample;
pub mod score;
pub mod serve;
pub mod train;

/// Exit code: everything worked.
pub const EXIT_OK: i32 = 0;
/// Exit code: an error stopped the run.
pub const EXIT_ERROR: i32 = 1;
/// Exit code: bad command-line usage.
pub const EXIT_USAGE: i32 = 2;
/// Exit code: some inputs failed; the rest were processed.
pub const EXIT_PARTIAL: i32 = 3;

#[derive(Parser)]
#[command(
    name = "rhetor",
    version,
    about = "Find rhetorical framing devices in news text, sentence by sentence.",
    long_about = "rhetor splits news articles into sentences and scores every sentence for framing \
devices: editorial asides (\"Let's notice that...\", \"By the way, ...\"), evaluative editorializing, \
loaded language, name calling, scare quotes, doubt, appeal to fear and the other propaganda \
techniques of the codebook (docs/codebook.md). Every sentence and cue keeps its character offsets \
in the original text.",
    after_help = "Examples:\n  rhetor score data/examples/*.txt\n  rhetor score --format csv article.txt > scores.csv\n  cat article.txt | rhetor score -\n\nExit codes: 0 ok, 1 error, 2 usage error, 3 some inputs failed."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Score articles (one per file) sentence by sentence.
    Score(score::Args),
    /// Score a corpus (CSV, CSV.gz or JSONL) in batch: streaming, parallel, resumable.
    Batch(batch::Args),
    /// Evaluate a model against a labelled set (rhetor CSV or a PTC folder).
    Eval(eval::Args),
    /// Train a model: the transformer classifier head (default) or the TF-IDF baseline.
    Train(train::Args),
    /// Compare outlets or periods: device rates, confidence intervals, significance.
    Compare(compare::Args),
    /// Draw a random validation sample of a batch output for hand-coding.
    Sample(sample::Args),
    /// Render an HTML report from batch or compare output.
    Report(report::Args),
    /// Show the CPU, its SIMD features and the int8 kernel rhetor uses.
    Doctor(doctor::Args),
    /// Serve a local web app and JSON API: analyse, explore a batch, hand-code a sample.
    Serve(serve::Args),
}

/// Parses arguments, runs the subcommand and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    let result = match cli.command {
        Command::Score(a) => score::run(a),
        Command::Batch(a) => batch::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Train(a) => train::run(a),
        Command::Compare(a) => compare::run(a),
        Command::Sample(a) => sample::run(a),
        Command::Report(a) => report::run(a),
        Command::Doctor(a) => doctor::run(a),
        Command::Serve(a) => serve::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => EXIT_OK,
        Err(e) => {
            eprintln!("rhetor: error: {}", error_message(&e));
            EXIT_ERROR
        }
    }
}

/// The error chain joined by `: `, leaving out a cause whose text the
/// message already ends with (`rhetor::Error::Io` shows its OS error and also
/// returns it as its source, which `{:#}` printed twice).
fn error_message(e: &anyhow::Error) -> String {
    let mut message = String::new();
    for text in e.chain().map(|cause| cause.to_string()) {
        if !message.ends_with(&text) {
            if !message.is_empty() {
                message.push_str(": ");
            }
            message.push_str(&text);
        }
    }
    message
}

/// True when the error chain contains a broken pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(
            c.downcast_ref::<rhetor::Error>(),
            Some(rhetor::Error::BrokenPipe)
        ) || c
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Prints a warning to standard error.
pub fn warn(message: &str) {
    eprintln!("rhetor: warning: {message}");
}
