//! The PTC folder layout: `articleNNN.txt` with span files
//! (`*.task-flc-tc.labels`, `*.task-si.labels`) or NLP4IF-2019 sentence files
//! (`*.task-SLC.labels`). One sentence per non-blank line.

use super::{
    file_name, list_dir, GoldArticle, GoldFormat, GoldOptions, GoldSentence, GoldSet, GoldSpan,
    Problems,
};
use crate::error::{Error, Location, Result};
use crate::taxonomy::Device;
use crate::text::normalize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Technique names of the NLP4IF-2019 18-class release that have no rhetor
/// device: their spans still make a sentence positive.
const UNMAPPED_TECHNIQUES: &[&str] = &["Obfuscation,Intentional_Vagueness,Confusion"];

/// `article123.txt` → `123`.
fn ptc_article_id(name: &str) -> Option<&str> {
    let id = name.strip_prefix("article")?.strip_suffix(".txt")?;
    (!id.is_empty() && !id.contains('.')).then_some(id)
}

/// Does the folder hold at least one `articleNNN.txt`?
pub(super) fn has_ptc_articles(dir: &Path) -> Result<bool> {
    Ok(list_dir(dir)?
        .iter()
        .any(|p| ptc_article_id(&file_name(p)).is_some()))
}

/// Is this an existing file named like a PTC article (`articleNNN.txt`)?
pub(super) fn is_article_file(path: &Path) -> bool {
    path.is_file() && ptc_article_id(&file_name(path)).is_some()
}

/// Reads a PTC-layout folder, or one `articleNNN.txt` of such a folder (with
/// the label files beside it).
pub fn read_ptc_dir(path: &Path, options: GoldOptions) -> Result<GoldSet> {
    let only = path.is_file().then(|| file_name(path));
    let dir = match path.parent() {
        Some(parent) if only.is_some() && !parent.as_os_str().is_empty() => parent,
        _ if only.is_some() => Path::new("."),
        _ => path,
    };
    let files = list_dir(dir)?;
    let mut problems = Problems::new(options);
    let mut articles = Vec::new();
    let mut techniques = TechniqueNaming::default();
    for txt in files
        .iter()
        .filter(|f| only.is_none() || only == Some(file_name(f)))
    {
        let name = file_name(txt);
        let Some(id) = ptc_article_id(&name) else {
            continue;
        };
        let prefix = format!("article{id}.");
        let labels: Vec<&PathBuf> = files
            .iter()
            .filter(|p| {
                let n = file_name(p);
                n.starts_with(&prefix) && n.ends_with(".labels")
            })
            .collect();
        if labels.is_empty() {
            problems.report(
                Location::file(txt.display().to_string()),
                format!("no label file (expected {prefix}task-flc-tc.labels, {prefix}task-si.labels or {prefix}task-SLC.labels beside it)"),
            )?;
            continue;
        }
        let (article, naming) = read_ptc_article(txt, id, &labels, &mut problems)?;
        techniques.add(naming);
        articles.push(article);
    }
    articles.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(GoldSet {
        source: path.to_path_buf(),
        format: GoldFormat::Ptc,
        articles,
        // A set that names no technique anywhere (span identification
        // `.task-si.labels`, sentence files `.task-SLC.labels`, or technique
        // files holding three-column `id start end` lines, as in the
        // official test layout) labels no device: its device metrics are
        // not available rather than 0.
        devices: if techniques.labels_techniques() {
            Device::ALL.iter().copied().filter(|d| d.is_ptc()).collect()
        } else {
            Vec::new()
        },
        skipped: problems.skipped,
    })
}

fn is_slc_file(p: &Path) -> bool {
    file_name(p).to_ascii_lowercase().contains("slc")
}

/// A technique-classification span file (`.task-flc-tc.labels`,
/// `.task-TC.labels`): it labels techniques even when it is empty.
fn is_technique_file(p: &Path) -> bool {
    file_name(p).to_ascii_lowercase().ends_with("tc.labels")
}

/// What the span files of a set say about technique names.
#[derive(Debug, Clone, Copy, Default)]
struct TechniqueNaming {
    /// A technique file (`*tc.labels`) was read, even an empty one.
    technique_file: bool,
    /// A span line named a technique (4 columns).
    named_line: bool,
    /// A line of a technique file named none (3 columns: spans only).
    unnamed_technique_line: bool,
}

