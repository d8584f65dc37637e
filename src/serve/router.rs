//! Every request passes here: the Host check (loopback), the token check,
//! the route table, and the security headers on every answer.

use super::api::{self, json_body};
use super::coding::valid_coder;
use super::corpus::Query;
use super::http::{Request, Response};
use super::{pages, App};
use crate::compare::Measure;
use crate::error::Error;
use crate::score::Article;
use crate::taxonomy::Device;
use std::collections::BTreeMap;

/// The Content-Security-Policy of every answer: scripts and styles only from
/// this server (no inline script), no frames, no other origin.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Handles one request.
pub fn handle(app: &App, req: Request) -> Response {
    let mut resp = route(app, &req);
    for (n, v) in [
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
    ] {
        resp.headers.push((n.to_string(), v.to_string()));
    }
    resp
}

/// Compares without leaking where the first difference is.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn route(app: &App, req: &Request) -> Response {
    if !app.hosts.is_empty() {
        let host = req.header("host").unwrap_or("");
        if !app.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
            return Response::error(
                403,
                "unexpected Host header (the server answers only on loopback)",
            );
        }
    }
    let mut set_cookie = None;
    if let Some(token) = &app.token {
        let bearer = req
            .header("authorization")
            .and_then(|v| v.strip_prefix("Bearer "));
        let given = bearer.or(req.cookie("rhetor_token")).or(req.param("token"));
        if !given.is_some_and(|g| same(g, token)) {
            return Response::error(401, "this server needs its token: Authorization: Bearer TOKEN, or ?token=TOKEN once in the browser");
        }
        if req.param("token").is_some() {
            set_cookie = Some(format!(
                "rhetor_token={token}; HttpOnly; SameSite=Strict; Path=/"
            ));
        }
    }
    let resp = dispatch(app, req);
    match set_cookie {
        Some(c) => resp.with_header("Set-Cookie", &c),
        None => resp,
    }
}

fn dispatch(app: &App, req: &Request) -> Response {
    let method = req.method.as_str();
    let path = req.path.as_str();
    let get = method == "GET" || method == "HEAD";
    let post = method == "POST";
    match path {
        "/" | "/corpus" | "/code" | "/compare" if get => match pages::page(app, path) {
            Some(html) => Response::new(200, "text/html; charset=utf-8", html),
            None => Response::new(
                404,
                "text/html; charset=utf-8",
                pages::not_available(app, path),
            ),
        },
        "/static/app.js" if get => Response::new(200, "text/javascript; charset=utf-8", pages::JS),
        "/static/app.css" if get => Response::new(200, "text/css; charset=utf-8", app.css.clone()),
        "/favicon.ico" if get => Response::new(204, "text/plain", ""),
        "/healthz" if get => Response::json(
            200,
            &serde_json::json!({
                "status": "ok",
                "model": app.queue.rhetor().scorer().name(),
                "workers": app.queue.workers(),
                "queue_capacity": app.queue.capacity(),
                "queue_waiting": app.queue.waiting(),
                "jobs_accepted": app.queue.stats().accepted.load(std::sync::atomic::Ordering::Relaxed),
                "jobs_refused": app.queue.stats().refused.load(std::sync::atomic::Ordering::Relaxed),
                "sentences_scored": app.queue.stats().sentences.load(std::sync::atomic::Ordering::Relaxed),
                "pages": pages::available(app),
            }),
        ),
        "/api/openapi.json" if get => Response::new(200, "application/json", pages::OPENAPI),
        "/api/devices" if get => api::devices(&app.queue),
        "/api/score" if post => api::score(req, &app.queue, &app.text),
        "/api/analyse" if post => api::analyse(req, &app.queue, &app.text),
        "/api/corpus/meta" if get => with_corpus(app, |c| Response::json(200, &c.meta())),
        "/api/corpus/articles" if get => with_corpus(app, |c| corpus_query(c, req)),
        "/api/corpus/article" if get => with_corpus(app, |c| {
            let Some(id) = req.param("id") else {
                return Response::error(400, "missing ?id=");
            };
            match c.article(id) {
                Ok(Some(a)) => Response::json(200, &a),
                Ok(None) => Response::error(404, "no such article"),
                Err(e) => Response::error(500, &e.to_string()),
            }
        }),
        "/api/compare" if get => match &app.compare {
            None => Response::error(404, "no comparison: start the server with --batch DIR"),
            Some(c) => compare_answer(app, c, req),
        },
        "/api/code/sample" if get => with_coding(app, code_sample),
        "/api/code/item" if get => with_coding(app, |c| code_item(c, req)),
        "/api/code/suggestion" if get => with_coding(app, |c| code_suggestion(app, c, req)),
        "/api/code/agreement" if get => with_coding(app, |c| {
            let (Some(a), Some(b)) = (req.param("a"), req.param("b")) else {
                return Response::error(400, "missing ?a=CODER&b=CODER");
            };
            match c.agreement(a, b) {
                Some(ag) => Response::json(
                    200,
                    &serde_json::json!({"a": a, "b": b, "macro_kappa": ag.macro_kappa(), "agreement": ag}),
                ),
                None => Response::error(404, "unknown coder"),
            }
        }),
        "/api/labels" if get => with_coding(app, |c| labels_read(c, req)),
        "/api/labels" if post => with_coding(app, |c| labels_write(c, req)),
        "/"
        | "/corpus"
        | "/code"
        | "/compare"
        | "/static/app.js"
        | "/static/app.css"
        | "/healthz"
        | "/api/openapi.json"
        | "/api/devices"
        | "/api/score"
        | "/api/analyse"
        | "/api/corpus/meta"
        | "/api/corpus/articles"
        | "/api/corpus/article"
        | "/api/compare"
        | "/api/code/sample"
        | "/api/code/item"
        | "/api/code/suggestion"
        | "/api/code/agreement"
        | "/api/labels" => Response::error(405, "method not allowed").with_header(
            "Allow",
            if path.starts_with("/api/score") || path == "/api/analyse" {
                "POST"
            } else {
                "GET"
            },
        ),
        _ => Response::error(404, "not found"),
    }
}

