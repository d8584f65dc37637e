//! A minimal Chrome DevTools-protocol client for the browser tests: starts
//! a headless Chromium, talks to a page over a WebSocket (text frames only),
//! evaluates JavaScript, sends mouse and key events and takes screenshots.
//!
//! Skips, with a message, when Chromium is not installed (Debian:
//! `apt-get install -y chromium`; or set `RHETOR_CHROMIUM` to a binary),
//! unless `RHETOR_REQUIRE_ASSETS=1`, where a missing Chromium fails the test.
//! Screenshots of the pages go to `target/tmp/screenshots/` (the test
//! artifacts), or to `RHETOR_SCREENSHOT_DIR` when set.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn find_chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("RHETOR_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .find_map(|name| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
    })
}

/// A headless Chromium with its DevTools port; killed on drop.
pub struct Browser {
    child: Child,
    /// The DevTools port.
    pub port: u16,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts a headless Chromium.
    pub fn launch(binary: &Path) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let child = Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--window-size=1200,900",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromium");
        // Chromium writes the chosen port into DevToolsActivePort.
        let port_file = profile.path().join("DevToolsActivePort");
        let deadline = Instant::now() + Duration::from_secs(30);
        let port = loop {
            if let Some(port) = std::fs::read_to_string(&port_file)
                .ok()
                .and_then(|s| s.lines().next().and_then(|l| l.trim().parse().ok()))
            {
                break port;
            }
            assert!(
                Instant::now() < deadline,
                "chromium did not open its DevTools port"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        Browser {
            child,
            port,
            _profile: profile,
        }
    }

    /// The WebSocket path of the first page target.
    pub fn page_path(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let body = http_get(self.port, "/json/list");
            let targets: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            if let Some(url) = targets.as_array().and_then(|t| {
                t.iter()
                    .find(|x| x["type"] == "page")
                    .and_then(|x| x["webSocketDebuggerUrl"].as_str())
            }) {
                let path = url.splitn(4, '/').nth(3).unwrap_or("");
                return format!("/{path}");
            }
            assert!(Instant::now() < deadline, "no page target: {body}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A GET request to the DevTools HTTP endpoint (which keeps connections
/// open: the body is read by its Content-Length).
pub fn http_get(port: u16, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reader = BufReader::new(s);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap();
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).unwrap();
    String::from_utf8(body).unwrap()
}

/// A DevTools session over a minimal WebSocket client (text frames only).
pub struct DevTools {
    stream: BufReader<TcpStream>,
    next_id: u64,
    /// Events received so far (method, params).
    pub events: Vec<(String, Value)>,
}

impl DevTools {
    pub fn connect(port: u16, path: &str) -> DevTools {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .unwrap();
        let mut reader = BufReader::new(s);
        let mut status = String::new();
        reader.read_line(&mut status).unwrap();
        assert!(
            status.contains(" 101 "),
            "WebSocket upgrade refused: {status}"
        );
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
        }
        DevTools {
            stream: reader,
            next_id: 1,
            events: Vec::new(),
        }
    }

    fn send_frame(&mut self, payload: &[u8]) {
        let mut frame = vec![0x81u8];
        let mask = [0x12u8, 0x34, 0x56, 0x78];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n < 65536 => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.stream.get_mut().write_all(&frame).unwrap();
    }

    fn read_message(&mut self) -> String {
        let mut message = Vec::new();
        loop {
            let mut head = [0u8; 2];
            self.stream.read_exact(&mut head).unwrap();
            let fin = head[0] & 0x80 != 0;
            let opcode = head[0] & 0x0f;
            let len = match head[1] & 0x7f {
                126 => {
                    let mut b = [0u8; 2];
                    self.stream.read_exact(&mut b).unwrap();
                    u16::from_be_bytes(b) as usize
                }
                127 => {
                    let mut b = [0u8; 8];
                    self.stream.read_exact(&mut b).unwrap();
                    u64::from_be_bytes(b) as usize
                }
                n => n as usize,
            };
            let mut payload = vec![0u8; len];
            self.stream.read_exact(&mut payload).unwrap();
            match opcode {
                0x8 => panic!("DevTools closed the connection"),
                0x9 | 0xA => continue, // ping/pong
                _ => message.extend_from_slice(&payload),
            }
            if fin {
                return String::from_utf8(message).unwrap();
            }
        }
    }

    /// Sends a command and returns its result, recording events meanwhile.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let text = json!({"id": id, "method": method, "params": params}).to_string();
        self.send_frame(text.as_bytes());
        loop {
            let msg: Value = serde_json::from_str(&self.read_message()).unwrap();
            if msg["id"] == id {
                assert!(msg.get("error").is_none(), "{method} failed: {msg}");
                return msg["result"].clone();
            }
            if let Some(m) = msg["method"].as_str() {
                self.events.push((m.to_string(), msg["params"].clone()));
            }
        }
    }

    /// Waits until an event named `method` has arrived.
    pub fn wait_event(&mut self, method: &str) {
        while !self.events.iter().any(|(m, _)| m == method) {
            let msg: Value = serde_json::from_str(&self.read_message()).unwrap();
            if let Some(m) = msg["method"].as_str() {
                self.events.push((m.to_string(), msg["params"].clone()));
            }
        }
    }

    /// Evaluates a JavaScript expression and returns its value.
    pub fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        assert!(r.get("exceptionDetails").is_none(), "{expression}: {r}");
        r["result"]["value"].clone()
    }

    /// Console errors, uncaught exceptions and failed loads seen so far.
    pub fn errors(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|(m, p)| match m.as_str() {
                "Runtime.exceptionThrown" => Some(format!("exception: {}", p["exceptionDetails"])),
                "Runtime.consoleAPICalled" if p["type"] == "error" || p["type"] == "assert" => {
                    Some(format!("console.{}: {}", p["type"], p["args"]))
                }
                "Log.entryAdded" if p["entry"]["level"] == "error" => {
                    Some(format!("log: {}", p["entry"]))
                }
                _ => None,
            })
            .collect()
    }

    /// Opens `file` and waits for its load event.
    pub fn open(&mut self, file: &Path) {
        self.call("Page.enable", json!({}));
        self.call("Runtime.enable", json!({}));
        self.call("Log.enable", json!({}));
        let url = format!("file://{}", file.canonicalize().unwrap().display());
        self.call("Page.navigate", json!({"url": url}));
        self.wait_event("Page.loadEventFired");
    }

    /// Moves the mouse to the centre of the element matched by `selector`
    /// (scrolled into view) and returns the tooltip's visible text.
    pub fn hover(&mut self, selector: &str) -> (String, Value) {
        let sel = serde_json::to_string(selector).unwrap();
        let rect = self.eval(&format!(
            "(() => {{ const e = document.querySelector({sel}); e.scrollIntoView({{block: 'center'}}); \
             const r = e.getClientRects()[0]; return {{x: r.left + Math.min(r.width / 2, 20), y: r.top + r.height / 2}}; }})()"
        ));
        let (x, y) = (rect["x"].as_f64().unwrap(), rect["y"].as_f64().unwrap());
        self.call(
            "Input.dispatchMouseEvent",
            json!({"type": "mouseMoved", "x": x, "y": y}),
        );
        let hovered = self.eval(&format!(
            "(() => {{ const e = document.elementFromPoint({x}, {y}).closest('[data-tip]'); \
             return e ? {{tip: e.getAttribute('data-tip'), devices: e.getAttribute('data-devices') || e.getAttribute('data-device') || ''}} : null; }})()"
        ));
        let tip = self.eval(
            "(() => { const t = document.getElementById('tip'); return t.hidden ? '' : t.textContent; })()",
        );
        (tip.as_str().unwrap_or("").to_string(), hovered)
    }

    pub fn screenshot(&mut self, name: &str) {
        let dir = std::env::var_os("RHETOR_SCREENSHOT_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots"));
        let r = self.call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true}),
        );
        let png = base64_decode(r["data"].as_str().unwrap());
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(Path::new(&dir).join(name), png).unwrap();
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let bytes: Vec<u8> = s.bytes().filter(|c| *c != b'=').map(value).collect();
    bytes
        .chunks(4)
        .flat_map(|c| {
            let n = c.iter().fold(0u32, |acc, v| (acc << 6) | u32::from(*v)) << (6 * (4 - c.len()));
            let out = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            out.into_iter().take(c.len() * 3 / 4)
        })
        .collect()
}

