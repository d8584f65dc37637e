//! `rhetor serve` — a local web server: Analyse, Corpus, Code and Compare
//! pages and a JSON API (docs/serve.md).

use super::args::{build, ModelArgs};
use super::EXIT_OK;
use anyhow::Result;
use rhetor::serve::{ServeConfig, Server};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `rhetor serve`.
#[derive(clap::Args)]
#[command(
    after_help = "Pages: / (Analyse) always; /corpus and /compare with --batch; /code with --sample.\n\
API: POST /api/score, /api/analyse; GET /api/corpus/…, /api/labels, /healthz; /api/openapi.json.\n\n\
Examples:\n  rhetor serve --model cues --port 8080\n  rhetor batch data/corpus-sample.csv --out out && rhetor serve --batch out\n  rhetor serve --sample sample.csv --batch out"
)]
pub struct Args {
    /// A `rhetor batch` output folder (articles.csv, sentences.csv): Corpus and Compare pages.
    #[arg(long, value_name = "DIR")]
    batch: Option<PathBuf>,
    /// A validation sample (`rhetor sample`) to hand-code: the Code page.
    #[arg(long, value_name = "FILE")]
    sample: Option<PathBuf>,
    /// Where the coders' labels files and journals go [default: beside the sample].
    #[arg(long, value_name = "DIR")]
    coder_dir: Option<PathBuf>,
    #[command(flatten)]
    model: ModelArgs,
    /// Port (0: any free port; the address is printed).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Address to listen on; anything but loopback needs --token.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// A secret every request must carry (Authorization: Bearer TOKEN, or ?token= once in a browser).
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,
    /// Scoring worker threads [default: number of cores].
    #[arg(long)]
    workers: Option<usize>,
    /// Scoring requests that may wait; more are answered 503 with Retry-After.
    #[arg(long, default_value_t = 64)]
    queue: usize,
    /// Largest request body, in bytes (over it: 413).
    #[arg(long, default_value_t = 2 * 1024 * 1024, value_name = "BYTES")]
    max_body_bytes: usize,
    /// Largest text to score, in bytes (over it: 413).
    #[arg(long, default_value_t = 1024 * 1024, value_name = "BYTES")]
    max_text_bytes: usize,
    /// Grouping column of the Compare page.
    #[arg(long, default_value = "outlet")]
    compare_by: String,
}

/// Runs `rhetor serve` (until the process is stopped).
pub fn run(args: Args) -> Result<i32> {
    let rhetor = build(args.model.builder())?;
    let mut config = ServeConfig {
        host: args.host,
        port: args.port,
        token: args.token,
        batch: args.batch,
        sample: args.sample,
        labels_dir: args.coder_dir,
        queue: args.queue,
        compare_by: args.compare_by,
        ..Default::default()
    };
    if let Some(w) = args.workers {
        config.workers = w.max(1);
    }
    config.http.max_body = args.max_body_bytes;
    config.text.max_text = args.max_text_bytes;
    // Test hook: slow every scoring job down (fills the queue on purpose).
    if let Some(ms) = std::env::var("RHETOR_TEST_SLOW_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        config.slow = Duration::from_millis(ms);
    }
    let server = Server::bind(config, rhetor)?;
    for w in server.warnings() {
        super::warn(w);
    }
    let addr = server.local_addr()?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "rhetor: serving http://{addr}/ (pages: {}; Ctrl-C stops)",
        server.pages().join(" ")
    )?;
    out.flush()?;
    drop(out);
    server.run();
    Ok(EXIT_OK)
}
