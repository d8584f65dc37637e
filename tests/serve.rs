//! `rhetor serve` driven as a user would: the real binary on a free port of
//! 127.0.0.1 with temporary files. The API gives the numbers of `rhetor
//! score`; hostile requests get clear 4xx answers and never a panic; an
//! overfilled queue answers only clean 503s with bounded memory; 16
//! concurrent clients get no error; kill -9 in the middle of coding loses no
//! acknowledged label; labels coded through the API give the Compare page
//! the corrected rates of `rhetor compare --gold` and are read by `rhetor
//! eval`; and a headless Chromium drives the Analyse, Corpus, Code and
//! Compare pages (tests/common/devtools.rs; screenshots in
//! `target/tmp/screenshots/` or `RHETOR_SCREENSHOT_DIR`).

mod common;

use common::batch::{batch_sample_corpus, sample_corpus};
use common::devtools::{chromium_or_skip, Browser, DevTools};
use common::{offline, ok, read_csv, write};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A running `rhetor serve`; killed on drop.
struct Serve {
    child: Child,
    addr: String,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Serve {
    /// Starts `rhetor serve --port 0 ARGS` (cue model unless ARGS say otherwise).
    fn start(args: &[&str], env: &[(&str, &str)]) -> Serve {
        let mut cmd = offline();
        cmd.args(["serve", "--port", "0"]);
        if !args.contains(&"--model") {
            cmd.args(["--model", "cues"]);
        }
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start rhetor serve");
        let mut stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("no address printed: `{line}`")
            })
            .to_string();
        Serve {
            child,
            addr,
            stderr: Some(stderr),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Kills the server (SIGKILL) and returns what it wrote on standard error.
    fn kill(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr
            .take()
            .map(|h| h.join().unwrap())
            .unwrap_or_default()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response: status, headers (lower-case names), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
}

/// Sends raw bytes and reads the answer up to the server's close.
fn raw(addr: &str, request: &[u8]) -> Answer {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let _ = s.write_all(request);
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    parse_answer(&buf)
}

fn parse_answer(buf: &[u8]) -> Answer {
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP answer: {:?}", String::from_utf8_lossy(buf)));
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: buf[end + 4..].to_vec(),
    }
}

fn request(addr: &str, method: &str, path: &str, body: Option<&[u8]>) -> Answer {
    let mut r = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(b) = body {
        r.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    r.push_str("\r\n");
    let mut bytes = r.into_bytes();
    bytes.extend_from_slice(body.unwrap_or_default());
    raw(addr, &bytes)
}

fn get(addr: &str, path: &str) -> Answer {
    request(addr, "GET", path, None)
}

fn post(addr: &str, path: &str, body: &Value) -> Answer {
    request(addr, "POST", path, Some(body.to_string().as_bytes()))
}

const ARTICLE: &str = "Let's notice that the minister said nothing about the <b>so-called</b> \"reform\". \
By the way, the plan is curious.\n\nThe council met on Tuesday. Everybody knows the truth: this is a disaster!";

#[test]
fn the_score_api_gives_the_document_of_rhetor_score_json() {
    let dir = tempfile::tempdir().unwrap();
    let server = Serve::start(&[], &[]);
    // One text: the CLI names the article after its file, `text`.
    let file = write(dir.path(), "text.txt", ARTICLE.as_bytes());
    let cli: Value = serde_json::from_slice(
        &ok(&[
            "score",
            "--model",
            "cues",
            "--format",
            "json",
            file.to_str().unwrap(),
        ])
        .stdout,
    )
    .unwrap();
    let api = post(&server.addr, "/api/score", &json!({"text": ARTICLE}));
    assert_eq!(api.status, 200, "{}", String::from_utf8_lossy(&api.body));
    assert_eq!(api.json(), cli);
    // Several texts, with --devices and --threshold.
    let texts = [
        ARTICLE,
        "Rain fell. Note that the mayor is silent, tellingly.",
    ];
    let files: Vec<PathBuf> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| write(dir.path(), &format!("{}.txt", i + 1), t.as_bytes()))
        .collect();
    let mut args = vec![
        "score",
        "--model",
        "cues",
        "--format",
        "json",
        "--devices",
        "editorial_aside,doubt",
        "--threshold",
        "0.3",
    ];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let cli: Value = serde_json::from_slice(&ok(&args).stdout).unwrap();
    let api = post(
        &server.addr,
        "/api/score",
        &json!({"texts": texts, "devices": ["editorial_aside", "doubt"], "threshold": 0.3}),
    );
    assert_eq!(api.status, 200);
    assert_eq!(api.json(), cli);
}

#[test]
fn the_default_model_gives_the_same_numbers_through_the_api() {
    let base = rhetor::LoadOptions::from_env().base.dir;
    if !rhetor::model::setup::is_complete(&base) {
        assert!(
            !common::assets_required(),
            "no base weights in {} and RHETOR_REQUIRE_ASSETS=1",
            base.display()
        );
        eprintln!("SKIPPED: no base weights in {}", base.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Serve::start(&["--model", "default", "--workers", "1"], &[]);
    let file = write(dir.path(), "text.txt", ARTICLE.as_bytes());
    let cli: Value =
        serde_json::from_slice(&ok(&["score", "--format", "json", file.to_str().unwrap()]).stdout)
            .unwrap();
    let api = post(&server.addr, "/api/score", &json!({"text": ARTICLE}));
    assert_eq!(api.status, 200);
    assert_eq!(api.json(), cli);
}

#[test]
fn pages_health_and_openapi_answer_with_a_strict_csp() {
    let server = Serve::start(&[], &[]);
    let health = get(&server.addr, "/healthz");
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");
    assert_eq!(health.json()["model"], "cues");
    let openapi = get(&server.addr, "/api/openapi.json");
    assert_eq!(openapi.status, 200);
    let doc = openapi.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/score",
        "/api/labels",
        "/api/corpus/articles",
        "/healthz",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} not documented");
    }
    let page = get(&server.addr, "/");
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"));
    let html = String::from_utf8(page.body.clone()).unwrap();
    assert!(
        html.contains("/static/app.js") && !html.contains("http://") && !html.contains("https://")
    );
    assert_eq!(get(&server.addr, "/static/app.js").status, 200);
    // Without --batch and --sample, only Analyse and the API.
    assert_eq!(get(&server.addr, "/corpus").status, 404);
    assert_eq!(get(&server.addr, "/api/labels?coder=a").status, 404);
    assert_eq!(
        request(&server.addr, "POST", "/healthz", Some(b"{}")).status,
        405
    );
    assert_eq!(get(&server.addr, "/api/score").status, 405);
}

#[test]
fn hostile_requests_get_a_clear_4xx_and_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let sample = write_sample(dir.path(), 4);
    let mut server = Serve::start(
        &[
            "--sample",
            sample.to_str().unwrap(),
            "--max-text-bytes",
            "2000",
            "--max-body-bytes",
            "100000",
        ],
        &[],
    );
    let a = &server.addr.clone();
    let status = |r: Answer| r.status;
    // Malformed JSON, wrong shapes, wrong content type, invalid UTF-8.
    assert_eq!(
        status(request(a, "POST", "/api/score", Some(b"{\"text\": "))),
        400
    );
    assert_eq!(status(post(a, "/api/score", &json!({"text": 5}))), 400);
    assert_eq!(
        status(post(a, "/api/score", &json!({"text": "a", "texts": ["b"]}))),
        400
    );
    assert_eq!(status(post(a, "/api/score", &json!({"txt": "a"}))), 400);
    assert_eq!(status(post(a, "/api/score", &json!({"text": "  "}))), 422);
    assert_eq!(
        status(post(a, "/api/score", &json!({"text": "a", "threshold": 7}))),
        400
    );
    assert_eq!(
        status(post(
            a,
            "/api/score",
            &json!({"text": "a", "devices": ["nope"]})
        )),
        400
    );
    let utf8 = b"{\"text\": \"caf\xc3\x28\"}";
    let bad = request(a, "POST", "/api/score", Some(utf8));
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("UTF-8"));
    let plain = raw(
        a,
        format!("POST /api/score HTTP/1.1\r\nHost: {a}\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi").as_bytes(),
    );
    assert_eq!(plain.status, 415);
    // Size limits: a text over --max-text-bytes, a body over --max-body-bytes
    // (announced, never sent; and sent in full).
    assert_eq!(
        status(post(
            a,
            "/api/score",
            &json!({"text": "word ".repeat(1000)})
        )),
        413
    );
    let huge = raw(
        a,
        format!("POST /api/score HTTP/1.1\r\nHost: {a}\r\nContent-Type: application/json\r\nContent-Length: 900000000\r\n\r\n").as_bytes(),
    );
    assert_eq!(huge.status, 413);
    let big = format!("{{\"text\": \"{}\"}}", "x".repeat(300_000));
    assert_eq!(
        request(a, "POST", "/api/score", Some(big.as_bytes())).status,
        413
    );
    assert_eq!(
        status(raw(
            a,
            b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        )),
        411
    );
    assert_eq!(status(raw(a, b"NOT A REQUEST\r\n\r\n")), 400);
    assert_eq!(
        status(raw(
            a,
            format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(20_000)).as_bytes()
        )),
        431
    );
    // Paths never reach the file system; a foreign Host is refused (DNS rebinding).
    for p in [
        "/static/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/static/app.js/..",
        "/..%2f..%2fetc%2fpasswd",
    ] {
        assert_eq!(get(a, p).status, 404, "{p}");
    }
    let foreign = raw(a, b"GET /healthz HTTP/1.1\r\nHost: evil.example:80\r\n\r\n");
    assert_eq!(foreign.status, 403);
    // Script in texts comes back as JSON data, never as markup; script in coder names is refused.
    let script =
        "<script>alert(1)</script> Let's notice that it is <img src=x onerror=alert(2)> curious.";
    let analysed = post(a, "/api/analyse", &json!({"text": script}));
    assert_eq!(analysed.status, 200);
    assert_eq!(analysed.header("content-type"), Some("application/json"));
    let long = "x".repeat(40);
    for coder in ["<script>", "../../etc", "a b", "", long.as_str()] {
        let r = post(
            a,
            "/api/labels",
            &json!({"coder": coder, "i": 0, "labels": {"doubt": true}}),
        );
        assert_eq!(r.status, 400, "coder `{coder}`");
        let r = get(
            a,
            &format!(
                "/api/code/item?coder={}",
                coder
                    .replace(' ', "%20")
                    .replace('<', "%3C")
                    .replace('>', "%3E")
            ),
        );
        assert_eq!(r.status, 400, "coder `{coder}`");
    }
    assert_eq!(
        status(post(
            a,
            "/api/labels",
            &json!({"coder": "ana", "i": 99, "labels": {}})
        )),
        400
    );
    assert_eq!(
        status(post(
            a,
            "/api/labels",
            &json!({"coder": "ana", "i": 0, "labels": {"nope": true}})
        )),
        400
    );
    assert_eq!(
        status(post(
            a,
            "/api/labels",
            &json!({"coder": "ana", "i": 0, "labels": {"doubt": "yes"}})
        )),
        400
    );
    assert_eq!(status(get(a, "/api/code/item?coder=ana&i=abc")), 400);
    // No coder file was created for a refused name.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.contains("script") && !n.contains("..labels")),
        "{names:?}"
    );
    // Still alive, and nothing panicked.
    assert_eq!(get(a, "/healthz").status, 200);
    let stderr = server.kill();
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn beyond_loopback_a_token_is_required_and_checked() {
    let out = offline()
        .args([
            "serve", "--model", "cues", "--host", "0.0.0.0", "--port", "0",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--token"));
    let server = Serve::start(&["--token", "s3cret"], &[]);
    let a = &server.addr;
    assert_eq!(get(a, "/healthz").status, 401);
    assert_eq!(get(a, "/").status, 401);
    let auth = |t: &str| {
        raw(
            a,
            format!("GET /healthz HTTP/1.1\r\nHost: {a}\r\nAuthorization: Bearer {t}\r\n\r\n")
                .as_bytes(),
        )
    };
    assert_eq!(auth("s3cret").status, 200);
    assert_eq!(auth("s3cre").status, 401);
    let page = get(a, "/?token=s3cret");
    assert_eq!(page.status, 200);
    assert!(page.header("set-cookie").unwrap().contains("HttpOnly"));
    let cookie = raw(
        a,
        format!("GET /healthz HTTP/1.1\r\nHost: {a}\r\nCookie: rhetor_token=s3cret\r\n\r\n")
            .as_bytes(),
    );
    assert_eq!(cookie.status, 200);
}

/// Peak resident memory of a process, in kB (Linux).
fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Texts of 1 to 5 sentences.
fn short_texts() -> Vec<String> {
    let sentences = [
        "The council met on Tuesday to discuss the budget.",
        "Let's notice that the minister has not answered a single letter.",
        "Prices rose by three percent in March, the agency said.",
        "This so-called \"reform\" is a disaster for everybody.",
        "Is this really the best the government can do?",
    ];
    (0..20)
        .map(|i| {
            let n = 1 + i % 5;
            (0..n)
                .map(|k| sentences[(i + k) % sentences.len()])
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Sends `total` requests from `clients` threads; returns (status, latency) per request.
fn hammer(addr: &str, total: usize, clients: usize, limit: Duration) -> Vec<(u16, Duration)> {
    let texts = short_texts();
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let (addr, texts, next) = (addr.to_string(), texts.clone(), next.clone());
            std::thread::spawn(move || {
                let mut out = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    if i >= total || start.elapsed() > limit {
                        return out;
                    }
                    let t0 = Instant::now();
                    let r = post(
                        &addr,
                        "/api/score",
                        &json!({"text": texts[i % texts.len()]}),
                    );
                    if r.status == 503 {
                        assert_eq!(r.header("retry-after"), Some("1"));
                        assert!(r.json()["error"]["message"].is_string());
                    } else if r.status == 200 {
                        assert!(r.json()["articles"][0]["sentences"].is_array());
                    }
                    out.push((r.status, t0.elapsed()));
                }
            })
        })
        .collect();
    handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect()
}

#[test]
fn sixteen_clients_get_no_error() {
    let server = Serve::start(&[], &[]);
    let t0 = Instant::now();
    let results = hammer(&server.addr, 320, 16, Duration::from_secs(60));
    let elapsed = t0.elapsed();
    assert_eq!(results.len(), 320, "the time limit cut the run");
    let errors = results.iter().filter(|(s, _)| *s != 200).count();
    let mut lat: Vec<Duration> = results.iter().map(|(_, d)| *d).collect();
    lat.sort();
    eprintln!(
        "320 requests, 16 clients: {:.0} req/s, p50 {:?}, p99 {:?}, errors {errors}",
        320.0 / elapsed.as_secs_f64(),
        lat[lat.len() / 2],
        lat[lat.len() * 99 / 100]
    );
    assert_eq!(errors, 0);
}

#[test]
fn an_overfilled_queue_answers_only_clean_503s_with_bounded_memory() {
    let server = Serve::start(
        &["--workers", "1", "--queue", "2"],
        &[("RHETOR_TEST_SLOW_MS", "100")],
    );
    let results = hammer(&server.addr, 96, 32, Duration::from_secs(60));
    let ok = results.iter().filter(|(s, _)| *s == 200).count();
    let refused = results.iter().filter(|(s, _)| *s == 503).count();
    assert_eq!(ok + refused, results.len(), "only 200 and 503");
    assert!(refused > 0 && ok > 0, "ok {ok}, refused {refused}");
    let rss = peak_rss_kb(server.child.id()).unwrap_or(0);
    eprintln!(
        "overfilled: {ok} scored, {refused} refused with 503, peak RSS {} MB",
        rss / 1024
    );
    assert!(rss < 300 * 1024, "peak RSS {rss} kB");
    assert_eq!(get(&server.addr, "/healthz").status, 200);
}

/// A validation sample of `n` sentences in two strata (label columns: three devices and framing).
fn write_sample(dir: &Path, n: usize) -> PathBuf {
    let mut csv = String::from("article_id,sentence_index,stratum,outlet,inclusion_probability,context_before,text,context_after,editorial_aside,loaded_language,doubt,framing\n");
    for i in 0..n {
        let stratum = if i.is_multiple_of(2) {
            "Meridian Wire"
        } else {
            "The <b>Courier</b>"
        };
        csv.push_str(&format!(
            "a{},{},{stratum},{stratum},0.5,Sentence before {i}.,\"Sentence {i}: let's notice the \"\"<script>alert({i})</script>\"\" plan.\",Sentence after {i}.,,,,\n",
            i / 3,
            i % 3
        ));
    }
    write(dir, "sample.csv", csv.as_bytes())
}

#[test]
fn kill_9_in_the_middle_of_coding_loses_no_acknowledged_label() {
    let dir = tempfile::tempdir().unwrap();
    let sample = write_sample(dir.path(), 40);
    let args = ["--sample", sample.to_str().unwrap()];
    let mut server = Serve::start(&args, &[]);
    let addr = server.addr.clone();
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(usize, bool)>::new()));
    let coder = {
        let acked = acked.clone();
        std::thread::spawn(move || {
            for i in 0..40usize {
                let doubt = i.is_multiple_of(3);
                let body = json!({"coder": "ana", "i": i, "labels": {"doubt": doubt, "framing": doubt, "editorial_aside": false, "loaded_language": false}});
                let mut s = match TcpStream::connect(&addr) {
                    Ok(s) => s,
                    Err(_) => return,
                };
                let text = body.to_string();
                let req = format!(
                    "POST /api/labels HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{text}",
                    text.len()
                );
                if s.write_all(req.as_bytes()).is_err() {
                    return;
                }
                let mut buf = Vec::new();
                let _ = s.read_to_end(&mut buf);
                if buf.windows(4).any(|w| w == b"\r\n\r\n") && parse_answer(&buf).status == 200 {
                    acked.lock().unwrap().push((i, doubt));
                } else {
                    return; // the server is gone
                }
            }
        })
    };
    // Kill while answers are being written.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acked.lock().unwrap().len() < 12 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    server.kill();
    coder.join().unwrap();
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 12 && acked.len() < 40,
        "acknowledged {}",
        acked.len()
    );

    // After a restart every acknowledged answer is there, and the labels file parses.
    let server = Serve::start(&args, &[]);
    let labels = get(&server.addr, "/api/labels?coder=ana").json();
    for (i, doubt) in &acked {
        let answer = &labels["rows"][*i]["answer"]["labels"];
        assert_eq!(answer["doubt"], json!(doubt), "row {i}: {answer}");
        assert_eq!(answer["loaded_language"], json!(false), "row {i}");
    }
    let file = dir.path().join("sample.labels.ana.csv");
    let is_label = |c: &str| c == "framing" || rhetor::Device::from_id(c).is_some();
    let coded =
        rhetor::io::sample::read_coded_sample(&file, &is_label).expect("the labels file parses");
    assert_eq!(coded.rows.len(), 40);
    assert_eq!(
        coded.label_columns,
        ["editorial_aside", "loaded_language", "doubt", "framing"]
    );
    for (i, doubt) in &acked {
        let k = coded.label_index("doubt").unwrap();
        assert_eq!(coded.rows[*i].labels[k], Some(*doubt), "row {i}");
    }
    // The coder resumes at the first row without an answer.
    let item = get(&server.addr, "/api/code/item?coder=ana").json();
    assert!(item["i"].as_u64().unwrap() as usize >= acked.len());
}

