//! Human-facing reports: the terminal table and the HTML pages.

pub mod charts;
pub mod html;
pub mod table;
pub mod view;