impl TechniqueNaming {
    fn add(&mut self, other: TechniqueNaming) {
        self.technique_file |= other.technique_file;
        self.named_line |= other.named_line;
        self.unnamed_technique_line |= other.unnamed_technique_line;
    }

    /// Does the set label techniques? Yes when a line names one, or when it
    /// has technique files none of whose lines lacks a name (empty technique
    /// files: articles without any technique).
    fn labels_techniques(&self) -> bool {
        self.named_line || self.technique_file && !self.unnamed_technique_line
    }
}

/// Reads one article and its labels, with what they say about technique
/// names.
fn read_ptc_article(
    txt: &Path,
    id: &str,
    labels: &[&PathBuf],
    problems: &mut Problems,
) -> Result<(GoldArticle, TechniqueNaming)> {
    let bytes = std::fs::read(txt).map_err(|e| Error::io(txt, e))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::input(
            Location::file(txt.display().to_string()),
            format!("not valid UTF-8: {e}"),
        )
    })?;
    let n_chars = text.chars().count();
    let title = text
        .lines()
        .next()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let mut sentences = ptc_lines(&text);
    let mut naming = TechniqueNaming::default();
    let mut gold_spans = None;
    let (slc, span_files): (Vec<&PathBuf>, Vec<&PathBuf>) =
        labels.iter().copied().partition(|p| is_slc_file(p));
    if span_files.is_empty() {
        for f in &slc {
            apply_slc_file(f, id, &text, &mut sentences, problems)?;
        }
    } else {
        let mut spans = Vec::new();
        for f in &span_files {
            let technique_file = is_technique_file(f);
            naming.technique_file |= technique_file;
            for (span, technique) in read_span_file(f, id, n_chars, problems)? {
                naming.named_line |= technique;
                naming.unnamed_technique_line |= technique_file && !technique;
                spans.push(span);
            }
        }
        apply_spans(&spans, &mut sentences);
        gold_spans = Some(spans);
    }
    Ok((
        GoldArticle {
            id: id.to_string(),
            title,
            sentences,
            text: Some(text),
            spans: gold_spans,
        },
        naming,
    ))
}

/// The NLP4IF-2019 sentence unit: every line that is not blank (Python's
/// `line.strip()` is non-empty) is one sentence, numbered by its 1-based line.
/// The scored text is the normalised line. (This differs from
/// `text::segment_lines` only for lines that normalisation empties, such as a
/// line holding just a byte-order mark, which NLP4IF-2019 counts as a sentence.)
fn ptc_lines(text: &str) -> Vec<GoldSentence> {
    let mut out = Vec::new();
    let mut char_pos = 0;
    for (i, line) in text.split('\n').enumerate() {
        let n = line.chars().count();
        let trimmed = line.trim();
        if !trimmed.is_empty() {
            let lead = line[..line.len() - line.trim_start().len()].chars().count();
            let start = char_pos + lead;
            out.push(GoldSentence {
                index: out.len(),
                line: Some(i + 1),
                text: normalize(trimmed).text.trim().to_string(),
                devices: Vec::new(),
                positive: false,
                split: None,
                char_span: Some((start, start + trimmed.chars().count())),
            });
        }
        char_pos += n + 1;
    }
    out
}

/// Marks sentences overlapped by spans (half-open char ranges).
fn apply_spans(spans: &[GoldSpan], sentences: &mut [GoldSentence]) {
    for s in sentences.iter_mut() {
        let Some((cs, ce)) = s.char_span else {
            continue;
        };
        for sp in spans.iter().filter(|sp| sp.start < ce && sp.end > cs) {
            s.positive = true;
            if let Some(d) = sp.device {
                if !s.devices.contains(&d) {
                    s.devices.push(d);
                }
            }
        }
        s.devices.sort();
    }
}

/// Reads a span file: `id technique start end` or `id start end`,
/// tab-separated. Each span comes with whether its line named a technique
/// (4 columns), mapped to a device or not.
fn read_span_file(
    path: &Path,
    id: &str,
    n_chars: usize,
    problems: &mut Problems,
) -> Result<Vec<(GoldSpan, bool)>> {
    let source = path.display().to_string();
    let raw = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut spans = Vec::new();
    for (i, line) in raw.lines().enumerate() {
        let loc = |f: &str| Location::file(&source).at_line(i as u64 + 1).in_field(f);
        if line.trim().is_empty() {
            continue;
        }
        spans.extend(problems.recover(parse_span_line(line, id, n_chars, &loc))?);
    }
    Ok(spans)
}

