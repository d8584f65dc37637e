//! Input and output: every file format rhetor reads or writes. Reading
//! article files, corpora, tables (CSV or Parquet) and labelled sets
//! ([`labels`]: rhetor CSV, PTC folders, CheckThat! TSV; [`coded`]: a user's
//! own 0/1 labels), and writing
//! per-sentence rows as CSV, JSONL, JSON or Parquet.

pub mod article;
pub mod coded;
pub mod columns;
pub mod corpus;
pub mod journal;
pub mod labels;
pub mod output;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod sample;
pub mod sentences;
pub mod table;

pub use article::{read_article, ReadOptions};
pub use output::{OutputOptions, SentenceRow};
pub use table::{TableFormat, TableReader};
