//! A small, strict RFC 4180 record splitter that reports what the `csv` crate
//! silently repairs: stray quotes in unquoted fields, text after a closing
//! quote, and quoted fields left open at the end of the input. It keeps the
//! physical line where every record starts and caps the bytes kept per record,
//! so one runaway record cannot exhaust memory.

use std::io::{self, BufRead};

/// One physical CSV record, split into raw (unchecked) byte fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRecord {
    /// 1-based line on which the record starts.
    pub line: u64,
    /// The fields' raw bytes (empty when the record was too large to keep).
    pub fields: Vec<Vec<u8>>,
    /// A syntax problem found while splitting the record, if any.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a field.
    FieldStart,
    /// Inside an unquoted field.
    Unquoted,
    /// Inside a quoted field.
    Quoted,
    /// Just after a quote inside a quoted field (closing quote or first half of `""`).
    QuoteSeen,
}

/// Splits a byte stream into CSV records (comma-separated, `"`-quoted, LF or CRLF).
pub struct CsvRecords<R> {
    input: R,
    line: u64,
    max_record_bytes: usize,
}

/// The record being assembled.
struct Pending {
    line: u64,
    fields: Vec<Vec<u8>>,
    field: Vec<u8>,
    problem: Option<String>,
    kept_bytes: usize,
    oversized: bool,
    quote_line: u64,
}

impl Pending {
    fn new(line: u64) -> Self {
        Pending {
            line,
            fields: Vec::new(),
            field: Vec::new(),
            problem: None,
            kept_bytes: 0,
            oversized: false,
            quote_line: line,
        }
    }

    fn push_byte(&mut self, b: u8, max: usize) {
        if self.oversized {
            return;
        }
        self.kept_bytes += 1;
        if self.kept_bytes > max {
            self.oversized = true;
            self.fields = Vec::new();
            self.field = Vec::new();
        } else {
            self.field.push(b);
        }
    }

    fn end_field(&mut self) {
        if !self.oversized {
            self.fields.push(std::mem::take(&mut self.field));
        }
    }

    fn note(&mut self, problem: String) {
        if self.problem.is_none() {
            self.problem = Some(problem);
        }
    }

    fn is_blank(&self) -> bool {
        self.fields.is_empty() && self.field.is_empty() && self.kept_bytes == 0
    }

    fn finish(mut self, max: usize) -> CsvRecord {
        if self.oversized {
            self.problem = Some(format!(
                "record is larger than {max} bytes (raise --max-article-bytes to accept it)"
            ));
        }
        CsvRecord {
            line: self.line,
            fields: self.fields,
            problem: self.problem,
        }
    }
}

impl<R: BufRead> CsvRecords<R> {
    /// A splitter over `input`; records above `max_record_bytes` are reported, not kept.
    pub fn new(input: R, max_record_bytes: usize) -> Self {
        CsvRecords {
            input,
            line: 1,
            max_record_bytes,
        }
    }