fn parse_offset(raw: &str, loc: Location) -> Result<usize> {
    raw.trim()
        .parse()
        .map_err(|_| Error::input(loc, format!("`{raw}` is not a non-negative integer")))
}

fn parse_span_line(
    line: &str,
    id: &str,
    n_chars: usize,
    loc: &dyn Fn(&str) -> Location,
) -> Result<(GoldSpan, bool)> {
    let cols: Vec<&str> = line.trim_end_matches('\r').split('\t').collect();
    let (technique, start, end) = match cols.as_slice() {
        [_, t, s, e] => (Some(*t), *s, *e),
        [_, s, e] => (None, *s, *e),
        _ => {
            return Err(Error::input(
                loc("columns"),
                format!(
                    "expected 4 tab-separated columns (id technique start end) or 3 (id start end), found {}",
                    cols.len()
                ),
            ))
        }
    };
    if cols[0].trim() != id {
        return Err(Error::input(
            loc("id"),
            format!(
                "article id `{}` does not match the file's id `{id}`",
                cols[0]
            ),
        ));
    }
    let device = match technique {
        None => None,
        Some(t) => match Device::from_ptc_technique(t) {
            Some(d) => Some(d),
            None if UNMAPPED_TECHNIQUES
                .iter()
                .any(|u| u.eq_ignore_ascii_case(t.trim())) =>
            {
                None
            }
            None => {
                return Err(Error::input(
                    loc("technique"),
                    format!("unknown PTC technique `{t}`"),
                ))
            }
        },
    };
    let start = parse_offset(start, loc("start"))?;
    let end = parse_offset(end, loc("end"))?;
    if start >= end {
        return Err(Error::input(
            loc("end"),
            format!("empty or reversed span {start}..{end}"),
        ));
    }
    if end > n_chars {
        return Err(Error::input(
            loc("end"),
            format!("span end {end} is past the end of the article ({n_chars} chars)"),
        ));
    }
    Ok((GoldSpan { device, start, end }, technique.is_some()))
}