fn with_corpus(app: &App, f: impl FnOnce(&super::corpus::Corpus) -> Response) -> Response {
    match &app.corpus {
        Some(c) => f(c),
        None => Response::error(404, "no corpus: start the server with --batch DIR"),
    }
}

fn with_coding(app: &App, f: impl FnOnce(&super::coding::CodingStore) -> Response) -> Response {
    match &app.coding {
        Some(c) => f(c),
        None => Response::error(404, "no sample: start the server with --sample FILE"),
    }
}

/// The comparison; with a sample, the corrected rates of one coder's labels
/// (`?coder=`, default: the coder with the most coded sentences) beside the
/// naive ones, once that coder has coded something.
fn compare_answer(app: &App, c: &super::outlets::OutletComparison, req: &Request) -> Response {
    let mut naive = match c.json() {
        Ok(v) => v,
        Err(e) => return Response::error(500, &e),
    };
    let Some(coding) = &app.coding else {
        return Response::json(200, &naive);
    };
    if naive["status"] != "ready" {
        return Response::json(200, &naive);
    }
    let counts = coding.coded_counts();
    let chosen = match req.param("coder").filter(|c| !c.is_empty()) {
        Some(coder) if !valid_coder(coder) => {
            return Response::error(400, "?coder= must be 1-32 letters, digits, `_` or `-`")
        }
        Some(coder) => Some(coder.to_string()),
        None => counts
            .iter()
            .filter(|(_, n)| *n > 0)
            .max_by_key(|(_, n)| *n)
            .map(|(name, _)| name.clone()),
    };
    naive["coders"] = serde_json::json!(counts
        .iter()
        .map(|(name, n)| serde_json::json!({"coder": name, "coded": n}))
        .collect::<Vec<_>>());
    naive["coder"] = serde_json::json!(chosen);
    let coded = chosen.as_deref().and_then(|coder| {
        let (sample, version) = coding.coded_sample(coder)?;
        sample
            .rows
            .iter()
            .any(|r| r.is_coded())
            .then(|| c.corrected(coder, version, &sample))
    });
    match coded {
        Some(Ok(corrected)) => super::outlets::merge_corrected(&mut naive, &corrected),
        Some(Err(why)) => naive["corrected_error"] = serde_json::json!(why),
        None => {}
    }
    Response::json(200, &naive)
}

fn number<T: std::str::FromStr>(req: &Request, name: &str) -> Result<Option<T>, Response> {
    match req.param(name).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| Response::error(400, &format!("?{name}= is not a number"))),
    }
}

fn corpus_query(c: &super::corpus::Corpus, req: &Request) -> Response {
    let run = || -> Result<Response, Response> {
        let device = match req
            .param("device")
            .filter(|d| !d.is_empty() && *d != "framing")
        {
            None => None,
            Some(id) => match Device::from_id(id) {
                Some(d) => Some(Measure::Device(d)),
                // A label of the batch model's own codebook.
                None => Some(
                    Measure::labels_of(&c.data)
                        .into_iter()
                        .find(|m| m.id() == id)
                        .ok_or_else(|| {
                            Response::error(400, &format!("unknown device or label `{id}`"))
                        })?,
                ),
            },
        };
        let date = |name: &str| {
            req.param(name)
                .filter(|d| !d.is_empty())
                .map(str::to_string)
        };
        let q = Query {
            groups: req
                .query
                .iter()
                .filter_map(|(n, v)| {
                    n.strip_prefix("group.")
                        .filter(|_| !v.is_empty())
                        .map(|g| (g.to_string(), v.clone()))
                })
                .collect(),
            from: date("from"),
            to: date("to"),
            device,
            min_score: number(req, "min_score")?,
            text: req.param("q").filter(|t| !t.is_empty()).map(str::to_string),
            offset: number(req, "offset")?.unwrap_or(0),
            limit: number(req, "limit")?.unwrap_or(50),
        };
        c.query(&q)
            .map(|page| Response::json(200, &page))
            .map_err(|e| Response::error(400, &e))
    };
    run().unwrap_or_else(|r| r)
}

