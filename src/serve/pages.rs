//! The pages: small HTML shells (nav, forms, empty containers) that the one
//! script, `/static/app.js`, fills from the JSON API with `textContent`
//! (never `innerHTML` on data). CSS, script and the OpenAPI document are
//! embedded in the binary.

use super::App;
use crate::report::escape;
use crate::report::html::device_colour;
use crate::taxonomy::Device;
use std::fmt::Write as _;

/// The script of every page.
pub const JS: &str = include_str!("assets/app.js");
/// The OpenAPI 3 document of the API.
pub const OPENAPI: &str = include_str!("assets/openapi.json");
const CSS: &str = include_str!("assets/app.css");

/// The style sheet: the fixed rules and one colour per device (`.d-<id>`).
pub fn css() -> String {
    let mut css = String::from(CSS);
    for d in Device::ALL {
        let _ = writeln!(css, ".d-{} {{ --c:{}; }}", d.id(), device_colour(d));
    }
    css
}

/// The paths of the pages this server has.
pub fn available(app: &App) -> Vec<&'static str> {
    let mut p = vec!["/"];
    if app.corpus.is_some() {
        p.push("/corpus");
    }
    if app.coding.is_some() {
        p.push("/code");
    }
    if app.compare.is_some() {
        p.push("/compare");
    }
    p
}

fn nav(app: &App, current: &str) -> String {
    let names = [
        ("/", "Analyse"),
        ("/corpus", "Corpus"),
        ("/code", "Code"),
        ("/compare", "Compare"),
    ];
    let have = available(app);
    let mut out = String::from("<nav><b class=\"brand\">rhetor</b>");
    for (path, name) in names {
        if !have.contains(&path) {
            continue;
        }
        let cur = if path == current {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(out, "<a href=\"{path}\"{cur}>{name}</a>");
    }
    out.push_str(&format!(
        "<span class=\"model\">model: {}</span></nav>",
        escape(app.queue.rhetor().scorer().name())
    ));
    out
}

fn shell(app: &App, page: &str, path: &str, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{} · rhetor</title>\n<link rel=\"stylesheet\" href=\"/static/app.css\">\n\
<script src=\"/static/app.js\" defer></script>\n</head>\n<body data-page=\"{page}\">\n{}\n<main>\n{body}\n</main>\n\
<div id=\"tip\" role=\"tooltip\" hidden></div>\n</body>\n</html>\n",
        escape(title),
        nav(app, path)
    )
}

const ANALYSE: &str = r#"<h1>Analyse a text</h1>
<form id="analyse-form">
<label for="text">Paste an article, or drop a .txt file on the box</label>
<textarea id="text" rows="9" spellcheck="false" placeholder="Paste text here…"></textarea>
<div class="row"><button id="go" type="submit">Analyse <kbd>Ctrl</kbd>+<kbd>Enter</kbd></button>
<label class="file">or open a file <input type="file" id="file" accept=".txt,text/plain"></label>
<span id="status" role="status" aria-live="polite"></span></div>
</form>
<div id="summary" class="muted"></div>
<div id="legend" class="legend" aria-label="Legend"></div>
<details id="thresholds"><summary>Thresholds per device</summary><div id="sliders" class="sliders"></div></details>
<article id="result" class="doc"></article>"#;

const CORPUS: &str = r#"<h1>Corpus</h1>
<form id="filters" class="filters">
<span id="groups"></span>
<label>from <input type="date" id="from"></label>
<label>to <input type="date" id="to"></label>
<label>device <select id="device"><option value="">any framing</option></select></label>
<label>min. score <input type="number" id="min-score" min="0" max="1" step="0.05" placeholder="0.5"></label>
<label>title <input type="search" id="q" placeholder="contains…"></label>
<button type="submit" id="apply">Filter</button>
</form>
<div id="count" class="muted" role="status"></div>
<table id="articles"><thead><tr><th class="num">score</th><th>date</th><th>group</th><th>title</th><th class="num">flagged / sentences</th></tr></thead><tbody></tbody></table>
<div class="pager"><button id="prev" type="button">← previous</button> <span id="pageinfo"></span> <button id="next" type="button">next →</button></div>
<article id="article" class="doc"></article>"#;

const CODE: &str = r#"<h1>Code the validation sample</h1>
<form id="coder-form" class="row"><label>Coder name <input id="coder" required pattern="[A-Za-z0-9_\-]{1,32}" maxlength="32" autocomplete="off"></label>
<button type="submit" id="start">Start coding</button> <span id="coders" class="muted"></span></form>
<section id="coding" hidden>
<div id="progress" class="progress"></div>
<div id="position" class="muted"></div>
<p class="ctx" id="before"></p>
<p class="target" id="sentence"></p>
<p class="ctx" id="after"></p>
<div id="labels" class="labels"></div>
<div class="row"><button type="button" id="suggest">Show model suggestion <kbd>s</kbd></button> <span id="suggestion" class="muted"></span></div>
<div class="row"><button type="button" id="back">← back <kbd>Backspace</kbd></button> <button type="button" id="save">Save &amp; next <kbd>Enter</kbd></button> <span id="saved" role="status" aria-live="polite"></span></div>
<p class="muted keys">Keys: the key shown on a label toggles it · <kbd>Enter</kbd> saves and goes on · <kbd>Backspace</kbd> goes back · <kbd>s</kbd> shows or hides the model's suggestion (recorded).</p>
<div id="kappa" class="muted"></div>
</section>"#;

const COMPARE: &str = r#"<h1>Compare outlets</h1>
<div class="row"><label>measure <select id="measure"></select></label> <span id="ccoder"></span> <span id="cstatus" class="muted" role="status"></span></div>
<div id="chart" class="chart"></div>
<div id="significant"></div>"#;

/// The HTML of a page; `None` when this server does not have it.
pub fn page(app: &App, path: &str) -> Option<String> {
    if !available(app).contains(&path) {
        return None;
    }
    let (page, title, body) = match path {
        "/corpus" => ("corpus", "Corpus", CORPUS),
        "/code" => ("code", "Code", CODE),
        "/compare" => ("compare", "Compare", COMPARE),
        _ => ("analyse", "Analyse", ANALYSE),
    };
    Some(shell(app, page, path, title, body))
}

/// The page for a path this server does not have.
pub fn not_available(app: &App, path: &str) -> String {
    let need = match path {
        "/corpus" | "/compare" => {
            "start the server with --batch DIR (a `rhetor batch` output folder)"
        }
        "/code" => "start the server with --sample FILE (a validation sample)",
        _ => "",
    };
    shell(
        app,
        "missing",
        path,
        "Not available",
        &format!("<h1>Not available</h1><p>{}</p>", escape(need)),
    )
}
