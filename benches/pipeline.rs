//! Text-layer throughput: normalisation and sentence splitting on generated
//! news-like text (no corpus text is embedded).
//!
//! Run: `cargo bench --bench pipeline` (reports MB/s per function).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rhetor::text::{normalize, segment, segment_lines};
use std::hint::black_box;

const SUBJECTS: &[&str] = &[
    "The U.S. State Department",
    "Mr. Smith",
    "Gen. Mattis",
    "The coalition\u{2019}s spokesman",
    "Apple Inc.",
    "Officials in Washington, D.C.",
    "The so-called experts",
    "A 23-year-old civilian",
    "Dr. M\u{fc}ller",
    "The U.N. Secretary-General",
];
const VERBS: &[&str] = &[
    "said",
    "claimed",
    "warned",
    "denied",
    "admitted",
    "insisted",
    "could in-crease",
    "as-sumed",
];
const OBJECTS: &[&str] = &[
    "that 1.5 million people were displaced",
    "that prices rose 3.2% to $4.50",
    "that the build-up of troops continued",
    "the \u{201c}collateral damage\u{201d} was regrettable",
    "that e.g. schools and hospitals were hit",
    "that cu-\nrious reports emerged on Jan. 5",
    "that No. 5 Squadron\u{a0}flew 23 sorties",
    "that the results\u{2026} were inconclusive",
    "that the long-term meth-ods were sound",
    "that civil-ians fled the self-defense zone",
];
const ENDS: &[&str] = &[".", "!", "?", ".\u{201d}", "...", "."];

/// Deterministic news-like text of about `bytes` bytes.
fn news_text(bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + 256);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let mut in_paragraph = 0;
    while out.len() < bytes {
        if next(12) == 0 {
            out.push_str("Syria war toll rises\n");
        }
        out.push_str(SUBJECTS[next(SUBJECTS.len())]);
        out.push(' ');
        out.push_str(VERBS[next(VERBS.len())]);
        out.push(' ');
        out.push_str(OBJECTS[next(OBJECTS.len())]);
        out.push_str(ENDS[next(ENDS.len())]);
        in_paragraph += 1;
        if in_paragraph > 3 + next(4) {
            out.push_str(if next(2) == 0 { "\r\n" } else { "\n\n" });
            in_paragraph = 0;
        } else {
            out.push(' ');
        }
    }
    out
}

fn text_layer(c: &mut Criterion) {
    let mut group = c.benchmark_group("text");
    group.sample_size(10);
    for size in [1 << 20, 8 << 20] {
        let text = news_text(size);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("normalize", size), &text, |b, t| {
            b.iter(|| black_box(normalize(black_box(t))))
        });
        group.bench_with_input(BenchmarkId::new("segment", size), &text, |b, t| {
            b.iter(|| black_box(segment(black_box(t))))
        });
        group.bench_with_input(BenchmarkId::new("segment_lines", size), &text, |b, t| {
            b.iter(|| black_box(segment_lines(black_box(t))))
        });
    }
    // A single 8 MB line without sentence punctuation: must stay linear.
    let line = "word and more words ".repeat(400_000);
    group.throughput(Throughput::Bytes(line.len() as u64));
    group.bench_with_input(
        BenchmarkId::new("segment_one_line", line.len()),
        &line,
        |b, t| b.iter(|| black_box(segment(black_box(t)))),
    );
    group.finish();
}

criterion_group!(benches, text_layer);
criterion_main!(benches);