#[test]
fn two_coders_get_cohens_kappa_on_their_overlap() {
    let dir = tempfile::tempdir().unwrap();
    let sample = write_sample(dir.path(), 6);
    let server = Serve::start(&["--sample", sample.to_str().unwrap()], &[]);
    let a = &server.addr;
    // ana codes rows 0-5, bo rows 0-3: the overlap is rows 0-3.
    for (coder, rows) in [("ana", 6), ("bo", 4)] {
        for i in 0..rows {
            let doubt = i < 2 || (coder == "bo" && i == 3);
            let r = post(
                a,
                "/api/labels",
                &json!({"coder": coder, "i": i, "labels": {"doubt": doubt, "loaded_language": false, "editorial_aside": false, "framing": doubt}}),
            );
            assert_eq!(r.status, 200);
        }
    }
    let k = get(a, "/api/code/agreement?a=ana&b=bo").json();
    assert_eq!(k["agreement"]["sentences"], json!(4));
    let doubt = k["agreement"]["labels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["label"] == "doubt")
        .unwrap()
        .clone();
    // ana 1,1,0,0 vs bo 1,1,0,1: po = 3/4, pe = 1/2·3/4 + 1/2·1/4 = 1/2, κ = 0.5.
    assert!(
        (doubt["kappa"].as_f64().unwrap() - 0.5).abs() < 1e-9,
        "{doubt}"
    );
    assert_eq!(get(a, "/api/code/agreement?a=ana&b=nobody").status, 404);
    let sample_info = get(a, "/api/code/sample").json();
    assert_eq!(sample_info["coders"], json!(["ana", "bo"]));
    assert!(dir.path().join("sample.labels.bo.csv").is_file());
}

/// Polls `GET /api/compare[?query]` until the comparison's rates are ready.
fn compare_ready(addr: &str, query: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answer = get(addr, &format!("/api/compare{query}"));
        assert_eq!(
            answer.status,
            200,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
        let v = answer.json();
        if v["status"] == "ready" {
            return v;
        }
        assert!(Instant::now() < deadline, "the comparison never got ready");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn compare_and_eval_use_the_labels_coded_through_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    batch_sample_corpus(&out);
    // The sample as `rhetor sample` writes it.
    let sample = dir.path().join("sample.csv");
    ok(&[
        "sample",
        out.to_str().unwrap(),
        "--by",
        "outlet",
        "--per-group",
        "12",
        "--devices",
        "framing,loaded_language",
        "--out",
        sample.to_str().unwrap(),
    ]);
    let server = Serve::start(
        &[
            "--batch",
            out.to_str().unwrap(),
            "--sample",
            sample.to_str().unwrap(),
        ],
        &[],
    );
    let a = &server.addr;
    // No labels yet: naive rates only.
    let before = compare_ready(a, "");
    assert_eq!(before["corrected"], json!(false), "{before}");
    assert_eq!(before["coders"], json!([]));

    // ana codes every sentence of the sample through the API: she agrees
    // with the model's suggestion except on every seventh sentence.
    let info = get(a, "/api/code/sample").json();
    let rows = info["rows"].as_u64().unwrap() as usize;
    assert!(rows >= 20, "{info}");
    let mut framing_positives = 0;
    for i in 0..rows {
        let suggestion = get(a, &format!("/api/code/suggestion?i={i}")).json();
        let flip = i % 7 == 3;
        let framing = suggestion["framing"].as_bool().unwrap() != flip;
        let loaded = suggestion["flagged"]
            .as_array()
            .unwrap()
            .contains(&json!("loaded_language"))
            != flip;
        framing_positives += usize::from(framing);
        let body = json!({"coder": "ana", "i": i, "labels": {"framing": framing, "loaded_language": loaded}});
        assert_eq!(post(a, "/api/labels", &body).status, 200);
    }
    // `rhetor eval` reads the same labels file: every coded sentence, the labelled device.
    let eval_out = dir.path().join("eval");
    ok(&[
        "eval",
        "--gold",
        dir.path().join("sample.labels.ana.csv").to_str().unwrap(),
        "--model",
        "cues",
        "--resamples",
        "0",
        "--out",
        eval_out.to_str().unwrap(),
    ]);
    let metrics: Value =
        serde_json::from_str(&std::fs::read_to_string(eval_out.join("metrics.json")).unwrap())
            .unwrap();
    assert_eq!(metrics["gold_format"], json!("sample"));
    assert_eq!(metrics["scored_devices"], json!(["loaded_language"]));
    assert_eq!(metrics["evaluation"]["sentences"], json!(rows));
    assert_eq!(
        metrics["evaluation"]["positive_sentences"],
        json!(framing_positives)
    );
    let after = compare_ready(a, "");
    assert_eq!(after["corrected"], json!(true), "{after}");
    assert_eq!(after["coder"], json!("ana"));
    assert_eq!(after["labelled"], json!(["framing", "loaded_language"]));
    assert_eq!(after["coders"], json!([{"coder": "ana", "coded": rows}]));

    // The same figures as `rhetor compare --gold` on ana's labels file.
    let cmp = dir.path().join("cmp");
    ok(&[
        "compare",
        out.to_str().unwrap(),
        "--gold",
        dir.path().join("sample.labels.ana.csv").to_str().unwrap(),
        "--out",
        cmp.to_str().unwrap(),
    ]);
    let (header, csv_rows) = read_csv(&cmp.join("compare.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut checked = 0;
    for row in &csv_rows {
        let (group, measure) = (&row[col("group")], &row[col("device")]);
        if !["framing", "loaded_language"].contains(&measure.as_str()) {
            continue;
        }
        let g = after["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["label"] == json!(group))
            .unwrap_or_else(|| panic!("no group {group} in {after}"));
        let m = g["measures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["measure"] == json!(measure))
            .unwrap();
        let close = |json_value: &Value, cell: &str| {
            let v = json_value
                .as_f64()
                .unwrap_or_else(|| panic!("{group} {measure}: {m}"));
            let c: f64 = cell.parse().unwrap();
            assert!((v - c).abs() < 1e-3, "{group} {measure}: {v} vs {c}");
        };
        close(&m["corrected_rate"], &row[col("ppi_rate")]);
        close(&m["corrected_ci"][0], &row[col("ppi_ci_low")]);
        close(&m["corrected_ci"][1], &row[col("ppi_ci_high")]);
        close(&m["gold_rate"], &row[col("gold_rate")]);
        close(&m["rate"], &row[col("rate_per_100")]);
        assert_eq!(
            m["labelled_sentences"].to_string(),
            row[col("n_gold")],
            "{group} {measure}"
        );
        checked += 1;
    }
    assert_eq!(checked, 2 * after["groups"].as_array().unwrap().len());
    // The page draws both bars for every group (when Chromium is here).
    if let Some((_browser, mut dt)) = browser() {
        dt.navigate(&server.url("/compare?coder=ana"));
        let groups = after["groups"].as_array().unwrap().len();
        dt.wait_for(
            &format!("document.querySelectorAll('#chart .bar-row.has-corrected .bar.corrected').length === {groups}"),
            30,
        );
        assert_eq!(
            dt.eval("document.getElementById('compare-legend').textContent.includes('corrected')"),
            json!(true)
        );
        assert_eq!(
            dt.eval("document.querySelectorAll('#chart .bar.naive').length"),
            json!(groups)
        );
        dt.screenshot("serve-compare-corrected.png");
        let errors = dt.errors();
        assert!(errors.is_empty(), "console errors: {errors:#?}");
    }
    // New answers change the corrected rates (they follow the labels).
    let framing_of = |v: &Value| -> Vec<Value> {
        v["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["measures"][0]["corrected_rate"].clone())
            .collect()
    };
    let first = framing_of(&after);
    for i in 0..rows {
        let body =
            json!({"coder": "ana", "i": i, "labels": {"framing": true, "loaded_language": false}});
        assert_eq!(post(a, "/api/labels", &body).status, 200);
    }
    let all_framing = compare_ready(a, "?coder=ana");
    assert_ne!(framing_of(&all_framing), first);
    // An unknown or malformed coder: naive only, or 400.
    assert_eq!(compare_ready(a, "?coder=nobody")["corrected"], json!(false));
    assert_eq!(get(a, "/api/compare?coder=..%2Fx").status, 400);
}

// ------------------------------------------------------------- browser

fn browser() -> Option<(Browser, DevTools)> {
    let chromium = chromium_or_skip()?;
    let browser = Browser::launch(&chromium);
    let dt = DevTools::connect(browser.port, &browser.page_path());
    Some((browser, dt))
}

#[test]
fn browser_analyse_a_pasted_article_and_see_its_highlights() {
    let Some((_browser, mut dt)) = browser() else {
        return;
    };
    let server = Serve::start(&[], &[]);
    dt.navigate(&server.url("/"));
    dt.wait_for(
        "document.querySelectorAll('#sliders input').length === 18",
        20,
    );
    let text =
        serde_json::to_string(&format!("{ARTICLE} <script>window.pwned = 1</script>")).unwrap();
    dt.eval(&format!("document.getElementById('text').value = {text}; document.getElementById('text').focus(); true"));
    // Ctrl+Enter analyses.
    dt.call("Input.dispatchKeyEvent", json!({"type": "keyDown", "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "modifiers": 2}));
    dt.call("Input.dispatchKeyEvent", json!({"type": "keyUp", "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "modifiers": 2}));
    dt.wait_for("document.querySelectorAll('#result .s').length >= 4", 20);
    let flagged = dt
        .eval("document.querySelectorAll('#result .s.flagged').length")
        .as_u64()
        .unwrap();
    assert!(flagged >= 2, "{flagged} flagged sentences");
    assert_eq!(
        dt.eval("document.querySelectorAll('#result mark.m.d-editorial_aside').length > 0"),
        json!(true)
    );
    assert_eq!(
        dt.eval("document.querySelectorAll('#legend .d-editorial_aside').length"),
        json!(1)
    );
    assert_eq!(
        dt.eval("document.querySelectorAll('#result .voice.author').length > 0"),
        json!(true)
    );
    // The text is shown as text: no script ran, no element came from it.
    assert_eq!(dt.eval("window.pwned === undefined && document.querySelectorAll('#result script, #result b').length === 0"), json!(true));
    assert_eq!(
        dt.eval("document.getElementById('result').textContent.includes('<script>window.pwned')"),
        json!(true)
    );
    // The definition on hover.
    let (tip, _) = dt.hover("#result mark.m.d-editorial_aside");
    assert!(
        tip.contains("Editorial aside") && tip.contains("reader-directing"),
        "{tip}"
    );
    // A threshold slider at 1 removes the device's highlights.
    dt.eval("(() => { const s = document.getElementById('th-editorial_aside'); s.value = 1; s.dispatchEvent(new Event('input')); return true; })()");
    assert_eq!(
        dt.eval("document.querySelectorAll('#result mark.m.d-editorial_aside').length"),
        json!(0)
    );
    dt.eval("(() => { const s = document.getElementById('th-editorial_aside'); s.value = 0.5; s.dispatchEvent(new Event('input')); return true; })()");
    // The screenshot (docs/serve-analyse.png) shows an article of the
    // sample corpus, without a tooltip over the text.
    let (header, rows) = read_csv(&sample_corpus());
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let article = rows.iter().find(|r| r[col("id")] == "dt-2025-002").unwrap();
    let text = serde_json::to_string(&article[col("text")]).unwrap();
    dt.eval(&format!("document.getElementById('text').value = {text}; document.getElementById('go').click(); true"));
    dt.wait_for(
        "document.getElementById('result').textContent.startsWith('The Coastal Alliance')",
        20,
    );
    dt.key("Escape");
    assert_eq!(
        dt.eval("document.getElementById('tip').hidden"),
        json!(true)
    );
    dt.screenshot("serve-analyse.png");
    let errors = dt.errors();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

#[test]
fn browser_filter_the_corpus_and_open_an_article() {
    let Some((_browser, mut dt)) = browser() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    batch_sample_corpus(&out);
    let server = Serve::start(&["--batch", out.to_str().unwrap()], &[]);
    // The API first: filters, pages, sort.
    let all = get(&server.addr, "/api/corpus/articles?limit=5").json();
    let total = all["total"].as_u64().unwrap();
    assert!(total >= 10, "{all}");
    let scores: Vec<f64> = all["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let meta = get(&server.addr, "/api/corpus/meta").json();
    let outlet = meta["groups"][0]["values"][0].as_str().unwrap().to_string();
    let enc = outlet.replace(' ', "%20");
    let one = get(
        &server.addr,
        &format!("/api/corpus/articles?group.outlet={enc}"),
    )
    .json();
    assert!(one["total"].as_u64().unwrap() < total);
    assert!(one["articles"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["meta"]["outlet"] == json!(outlet)));

    dt.navigate(&server.url("/corpus"));
    dt.wait_for(
        "document.querySelectorAll('#articles tbody tr').length > 0",
        20,
    );
    let sel = serde_json::to_string(&outlet).unwrap();
    dt.eval(&format!("(() => {{ const s = document.getElementById('g-outlet'); s.value = {sel}; document.getElementById('apply').click(); return true; }})()"));
    dt.wait_for(
        &format!(
            "document.getElementById('count').textContent === '{} articles match'",
            one["total"]
        ),
        20,
    );
    dt.eval("(() => { const r = document.querySelector('#articles tbody tr'); r.focus(); return true; })()");
    dt.key("Enter");
    dt.wait_for(
        "document.querySelectorAll('#article-body .s').length > 0",
        20,
    );
    assert_eq!(
        dt.eval("document.querySelectorAll('#article h2').length"),
        json!(1)
    );
    assert_eq!(
        dt.eval("document.querySelectorAll('#article-body .s.flagged').length > 0"),
        json!(true)
    );
    dt.screenshot("serve-corpus.png");
    // The Compare page of the same batch.
    dt.navigate(&server.url("/compare"));
    dt.wait_for(
        "document.querySelectorAll('#chart .bar-row').length >= 2",
        30,
    );
    dt.screenshot("serve-compare.png");
    let errors = dt.errors();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

#[test]
fn browser_code_five_sentences_with_the_keyboard_reload_and_resume_at_the_sixth() {
    let Some((_browser, mut dt)) = browser() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sample = write_sample(dir.path(), 12);
    let server = Serve::start(&["--sample", sample.to_str().unwrap()], &[]);
    dt.navigate(&server.url("/code?coder=ana"));
    dt.wait_for(
        "document.getElementById('sentence').getAttribute('data-i') === '0'",
        20,
    );
    // The sentence's markup is text.
    assert_eq!(
        dt.eval("document.querySelectorAll('#sentence script').length"),
        json!(0)
    );
    assert_eq!(
        dt.eval(
            "document.getElementById('sentence').textContent.includes('<script>alert(0)</script>')"
        ),
        json!(true)
    );
    // The suggestion is hidden until asked for.
    assert_eq!(
        dt.eval("document.getElementById('suggestion').textContent"),
        json!("")
    );
    for i in 0..5usize {
        if i == 2 {
            dt.key("s");
            dt.wait_for(
                "document.getElementById('suggestion').textContent.startsWith('model suggests')",
                20,
            );
        }
        dt.key("3"); // doubt
        if i.is_multiple_of(2) {
            dt.key("1"); // editorial aside
        }
        assert_eq!(
            dt.eval("document.getElementById('label-doubt').getAttribute('aria-pressed')"),
            json!("true")
        );
        dt.key("Enter");
        dt.wait_for(
            &format!(
                "document.getElementById('sentence').getAttribute('data-i') === '{}'",
                i + 1
            ),
            20,
        );
    }
    // Backspace goes back to the fifth, with its answer.
    dt.key("Backspace");
    dt.wait_for(
        "document.getElementById('sentence').getAttribute('data-i') === '4'",
        20,
    );
    assert_eq!(
        dt.eval("document.getElementById('label-editorial_aside').getAttribute('aria-pressed')"),
        json!("true")
    );
    dt.reload();
    dt.wait_for(
        "document.getElementById('sentence').getAttribute('data-i') === '5'",
        20,
    );
    assert_eq!(
        dt.eval("document.getElementById('position').textContent.startsWith('Sentence 6 of 12')"),
        json!(true)
    );
    assert_eq!(dt.eval("document.querySelector('#progress [data-stratum=\"Meridian Wire\"]').textContent.includes('3/6')"), json!(true));
    dt.screenshot("serve-code.png");
    let errors = dt.errors();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    // The labels file: five coded rows, in the sample's format; the journal records the suggestion.
    let is_label = |c: &str| c == "framing" || rhetor::Device::from_id(c).is_some();
    let coded =
        rhetor::io::sample::read_coded_sample(&dir.path().join("sample.labels.ana.csv"), &is_label)
            .unwrap();
    assert_eq!(coded.rows.iter().filter(|r| r.is_coded()).count(), 5);
    let doubt = coded.label_index("doubt").unwrap();
    assert!(coded.rows[..5]
        .iter()
        .all(|r| r.labels[doubt] == Some(true)));
    let journal = std::fs::read_to_string(dir.path().join("sample.journal.ana.jsonl")).unwrap();
    let shown: Vec<bool> = journal
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["suggestion_shown"]
                .as_bool()
                .unwrap()
        })
        .collect();
    assert_eq!(shown, [false, false, true, false, false]);
}

#[test]
fn a_model_with_a_declared_label_set_serves_its_labels() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("my-model");
    std::fs::create_dir(&model).unwrap();
    let cues = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/cues/patterns.toml");
    std::fs::copy(cues, model.join("patterns.toml")).unwrap();
    let config = json!({
        "kind": "cues", "name": "mine", "patterns": "patterns.toml",
        "label_set": [
            {"name": "scare_quotes", "definition": "Quotes that keep a term at a distance.", "level": "span"},
            {"name": "editorial_aside", "definition": "The author talks to the reader.", "level": "sentence"}
        ]
    });
    std::fs::write(model.join("config.json"), config.to_string()).unwrap();
    let server = Serve::start(&["--model", model.to_str().unwrap()], &[]);
    let devices = get(&server.addr, "/api/devices").json();
    let ids: Vec<&str> = devices["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["scare_quotes", "editorial_aside"]);
    assert_eq!(
        devices["devices"][1]["definition"],
        "The author talks to the reader."
    );
    let analysed = post(&server.addr, "/api/analyse", &json!({"text": ARTICLE})).json();
    for s in analysed["sentences"].as_array().unwrap() {
        let keys: Vec<&str> = s["scores"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["scare_quotes", "editorial_aside"]);
    }
    let scored = post(&server.addr, "/api/score", &json!({"text": ARTICLE})).json();
    assert_eq!(
        scored["devices"],
        json!(["scare_quotes", "editorial_aside"])
    );
}

#[test]
fn the_corpus_page_filters_and_shows_labels_of_a_models_own() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base");
    rhetor::model::tiny::write_tiny_base(&base, 1).unwrap();
    let model = dir.path().join("labelled");
    // Thresholds: blame 0 (every sentence), us_vs_them 1 (none).
    rhetor::model::tiny::write_tiny_labelled_model(
        &model,
        &[("blame", 0.0), ("us_vs_them", 1.0)],
        3,
    )
    .unwrap();
    let batch = dir.path().join("batch");
    let run = offline()
        .env("RHETOR_BASE_DIR", &base)
        .arg("batch")
        .arg(sample_corpus())
        .arg("--out")
        .arg(&batch)
        .args(["--model", model.to_str().unwrap(), "--quiet"])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let server = Serve::start(
        &[
            "--model",
            model.to_str().unwrap(),
            "--batch",
            batch.to_str().unwrap(),
        ],
        &[("RHETOR_BASE_DIR", base.to_str().unwrap())],
    );
    let meta = get(&server.addr, "/api/corpus/meta").json();
    assert_eq!(meta["devices"], json!(["blame", "us_vs_them"]));
    let blame = get(&server.addr, "/api/corpus/articles?device=blame&limit=100").json();
    let all = get(&server.addr, "/api/corpus/articles?limit=100").json();
    assert_eq!(
        blame["total"], all["total"],
        "every article has blame sentences"
    );
    for a in blame["articles"].as_array().unwrap() {
        assert_eq!(a["flagged"], a["sentences"], "{a}");
    }
    let none = get(&server.addr, "/api/corpus/articles?device=us_vs_them").json();
    assert_eq!(none["total"], 0);
    let bad = get(&server.addr, "/api/corpus/articles?device=nonsense");
    assert_eq!(bad.status, 400);
    let id = blame["articles"][0]["id"].as_str().unwrap().to_string();
    let article = get(&server.addr, &format!("/api/corpus/article?id={id}")).json();
    let sentences = article["sentences"].as_array().unwrap();
    assert!(!sentences.is_empty());
    for s in sentences {
        assert_eq!(s["flagged"], json!(["blame"]), "{s}");
        assert!(s["scores"]["blame"].as_f64().is_some(), "{s}");
    }
}