/// Applies an NLP4IF-2019 `task-SLC.labels` file: `id line label`, where
/// `line` is 1-based over ALL lines of the article (empty lines included, as
/// in the NLP4IF-2019 release, whose label files have one row per line).
/// Rows for empty lines must say `non-propaganda`; every non-empty line needs a row.
fn apply_slc_file(
    path: &Path,
    id: &str,
    text: &str,
    sentences: &mut [GoldSentence],
    problems: &mut Problems,
) -> Result<()> {
    let source = path.display().to_string();
    let raw = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let n_lines = text.split('\n').count();
    let mut labelled = HashSet::new();
    for (i, row) in raw.lines().enumerate() {
        let loc = |f: &str| Location::file(&source).at_line(i as u64 + 1).in_field(f);
        if row.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = row.trim_end_matches('\r').split('\t').collect();
        let [rid, line, label] = cols.as_slice() else {
            problems.report(
                loc("columns"),
                format!(
                    "expected 3 tab-separated columns (id line label), found {}",
                    cols.len()
                ),
            )?;
            continue;
        };
        if rid.trim() != id {
            problems.report(
                loc("id"),
                format!("article id `{rid}` does not match the file's id `{id}`"),
            )?;
            continue;
        }
        let line_no = match line.trim().parse::<usize>() {
            Ok(n) if (1..=n_lines).contains(&n) => n,
            _ => {
                problems.report(
                    loc("line"),
                    format!("`{line}` is not a line number of the article (1..={n_lines})"),
                )?;
                continue;
            }
        };
        let positive = match label.trim() {
            "propaganda" => true,
            "non-propaganda" => false,
            other => {
                problems.report(
                    loc("label"),
                    format!("unknown label `{other}` (expected propaganda or non-propaganda)"),
                )?;
                continue;
            }
        };
        match sentences.iter_mut().find(|s| s.line == Some(line_no)) {
            Some(s) => {
                s.positive = positive;
                labelled.insert(line_no);
            }
            None if positive => problems.report(
                loc("label"),
                format!("line {line_no} of the article is empty but labelled propaganda"),
            )?,
            None => {}
        }
    }
    for s in sentences.iter() {
        if let Some(l) = s.line.filter(|l| !labelled.contains(l)) {
            problems.report(
                Location::file(&source).in_field("line"),
                format!("no label for line {l} of the article"),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::read_gold;
    use super::*;

    fn write(dir: &Path, name: &str, content: &str) {
        std::fs::write(dir.join(name), content).unwrap();
    }

    #[test]
    fn ptc_spans_mark_overlapping_lines_in_code_points() {
        let dir = tempfile::tempdir().unwrap();
        // Title line, empty line, two sentences; "é" is 2 bytes but 1 code point.
        let text = "Tïtle here\n\nCafé people are idiots.\nA calm line.\n";
        write(dir.path(), "article1.txt", text);
        let start = text.chars().take_while(|_| true).count(); // sanity
        assert!(start > 0);
        let idiots = text.find("idiots").unwrap();
        let cstart = text[..idiots].chars().count();
        write(
            dir.path(),
            "article1.task-flc-tc.labels",
            &format!("1\tName_Calling,Labeling\t{cstart}\t{}\n", cstart + 6),
        );
        let gold = read_gold(dir.path(), GoldOptions::default()).unwrap();
        assert_eq!(gold.format, GoldFormat::Ptc);
        assert_eq!(gold.sentence_count(), 3);
        let s = &gold.articles[0].sentences;
        assert_eq!(s[1].line, Some(3));
        assert!(s[1].positive);
        assert_eq!(s[1].devices, vec![Device::NameCalling]);
        assert!(!s[0].positive && !s[2].positive);
        assert_eq!(gold.devices.len(), 14);
    }

    #[test]
    fn three_column_spans_make_positive_lines_without_devices() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "article7.txt", "One.\nTwo.\n");
        write(dir.path(), "article7.task-si.labels", "7\t5\t9\n");
        let gold = read_gold(dir.path(), GoldOptions::default()).unwrap();
        let one = read_gold(&dir.path().join("article7.txt"), GoldOptions::default()).unwrap();
        assert_eq!(one.articles, gold.articles);
        let s = &gold.articles[0].sentences;
        assert!(!s[0].positive);
        assert!(s[1].positive && s[1].devices.is_empty());
        // No technique anywhere: the set labels no device.
        assert!(gold.devices.is_empty());
        // A technique file beside it, even an empty one, labels techniques.
        write(dir.path(), "article7.task-flc-tc.labels", "");
        let gold = read_gold(dir.path(), GoldOptions::default()).unwrap();
        assert_eq!(gold.devices.len(), 14);
    }

    #[test]
    fn technique_files_of_three_columns_label_spans_but_no_device() {
        // The official test layout: `.task-flc-tc.labels` files with
        // `id start end` lines only.
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "article9.txt", "One.\nTwo.\n");
        write(dir.path(), "article9.task-flc-tc.labels", "9\t5\t9\n");
        write(dir.path(), "article10.txt", "Three.\n");
        write(dir.path(), "article10.task-flc-tc.labels", "");
        let gold = read_gold(dir.path(), GoldOptions::default()).unwrap();
        assert!(gold.has_spans());
        assert!(gold.devices.is_empty(), "no technique named anywhere");
        assert!(gold.articles[1].sentences[1].positive);
        // One named line makes it a technique set again.
        write(
            dir.path(),
            "article10.task-flc-tc.labels",
            "10\tDoubt\t0\t3\n",
        );
        let gold = read_gold(dir.path(), GoldOptions::default()).unwrap();
        assert_eq!(gold.devices.len(), 14);
    }

    #[test]
    fn slc_line_numbers_count_empty_lines() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "article2.txt", "Title\n\nBad stuff.\nFine.\n");
        write(
            dir.path(),
            "article2.task-SLC.labels",
            "2\t1\tnon-propaganda\n2\t2\tnon-propaganda\n2\t3\tpropaganda\n2\t4\tnon-propaganda\n",
        );
        let gold = read_gold(dir.path(), GoldOptions::default()).unwrap();
        let s = &gold.articles[0].sentences;
        assert_eq!(s.len(), 3);
        assert!(!s[0].positive && s[1].positive && !s[2].positive);
        assert!(gold.devices.is_empty(), "sentence labels name no technique");
    }

    #[test]
    fn malformed_span_lines_name_file_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "article3.txt", "One.\nTwo.\n");
        write(
            dir.path(),
            "article3.task-flc-tc.labels",
            "3\tDoubt\t0\t3\n3\tDoubt\tx\t4\n",
        );
        let err = read_gold(dir.path(), GoldOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("article3.task-flc-tc.labels:2"), "{err}");
        assert!(err.contains("start"), "{err}");
        let gold = read_gold(dir.path(), GoldOptions { skip_bad: true }).unwrap();
        assert_eq!(gold.skipped.len(), 1);
        assert!(gold.articles[0].sentences[0].positive);
    }

    #[test]
    fn unknown_techniques_and_out_of_range_spans_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "article4.txt", "One.\n");
        write(
            dir.path(),
            "article4.task-flc-tc.labels",
            "4\tMagic\t0\t3\n",
        );
        let err = read_gold(dir.path(), GoldOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("technique") && err.contains("Magic"), "{err}");
        write(
            dir.path(),
            "article4.task-flc-tc.labels",
            "4\tDoubt\t0\t99\n",
        );
        let err = read_gold(dir.path(), GoldOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("past the end"), "{err}");
    }

    /// Char range of `needle` in `text`.
    fn chars_of(text: &str, needle: &str) -> std::ops::Range<usize> {
        let b = text.find(needle).unwrap();
        let start = text[..b].chars().count();
        start..start + needle.chars().count()
    }

    #[test]
    fn sentence_ranges_map_back_through_normalisation() {
        let dir = tempfile::tempdir().unwrap();
        // Leading blanks and a zero-width space (removed by normalisation,
        // then the line is trimmed again), curly quotes, a PDF hyphen, and a
        // trailing no-break space (trimmed).
        let text = "Tïtle\n\n  \u{200b} He said “no” to killing civil-ians.\u{a0}\nNext.\n";
        write(dir.path(), "article5.txt", text);
        let no = chars_of(text, "“no”");
        write(
            dir.path(),
            "article5.task-flc-tc.labels",
            &format!("5\tDoubt\t{}\t{}\n", no.start, no.end),
        );
        let gold = read_gold(dir.path(), GoldOptions::default()).unwrap();
        let a = &gold.articles[0];
        assert_eq!(a.text.as_deref(), Some(text));
        assert_eq!(
            a.spans,
            Some(vec![GoldSpan {
                device: Some(Device::Doubt),
                start: no.start,
                end: no.end
            }])
        );
        let s = &a.sentences[1];
        assert_eq!(s.text, "He said \"no\" to killing civilians.");
        let offsets = a.sentence_offsets(1).unwrap();
        let at = |needle: &str| {
            let b = s.text.find(needle).unwrap();
            offsets.to_article_chars(b..b + needle.len()).unwrap()
        };
        assert_eq!(at("He"), chars_of(text, "He"));
        assert_eq!(at("\"no\""), no);
        assert_eq!(
            at("no"),
            chars_of(text, "no”").start..chars_of(text, "no”").start + 2
        );
        assert_eq!(at("civilians"), chars_of(text, "civil-ians"));
        assert_eq!(at("civilians."), chars_of(text, "civil-ians."));
        assert_eq!(
            at(&s.text),
            chars_of(text, "He said “no” to killing civil-ians.")
        );
        // Empty, reversed or out-of-range ranges do not map.
        assert!(offsets.to_article_chars(3..3).is_none());
        assert!(offsets.to_article_chars(0..s.text.len() + 1).is_none());
        // The title line maps one to one.
        let title = a.sentence_offsets(0).unwrap();
        assert_eq!(
            title.to_article_chars(1..3),
            Some(1..2),
            "ï is 2 bytes, 1 char"
        );
        assert!(a.sentence_offsets(9).is_none());
    }

    #[test]
    fn three_column_spans_are_kept_without_a_device_and_csv_has_none() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "article8.txt", "One.\nTwo.\n");
        write(dir.path(), "article8.task-si.labels", "8\t5\t9\n8\t0\t3\n");
        let gold = read_gold(dir.path(), GoldOptions::default()).unwrap();
        assert!(gold.has_spans());
        let spans = gold.articles[0].spans.clone().unwrap();
        assert_eq!(spans.len(), 2);
        assert!(spans.iter().all(|s| s.device.is_none()));
        assert_eq!((spans[0].start, spans[0].end), (5, 9));
        // SLC sentence labels: no spans.
        write(dir.path(), "article8.txt", "One.\n");
        std::fs::remove_file(dir.path().join("article8.task-si.labels")).unwrap();
        write(dir.path(), "article8.task-SLC.labels", "8\t1\tpropaganda\n");
        let gold = read_gold(dir.path(), GoldOptions::default()).unwrap();
        assert!(!gold.has_spans() && gold.articles[0].spans.is_none());
    }
}
