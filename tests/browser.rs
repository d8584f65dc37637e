//! The HTML report and the article page in a real headless browser
//! (Chromium, driven over the DevTools protocol with a minimal WebSocket
//! client): the page loads without console errors or exceptions, the heat
//! map has one cell per group × device, and hovering a highlighted sentence
//! or a heat-map cell shows a tooltip naming its device.
//!
//! The DevTools client is tests/common/devtools.rs (shared with tests/serve.rs).
//! Skips, with a message, when Chromium is not installed (Debian:
//! `apt-get install -y chromium`; or set `RHETOR_CHROMIUM` to a binary),
//! unless `RHETOR_REQUIRE_ASSETS=1`. PNG screenshots of the pages go to
//! `target/tmp/screenshots/` (or `RHETOR_SCREENSHOT_DIR`).

mod common;
mod compare_support;

use common::devtools::{chromium_or_skip, Browser, DevTools};
use common::ok as rhetor;
use compare_support::{default_outlets, write_batch};
use serde_json::json;

#[test]
fn report_loads_cleanly_and_tooltips_name_the_device() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let batch = write_batch(&dir.path().join("batch"), &default_outlets(), 11);
    let html = dir.path().join("report.html");
    rhetor(&[
        "report",
        "--batch",
        batch.dir.to_str().unwrap(),
        "--by",
        "outlet",
        "--by",
        "month",
        "--max-articles",
        "6",
        "--bootstrap",
        "300",
        "--permutations",
        "999",
        "--out",
        html.to_str().unwrap(),
    ]);
    let browser = Browser::launch(&chromium);
    let mut dt = DevTools::connect(browser.port, &browser.page_path());
    dt.open(&html);

    let outlets = batch.outlets.len();
    let cells = dt.eval("document.querySelectorAll('svg.heatmap rect.cell').length");
    assert_eq!(cells, json!(outlets * rhetor::Device::ALL.len()));
    let distinct = dt.eval(
        "new Set([...document.querySelectorAll('svg.heatmap rect.cell')].map(c => c.dataset.group + '|' + c.dataset.device)).size",
    );
    assert_eq!(distinct, json!(outlets * rhetor::Device::ALL.len()));
    assert_eq!(
        dt.eval("document.querySelectorAll('div.chart svg').length > 1"),
        json!(true)
    );
    assert_eq!(
        dt.eval("document.querySelectorAll('div.series svg').length > 0"),
        json!(true)
    );
    // Input text is escaped: no script element besides the page's own.
    assert_eq!(dt.eval("document.scripts.length"), json!(1));
    assert_eq!(dt.eval("document.title"), json!("rhetor report"));

    let (tip, hovered) = dt.hover(".s.flagged");
    assert!(
        !tip.is_empty(),
        "hovering a flagged sentence shows no tooltip"
    );
    assert_eq!(
        json!(tip),
        hovered["tip"],
        "the tooltip shows the hovered element's text"
    );
    let devices = hovered["devices"].as_str().unwrap();
    assert!(
        devices.split(' ').any(|d| !d.is_empty() && tip.contains(d)),
        "tooltip `{tip}` names none of `{devices}`"
    );

    let (cell_tip, _) = dt.hover("svg.heatmap rect.cell[data-device='editorial_aside']");
    assert!(
        cell_tip.contains("Editorial aside") && cell_tip.contains("per 100 sentences"),
        "{cell_tip}"
    );

    dt.screenshot("report.png");
    let errors = dt.errors();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

#[test]
fn article_page_from_score_loads_cleanly() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("article.txt");
    std::fs::write(
        &text,
        "Let's notice that the minister said nothing. By the way, the <script>alert('x')</script> plan is curious.\n\nThe council met on Tuesday.",
    )
    .unwrap();
    let out = rhetor(&["score", "--format", "html", text.to_str().unwrap()]);
    let html = dir.path().join("article.html");
    std::fs::write(&html, out.stdout).unwrap();
    let browser = Browser::launch(&chromium);
    let mut dt = DevTools::connect(browser.port, &browser.page_path());
    dt.open(&html);
    assert_eq!(dt.eval("document.scripts.length"), json!(1));
    assert_eq!(
        dt.eval("document.body.textContent.includes(\"<script>alert('x')</script>\")"),
        json!(true),
        "the script tag is shown as text"
    );
    let flagged = dt.eval("document.querySelectorAll('.s.flagged').length");
    assert!(flagged.as_u64().unwrap() >= 1, "no highlighted sentence");
    let (tip, hovered) = dt.hover(".s.flagged");
    assert_eq!(json!(tip), hovered["tip"]);
    // The example's first flagged sentence is the author's voice (an aside or
    // an evaluation, whichever the default model flags).
    assert!(
        tip.contains("editorial_aside") || tip.contains("evaluative_editorializing"),
        "{tip}"
    );
    dt.screenshot("article.png");
    let errors = dt.errors();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

#[test]
fn the_error_check_catches_a_broken_page() {
    // Guards the two tests above: a page with a script error and a failing
    // console.error must be reported, or "no console errors" means nothing.
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("broken.html");
    std::fs::write(
        &html,
        "<!DOCTYPE html><html><body><p>x</p><script>console.error('boom'); undefinedFunction();</script></body></html>",
    )
    .unwrap();
    let browser = Browser::launch(&chromium);
    let mut dt = DevTools::connect(browser.port, &browser.page_path());
    dt.open(&html);
    let errors = dt.errors();
    assert!(errors.iter().any(|e| e.contains("boom")), "{errors:#?}");
    assert!(
        errors.iter().any(|e| e.contains("undefinedFunction")),
        "{errors:#?}"
    );
}
