//! Self-contained HTML pages (no network): the per-article view with
//! highlighted sentences and cue spans, and the outlet comparison report.
//! (Implemented in the comparison issue.)