pub fn chromium_or_skip() -> Option<PathBuf> {
    let found = find_chromium();
    if found.is_none() {
        super::skip_or_fail(
            "the browser test",
            "Chromium not found (install with `apt-get install -y chromium`, or set RHETOR_CHROMIUM)",
        );
    }
    found
}

impl DevTools {
    /// Opens `url` and waits for its load event (events of earlier pages are dropped).
    pub fn navigate(&mut self, url: &str) {
        self.call("Page.enable", json!({}));
        self.call("Runtime.enable", json!({}));
        self.call("Log.enable", json!({}));
        self.events.retain(|(m, _)| m != "Page.loadEventFired");
        self.call("Page.navigate", json!({"url": url}));
        self.wait_event("Page.loadEventFired");
    }

    /// Reloads the page and waits for its load event.
    pub fn reload(&mut self) {
        self.events.retain(|(m, _)| m != "Page.loadEventFired");
        self.call("Page.reload", json!({}));
        self.wait_event("Page.loadEventFired");
    }

    /// Polls a JavaScript expression until it is `true` (fails after `secs`).
    pub fn wait_for(&mut self, expression: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let r = self.call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true}),
            );
            if r["result"]["value"] == json!(true) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for `{expression}`; errors: {:#?}",
                self.errors()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Presses and releases a key: a printable character (`"1"`, `"s"`), or
    /// `Enter`, `Backspace`, `Tab`, `Escape`.
    pub fn key(&mut self, key: &str) {
        let (code, vk, text) = match key {
            "Enter" => ("Enter".to_string(), 13, "\r".to_string()),
            "Backspace" => ("Backspace".to_string(), 8, String::new()),
            "Tab" => ("Tab".to_string(), 9, String::new()),
            "Escape" => ("Escape".to_string(), 27, String::new()),
            c if c.len() == 1 && c.as_bytes()[0].is_ascii_digit() => (
                format!("Digit{c}"),
                u32::from(c.as_bytes()[0]),
                c.to_string(),
            ),
            c if c.len() == 1 => (
                format!("Key{}", c.to_ascii_uppercase()),
                u32::from(c.to_ascii_uppercase().as_bytes()[0]),
                c.to_string(),
            ),
            other => panic!("unknown key {other}"),
        };
        let mut down = json!({"type": "keyDown", "key": key, "code": code, "windowsVirtualKeyCode": vk, "nativeVirtualKeyCode": vk});
        if !text.is_empty() {
            down["text"] = json!(text);
        }
        self.call("Input.dispatchKeyEvent", down);
        self.call(
            "Input.dispatchKeyEvent",
            json!({"type": "keyUp", "key": key, "code": code, "windowsVirtualKeyCode": vk, "nativeVirtualKeyCode": vk}),
        );
    }
}
