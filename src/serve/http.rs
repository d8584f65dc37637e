//! A small HTTP/1.1 server on `std::net`: one request per connection
//! (`Connection: close`), bodies only with `Content-Length`, hard limits on
//! the request line, the headers and the body, and read/write timeouts.
//!
//! An acceptor thread hands connections to a fixed pool of connection
//! threads through a bounded channel; when every thread is busy and the
//! channel is full, the acceptor answers 503 itself. Nothing grows with the
//! number of clients.

use crossbeam_channel::{bounded, Receiver, TrySendError};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The longest request line or header line accepted.
const MAX_LINE: usize = 8 * 1024;
/// The most header lines accepted.
const MAX_HEADERS: usize = 64;

/// Limits of the HTTP layer.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body, in bytes (over it: 413).
    pub max_body: usize,
    /// Read timeout of a connection (request line, headers and body).
    pub read_timeout: Duration,
    /// Write timeout of a connection.
    pub write_timeout: Duration,
    /// Connection threads.
    pub connection_threads: usize,
    /// Accepted connections waiting for a connection thread (over it: 503).
    pub backlog: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 2 * 1024 * 1024,
            read_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            connection_threads: 32,
            backlog: 64,
        }
    }
}

/// A parsed request.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, percent-decoded, without the query.
    pub path: String,
    /// Query parameters, percent-decoded, in order.
    pub query: Vec<(String, String)>,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body (empty without `Content-Length`).
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of cookie `name`.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.header("cookie")?.split(';').find_map(|c| {
            let (n, v) = c.trim().split_once('=')?;
            (n == name).then_some(v)
        })
    }
}

/// A response.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// A response with a body.
    pub fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            content_type,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// A JSON response.
    pub fn json(status: u16, value: &impl serde::Serialize) -> Response {
        match serde_json::to_vec(value) {
            Ok(body) => Response::new(status, "application/json", body),
            Err(e) => Response::error(500, &format!("cannot serialise the answer: {e}")),
        }
    }

    /// A JSON error: `{"error": {"status": …, "message": …}}`.
    pub fn error(status: u16, message: &str) -> Response {
        let body = serde_json::json!({"error": {"status": status, "message": message}});
        Response::new(status, "application/json", body.to_string())
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Writes the response (always `Connection: close`).
    pub fn write_to(&self, out: &mut impl Write) -> std::io::Result<()> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            self.body.len()
        );
        for (n, v) in &self.headers {
            // Header values are ours; a stray line break would split the response.
            let v: String = v.chars().filter(|c| *c != '\r' && *c != '\n').collect();
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        head.push_str("\r\n");
        out.write_all(head.as_bytes())?;
        out.write_all(&self.body)?;
        out.flush()
    }
}

/// The reason phrase of a status code.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        303 => "See Other",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

/// Reads one line ending in `\n` of at most [`MAX_LINE`] bytes; `None` at a
/// clean end of stream before any byte.
fn read_line(r: &mut impl BufRead) -> Result<Option<String>, Response> {
    let mut buf = Vec::new();
    let mut limited = r.by_ref().take(MAX_LINE as u64 + 1);
    let n = limited
        .read_until(b'\n', &mut buf)
        .map_err(|e| io_response(&e))?;
    if n == 0 {
        return Ok(None);
    }
    if buf.len() > MAX_LINE || !buf.ends_with(b"\n") {
        return Err(if buf.len() > MAX_LINE {
            Response::error(431, "request line or header line too long")
        } else {
            Response::error(400, "incomplete request")
        });
    }
    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        buf.pop();
    }
    String::from_utf8(buf)
        .map(Some)
        .map_err(|_| Response::error(400, "request line or header is not UTF-8"))
}

fn io_response(e: &std::io::Error) -> Response {
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            Response::error(408, "request not received in time")
        }
        _ => Response::error(400, &format!("cannot read the request: {e}")),
    }
}

/// Reads a request; `Ok(None)` when the client closed without sending one.
/// An error is the response to send (400, 408, 411, 413, 431, 501).
pub fn read_request(r: &mut impl BufRead, limits: &Limits) -> Result<Option<Request>, Response> {
    let Some(line) = read_line(r)? else {
        return Ok(None);
    };
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Response::error(400, "malformed request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(Response::error(400, "only HTTP/1.x is supported"));
    }
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Response::error(400, "malformed method"));
    }
    let mut headers = Vec::new();
    loop {
        let Some(h) = read_line(r)? else {
            return Err(Response::error(400, "incomplete request headers"));
        };
        if h.is_empty() {
            break;
        }
        if headers.len() >= MAX_HEADERS {
            return Err(Response::error(431, "too many header lines"));
        }
        let Some((name, value)) = h.split_once(':') else {
            return Err(Response::error(400, "malformed header line"));
        };
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let (raw_path, raw_query) = target.split_once('?').unwrap_or((target, ""));
    if !raw_path.starts_with('/') {
        return Err(Response::error(400, "the request target must be a path"));
    }
    let path = percent_decode(raw_path)
        .ok_or_else(|| Response::error(400, "the path is not valid percent-encoded UTF-8"))?;
    let query = parse_query(raw_query)
        .ok_or_else(|| Response::error(400, "the query is not valid percent-encoded UTF-8"))?;
    let mut request = Request {
        method: method.to_string(),
        path,
        query,
        headers,
        body: Vec::new(),
    };
    if request.header("transfer-encoding").is_some() {
        return Err(Response::error(
            411,
            "chunked bodies are not accepted: send Content-Length",
        ));
    }
    let length = match request.header("content-length") {
        None => 0,
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| Response::error(400, "malformed Content-Length"))?,
    };
    if length > limits.max_body {
        return Err(Response::error(
            413,
            &format!(
                "the body is {length} bytes, over the limit of {} bytes",
                limits.max_body
            ),
        ));
    }
    if length > 0 {
        let mut body = vec![0u8; length];
        r.read_exact(&mut body).map_err(|e| io_response(&e))?;
        request.body = body;
    }
    Ok(Some(request))
}

