//! Input and output: reading article files, corpora, and writing per-sentence
//! rows as CSV, JSONL or JSON.

pub mod article;
pub mod corpus;
pub mod output;

pub use article::{read_article, ReadOptions};
pub use output::{OutputFormat, OutputOptions, SentenceRow};
