//! Reading article corpora (CSV, CSV.gz, JSONL) record by record.
//! (Implemented in the batch issue.)
