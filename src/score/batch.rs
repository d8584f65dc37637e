//! Batch scoring of article corpora (CSV / JSONL): streaming, parallel,
//! resumable, lossless. (Implemented in the batch issue.)