/// `a=1&b=x%20y` → pairs (`+` is a space).
pub fn parse_query(q: &str) -> Option<Vec<(String, String)>> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            Some((
                percent_decode(&n.replace('+', " "))?,
                percent_decode(&v.replace('+', " "))?,
            ))
        })
        .collect()
}

/// Decodes `%XX` escapes; `None` for a bad escape or invalid UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Serves `listener` until `stop` is set, calling `handle` on each request
/// from a pool of `limits.connection_threads` threads.
pub fn serve<H>(listener: TcpListener, limits: Limits, stop: Arc<AtomicBool>, handle: H)
where
    H: Fn(Request) -> Response + Send + Sync + 'static,
{
    let handle = Arc::new(handle);
    let (tx, rx) = bounded::<TcpStream>(limits.backlog.max(1));
    let mut threads = Vec::new();
    for i in 0..limits.connection_threads.max(1) {
        let rx: Receiver<TcpStream> = rx.clone();
        let handle = Arc::clone(&handle);
        let t = std::thread::Builder::new()
            .name(format!("rhetor-http-{i}"))
            .spawn(move || {
                for stream in rx {
                    connection(stream, &limits, &*handle);
                }
            })
            .expect("spawn a connection thread");
        threads.push(t);
    }
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        match tx.try_send(stream) {
            Ok(()) => {}
            Err(TrySendError::Full(mut stream)) | Err(TrySendError::Disconnected(mut stream)) => {
                let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
                let busy = Response::error(503, "the server is busy; retry shortly")
                    .with_header("Retry-After", "1");
                let _ = busy.write_to(&mut stream);
                let _ = stream.shutdown(Shutdown::Write);
            }
        }
    }
    drop(tx);
    for t in threads {
        let _ = t.join();
    }
}

/// Handles one connection: one request, one response.
fn connection(stream: TcpStream, limits: &Limits, handle: &dyn Fn(Request) -> Response) {
    let _ = stream.set_read_timeout(Some(limits.read_timeout));
    let _ = stream.set_write_timeout(Some(limits.write_timeout));
    let _ = stream.set_nodelay(true);
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let (response, drain) = match read_request(&mut reader, limits) {
        Ok(None) => return,
        Ok(Some(request)) => {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handle(request)));
            (
                r.unwrap_or_else(|_| Response::error(500, "internal error")),
                false,
            )
        }
        Err(r) => (r, true),
    };
    let mut out = write_half;
    let _ = response.write_to(&mut out);
    let _ = out.shutdown(Shutdown::Write);
    if drain {
        // Read (and drop) what the client is still sending for a moment, so
        // that closing does not reset the connection before it reads the error.
        let deadline = Instant::now() + Duration::from_millis(500);
        let _ = reader
            .get_ref()
            .set_read_timeout(Some(Duration::from_millis(100)));
        let mut sink = [0u8; 16 * 1024];
        while Instant::now() < deadline {
            match reader.read(&mut sink) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &[u8]) -> Result<Option<Request>, Response> {
        read_request(&mut std::io::Cursor::new(raw.to_vec()), &Limits::default())
    }

    #[test]
    fn parses_a_post_with_query_and_body() {
        let r =
            parse(b"POST /api/x%20y?a=1&b=c+d HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}")
                .unwrap()
                .unwrap();
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/api/x y");
        assert_eq!(r.param("b"), Some("c d"));
        assert_eq!(r.header("host"), Some("h"));
        assert_eq!(r.body, b"{}");
    }

    #[test]
    fn rejects_what_it_does_not_handle() {
        let status = |raw: &[u8]| parse(raw).unwrap_err().status;
        assert_eq!(
            status(b"GET / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n"),
            413
        );
        assert_eq!(
            status(b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            411
        );
        assert_eq!(status(b"GET /%ff HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(status(b"GET  HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(status(b"GET / HTTP/1.1\r\nbad\r\n\r\n"), 400);
        let long = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(MAX_LINE));
        assert_eq!(status(long.as_bytes()), 431);
        assert!(parse(b"").unwrap().is_none());
    }

    #[test]
    fn header_values_cannot_split_the_response() {
        let mut out = Vec::new();
        Response::new(200, "text/plain", "x")
            .with_header("X-A", "1\r\nSet-Cookie: evil")
            .write_to(&mut out)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("X-A: 1Set-Cookie: evil\r\n"));
    }
}
