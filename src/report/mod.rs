//! Human-facing reports: the terminal table and the HTML pages.

pub mod html;
pub mod table;
