//! The human-readable terminal table of `rhetor score`.

use crate::error::{Error, Result};
use crate::io::output::OutputOptions;
use crate::score::ScoredArticle;
use termcolor::{Color, ColorSpec, WriteColor};

/// Writes a table: one block per article, one line per sentence with its
/// framing score and flagged devices; the cue spans are coloured when `out`
/// supports colour. Only sentences at or above the framing threshold are
/// shown unless `all` is set.
pub fn write_table<W: WriteColor>(
    out: &mut W,
    articles: &[ScoredArticle],
    options: &OutputOptions,
    all: bool,
) -> Result<()> {
    write_articles(out, articles, options, all).map_err(Error::output)
}

fn write_articles<W: WriteColor>(
    out: &mut W,
    articles: &[ScoredArticle],
    options: &OutputOptions,
    all: bool,
) -> std::io::Result<()> {
    for a in articles {
        let flagged_count = a
            .sentences
            .iter()
            .filter(|s| !options.flagged(s).is_empty())
            .count();
        out.set_color(ColorSpec::new().set_bold(true))?;
        writeln!(
            out,
            "== {} — {} sentences, {} flagged",
            a.id,
            a.sentences.len(),
            flagged_count
        )?;
        out.reset()?;
        for s in &a.sentences {
            let flagged = options.flagged(s);
            if flagged.is_empty() && !all {
                continue;
            }
            let names = options.labels.labels();
            let ids: Vec<String> = flagged
                .iter()
                .map(|&i| format!("{}={:.2}", names[i].name, s.probs[i]))
                .collect();
            write!(
                out,
                "{:>4}  {:>5}-{:<5} {:.2}{} ",
                s.sentence.index,
                s.sentence.span.char_start,
                s.sentence.span.char_end,
                s.framing,
                if s.attributed { " [attributed]" } else { "" }
            )?;
            let cues: Vec<_> = options.cues(s).iter().map(|c| c.sentence_range).collect();
            write_highlighted(out, &s.sentence.text, &cues)?;
            writeln!(out)?;
            if !ids.is_empty() {
                writeln!(out, "                       → {}", ids.join(", "))?;
            }
        }
        writeln!(out)?;
    }
    out.flush()
}

/// Writes `text` with the byte ranges in `spans` coloured.
fn write_highlighted<W: WriteColor>(
    out: &mut W,
    text: &str,
    spans: &[(usize, usize)],
) -> std::io::Result<()> {
    let mut spans: Vec<(usize, usize)> = spans.to_vec();
    spans.sort_unstable();
    let mut cue = ColorSpec::new();
    cue.set_fg(Some(Color::Yellow)).set_bold(true);
    let mut at = 0;
    for (start, end) in spans {
        if start < at || end > text.len() {
            continue;
        }
        out.write_all(&text.as_bytes()[at..start])?;
        out.set_color(&cue)?;
        out.write_all(&text.as_bytes()[start..end])?;
        out.reset()?;
        at = end;
    }
    out.write_all(&text.as_bytes()[at..])
}