    /// The next record, `None` at the end of the input. Blank lines are skipped.
    pub fn next_record(&mut self) -> io::Result<Option<CsvRecord>> {
        let max = self.max_record_bytes;
        let mut rec = Pending::new(self.line);
        let mut state = State::FieldStart;
        loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                return Ok(self.finish_at_eof(rec, state));
            }
            let mut used = 0;
            let mut ended = false;
            for &b in buf {
                used += 1;
                if b == b'\n' {
                    self.line += 1;
                }
                match (state, b) {
                    (State::Quoted, b'"') => state = State::QuoteSeen,
                    (State::Quoted, _) => rec.push_byte(b, max),
                    (_, b',') => {
                        rec.end_field();
                        state = State::FieldStart;
                    }
                    (State::QuoteSeen, b'\n') => {
                        rec.end_field();
                        ended = true;
                        break;
                    }
                    (_, b'\n') => {
                        if rec.field.last() == Some(&b'\r') {
                            rec.field.pop();
                            rec.kept_bytes = rec.kept_bytes.saturating_sub(1);
                        }
                        if rec.is_blank() {
                            rec = Pending::new(self.line);
                            state = State::FieldStart;
                            continue;
                        }
                        rec.end_field();
                        ended = true;
                        break;
                    }
                    (State::FieldStart, b'"') => {
                        rec.quote_line = self.line;
                        rec.kept_bytes += 1;
                        state = State::Quoted;
                    }
                    (State::QuoteSeen, b'"') => {
                        rec.push_byte(b, max);
                        state = State::Quoted;
                    }
                    (State::Unquoted, b'"') => {
                        let n = rec.fields.len() + 1;
                        rec.note(format!("bad quoting: stray quote inside unquoted field {n} (quote the whole field and double inner quotes)"));
                        rec.push_byte(b, max);
                    }
                    (State::QuoteSeen, b'\r') => {}
                    (State::QuoteSeen, _) => {
                        let n = rec.fields.len() + 1;
                        rec.note(format!(
                            "bad quoting: text after the closing quote of field {n}"
                        ));
                        rec.push_byte(b, max);
                        state = State::Unquoted;
                    }
                    _ => {
                        rec.push_byte(b, max);
                        state = State::Unquoted;
                    }
                }
            }
            self.input.consume(used);
            if ended {
                return Ok(Some(rec.finish(max)));
            }
        }
    }

    fn finish_at_eof(&mut self, mut rec: Pending, state: State) -> Option<CsvRecord> {
        match state {
            State::Quoted => {
                let line = rec.quote_line;
                rec.note(format!(
                    "bad quoting: quoted field opened on line {line} is never closed (it runs to the end of the input)"
                ));
            }
            State::FieldStart if rec.is_blank() => return None,
            _ => {}
        }
        if rec.field.last() == Some(&b'\r') && state != State::Quoted {
            rec.field.pop();
        }
        rec.end_field();
        Some(rec.finish(self.max_record_bytes))
    }

    /// The line the next record would start on.
    pub fn line(&self) -> u64 {
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &str) -> Vec<CsvRecord> {
        let mut r = CsvRecords::new(input.as_bytes(), 1000);
        let mut out = Vec::new();
        while let Some(rec) = r.next_record().expect("in-memory read") {
            out.push(rec);
        }
        out
    }

    fn problem(rec: &CsvRecord) -> &str {
        rec.problem.as_deref().unwrap_or("")
    }

    fn fields(rec: &CsvRecord) -> Vec<String> {
        rec.fields
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect()
    }

    #[test]
    fn splits_plain_quoted_and_crlf_records() {
        let recs = all("a,b,c\r\n1,\"x, \"\"y\"\"\nz\",3\r\n\n4,,\n");
        assert_eq!(recs.len(), 3);
        assert_eq!(fields(&recs[0]), ["a", "b", "c"]);
        assert_eq!(fields(&recs[1]), ["1", "x, \"y\"\nz", "3"]);
        assert_eq!(recs[1].line, 2);
        assert_eq!(recs[2].line, 5);
        assert_eq!(fields(&recs[2]), ["4", "", ""]);
        assert!(recs.iter().all(|r| r.problem.is_none()));
    }

    #[test]
    fn last_record_without_newline() {
        let recs = all("a,b\n1,2");
        assert_eq!(fields(&recs[1]), ["1", "2"]);
    }

    #[test]
    fn reports_stray_and_trailing_quotes() {
        let recs = all("a,b\n1,x\"y\n2,\"ab\"c\n3,ok\n");
        assert_eq!(recs.len(), 4);
        assert!(problem(&recs[1]).contains("stray quote"));
        assert!(problem(&recs[2]).contains("after the closing quote"));
        assert!(recs[3].problem.is_none());
    }

    #[test]
    fn reports_unterminated_quote() {
        let recs = all("a,b\n1,\"open\n2,x\n");
        assert_eq!(recs.len(), 2);
        assert!(problem(&recs[1]).contains("never closed"));
    }

    #[test]
    fn caps_oversized_records_and_resyncs() {
        let big = "x".repeat(2000);
        let recs = all(&format!("a,b\n1,{big}\n2,y\n"));
        assert_eq!(recs.len(), 3);
        assert!(recs[1].fields.is_empty());
        assert!(problem(&recs[1]).contains("larger than"));
        assert_eq!(fields(&recs[2]), ["2", "y"]);
    }
}
