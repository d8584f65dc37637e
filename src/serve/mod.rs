//! `rhetor serve`: a local web server with the Analyse, Corpus, Code and
//! Compare pages and a JSON API (docs/serve.md). Everything it serves is in
//! the binary; it reads only the files it was given.
//!
//! ```text
//! http     HTTP/1.1 on std::net: limits, timeouts, a fixed pool of connection threads
//! queue    bounded scoring queue and its worker threads (503 when full)
//! api      POST /api/score (the `rhetor score --format json` document), /api/analyse, /api/devices
//! corpus   the in-memory index of a batch folder, queries and article pages
//! coding   the coders' labels files and journals, κ between coders
//! outlets  the outlet comparison (background)
//! codebook definitions from docs/codebook.md
//! pages    HTML, CSS, JS and the OpenAPI document
//! router   token and Host checks, routes, security headers
//! ```

pub mod api;
pub mod codebook;
pub mod coding;
pub mod corpus;
pub mod http;
pub mod outlets;
pub mod pages;
pub mod queue;
pub mod router;

use crate::error::{Error, Result};
use crate::facade::Rhetor;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// What `rhetor serve` serves and how.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on (default `127.0.0.1`).
    pub host: String,
    /// Port (0: any free port).
    pub port: u16,
    /// Required on every request when set; required to listen beyond loopback.
    pub token: Option<String>,
    /// A `rhetor batch` output folder (Corpus and Compare pages).
    pub batch: Option<PathBuf>,
    /// A validation sample to code (Code page).
    pub sample: Option<PathBuf>,
    /// Where the coders' labels files and journals go (default: beside the sample).
    pub labels_dir: Option<PathBuf>,
    /// Scoring worker threads.
    pub workers: usize,
    /// Scoring jobs that may wait.
    pub queue: usize,
    /// HTTP limits.
    pub http: http::Limits,
    /// Text limits of the scoring endpoints.
    pub text: api::TextLimits,
    /// Grouping column of the Compare page.
    pub compare_by: String,
    /// Test hook: delay every scoring job.
    pub slow: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        ServeConfig {
            host: "127.0.0.1".into(),
            port: 8080,
            token: None,
            batch: None,
            sample: None,
            labels_dir: None,
            workers: cores,
            queue: 64,
            http: http::Limits {
                connection_threads: 96,
                backlog: 128,
                ..Default::default()
            },
            text: api::TextLimits::default(),
            compare_by: "outlet".into(),
            slow: Duration::ZERO,
        }
    }
}

/// The server's state, shared by the connection threads.
pub struct App {
    queue: queue::ScoreQueue,
    corpus: Option<corpus::Corpus>,
    compare: Option<Arc<outlets::OutletComparison>>,
    coding: Option<coding::CodingStore>,
    token: Option<String>,
    /// Host header values accepted (empty: any, when a token guards the server).
    hosts: Vec<String>,
    text: api::TextLimits,
    css: String,
}

/// A bound server, ready to run.
pub struct Server {
    listener: TcpListener,
    app: Arc<App>,
    limits: http::Limits,
    warnings: Vec<String>,
}

impl Server {
    /// Loads the batch index and the sample, starts the scoring workers and
    /// binds the address. Listening beyond loopback needs a token.
    pub fn bind(config: ServeConfig, rhetor: Rhetor) -> Result<Server> {
        let ip: IpAddr = config
            .host
            .parse()
            .map_err(|_| Error::Config(format!("--host `{}` is not an IP address", config.host)))?;
        if !ip.is_loopback() && config.token.as_deref().is_none_or(str::is_empty) {
            return Err(Error::Config(format!(
                "listening on {ip} (beyond this machine) needs --token: every request must then carry it"
            )));
        }
        let corpus = config
            .batch
            .as_deref()
            .map(corpus::Corpus::open)
            .transpose()?;
        let model_labels: Vec<&str> = rhetor.scorer().labels().names().collect();
        let coding = config
            .sample
            .as_deref()
            .map(|s| coding::CodingStore::open(s, config.labels_dir.as_deref(), &model_labels))
            .transpose()?;
        let mut warnings: Vec<String> = rhetor.warnings().to_vec();
        if let Some(c) = &coding {
            warnings.extend(c.warnings.iter().cloned());
        }
        let listener = TcpListener::bind(SocketAddr::new(ip, config.port))
            .map_err(|e| Error::Config(format!("cannot listen on {ip}:{}: {e}", config.port)))?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::Config(e.to_string()))?
            .port();
        let hosts = if ip.is_loopback() {
            ["127.0.0.1", "localhost", "[::1]"]
                .iter()
                .flat_map(|h| [format!("{h}:{port}"), h.to_string()])
                .collect()
        } else {
            Vec::new()
        };
        let compare = corpus.as_ref().map(|c| {
            outlets::OutletComparison::start(
                Arc::clone(&c.data),
                c.sentences_path().to_path_buf(),
                config.compare_by.clone(),
                crate::compare::CompareOptions::default().bootstrap,
            )
        });
        let queue = queue::ScoreQueue::start(
            Arc::new(rhetor),
            config.workers,
            config.queue,
            Duration::from_secs(120),
            config.slow,
        );
        let app = App {
            queue,
            corpus,
            compare,
            coding,
            token: config.token.filter(|t| !t.is_empty()),
            hosts,
            text: config.text,
            css: pages::css(),
        };
        Ok(Server {
            listener,
            app: Arc::new(app),
            limits: config.http,
            warnings,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener
            .local_addr()
            .map_err(|e| Error::Config(e.to_string()))
    }

    /// Warnings from loading (model fallback, torn journal lines).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The pages this server has (`/`, `/corpus`, `/code`, `/compare`).
    pub fn pages(&self) -> Vec<&'static str> {
        pages::available(&self.app)
    }

    /// Serves until the process ends.
    pub fn run(self) {
        let app = self.app;
        http::serve(
            self.listener,
            self.limits,
            Arc::new(AtomicBool::new(false)),
            move |req| router::handle(&app, req),
        );
    }
}