fn coder_param(req: &Request) -> Result<&str, Response> {
    let coder = req.param("coder").unwrap_or("");
    if valid_coder(coder) {
        Ok(coder)
    } else {
        Err(Response::error(
            400,
            "?coder= must be 1-32 letters, digits, `_` or `-`",
        ))
    }
}

fn code_sample(c: &super::coding::CodingStore) -> Response {
    let s = c.sample();
    let labels: Vec<serde_json::Value> = s
        .label_columns
        .iter()
        .map(|l| {
            serde_json::json!({
                "id": l,
                "label": Device::from_id(l).map_or("Any framing device", |d| d.label()),
                "definition": super::codebook::label_definition(l),
            })
        })
        .collect();
    Response::json(
        200,
        &serde_json::json!({"rows": s.rows.len(), "labels": labels, "coders": c.coders()}),
    )
}

fn answer_json(c: &super::coding::CodingStore, coder: &str, i: usize) -> serde_json::Value {
    let (cells, shown) = c.answer(coder, i);
    let labels: serde_json::Map<String, serde_json::Value> = c
        .sample()
        .label_columns
        .iter()
        .zip(cells)
        .map(|(l, v)| (l.clone(), v.into()))
        .collect();
    serde_json::json!({"labels": labels, "suggestion_shown": shown})
}

fn code_item(c: &super::coding::CodingStore, req: &Request) -> Response {
    let run = || -> Result<Response, Response> {
        let coder = coder_param(req)?;
        let n = c.sample().rows.len();
        let next = c.next_uncoded(coder);
        let i: usize = number(req, "i")?.unwrap_or(next);
        let row = (i < n).then(|| {
            let r = &c.sample().rows[i];
            serde_json::json!({
                "article_id": r.article_id,
                "sentence_index": r.sentence_index,
                "stratum": r.stratum,
                "context_before": r.context_before,
                "text": r.text,
                "context_after": r.context_after,
            })
        });
        Ok(Response::json(
            200,
            &serde_json::json!({
                "coder": coder,
                "i": i,
                "rows": n,
                "next_uncoded": next,
                "row": row,
                "answer": answer_json(c, coder, i),
                "progress": c.progress(coder),
            }),
        ))
    };
    run().unwrap_or_else(|r| r)
}

fn code_suggestion(app: &App, c: &super::coding::CodingStore, req: &Request) -> Response {
    let run = || -> Result<Response, Response> {
        let i: usize = number(req, "i")?.ok_or_else(|| Response::error(400, "missing ?i="))?;
        let row = c
            .sample()
            .rows
            .get(i)
            .ok_or_else(|| Response::error(404, "no such row"))?;
        let scored = api::score_queued(
            &app.queue,
            vec![Article {
                id: row.article_id.clone(),
                title: None,
                text: row.text.clone(),
            }],
        )?;
        let t = app.queue.rhetor().thresholds();
        let labels = app.queue.rhetor().scorer().labels();
        let sentences = &scored[0].sentences;
        let flagged: Vec<&str> = labels
            .names()
            .enumerate()
            .filter(|(i, _)| sentences.iter().any(|s| t.label_reached(*i, &s.probs)))
            .map(|(_, name)| name)
            .collect();
        let framing = sentences.iter().map(|s| s.framing).fold(0.0f32, f32::max);
        Ok(Response::json(
            200,
            &serde_json::json!({"i": i, "flagged": flagged, "framing": framing >= t.framing}),
        ))
    };
    run().unwrap_or_else(|r| r)
}

fn labels_read(c: &super::coding::CodingStore, req: &Request) -> Response {
    let run = || -> Result<Response, Response> {
        let coder = coder_param(req)?;
        let rows: Vec<serde_json::Value> = c
            .sample()
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                serde_json::json!({
                    "i": i,
                    "article_id": r.article_id,
                    "sentence_index": r.sentence_index,
                    "answer": answer_json(c, coder, i),
                })
            })
            .collect();
        Ok(Response::json(
            200,
            &serde_json::json!({"coder": coder, "rows": rows}),
        ))
    };
    run().unwrap_or_else(|r| r)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelsBody {
    coder: String,
    i: usize,
    labels: BTreeMap<String, Option<bool>>,
    #[serde(default)]
    suggestion_shown: bool,
}

fn labels_write(c: &super::coding::CodingStore, req: &Request) -> Response {
    let run = || -> Result<Response, Response> {
        let body: LabelsBody = json_body(req)?;
        if !valid_coder(&body.coder) {
            return Err(Response::error(
                400,
                "coder must be 1-32 letters, digits, `_` or `-`",
            ));
        }
        match c.save(&body.coder, body.i, &body.labels, body.suggestion_shown) {
            Ok(()) => Ok(Response::json(
                200,
                &serde_json::json!({
                    "saved": true,
                    "i": body.i,
                    "next": body.i + 1,
                    "progress": c.progress(&body.coder),
                }),
            )),
            Err(Error::Config(m)) => Err(Response::error(400, &m)),
            Err(e) => Err(Response::error(500, &format!("not saved: {e}"))),
        }
    };
    run().unwrap_or_else(|r| r)
}
