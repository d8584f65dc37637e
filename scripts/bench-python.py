#!/usr/bin/env python3
"""Throughput of the Python package's `Scorer.score` against the CLI on the same input.

    python scripts/bench-python.py [--model cues] [--sentences 10000] [--cli target/release/rhetor]

Builds at least --sentences sentences from data/corpus-sample.csv's articles (repeated, with
distinct ids), writes one file per article for the CLI, then times, best of --repeat:
  - `rhetor score --format csv --model M FILE...` (> a file in the temp dir; the model load included),
  - `rhetor.Scorer(M).score(texts, ids)` (the DataFrame; the model already loaded, the fast path),
  - the same with threads=1, and score_records.
Prints one line per run and the ratio CLI time / Scorer time (> 1: Python faster). Needs pandas and
the installed package (scripts/test-python.sh builds both).
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import rhetor

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="cues")
    ap.add_argument("--sentences", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cli", default=os.environ.get("RHETOR_CLI", str(ROOT / "target/release/rhetor")))
    a = ap.parse_args()

    with open(ROOT / "data/corpus-sample.csv", newline="", encoding="utf-8") as f:
        base = [r["text"] for r in csv.DictReader(f)]
    counter = rhetor.Scorer("cues")
    per = [len(counter.score_records([t])) for t in base]
    texts, ids, n = [], [], 0
    while n < a.sentences:
        i = len(texts)
        texts.append(base[i % len(base)])
        ids.append(f"a{i:05d}")
        n += per[i % len(base)]
    print(f"input: {len(texts)} articles, {n} sentences (data/corpus-sample.csv repeated); model {a.model}")

    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i, t in zip(ids, texts):
            p = Path(tmp) / f"{i}.txt"
            p.write_text(t, encoding="utf-8")
            files.append(str(p))
        out = Path(tmp) / "out.csv"

        def cli():
            with open(out, "wb") as o:
                subprocess.run([a.cli, "score", "--format", "csv", "--model", a.model, *files],
                               stdout=o, check=True)

        t0 = time.perf_counter()
        scorer = rhetor.Scorer(a.model)
        load = time.perf_counter() - t0
        one = rhetor.Scorer(a.model, threads=1)
        print(f"Scorer({a.model!r}) load: {load:.2f} s (model {scorer.model})")

        runs = {
            "CLI rhetor score --format csv": cli,
            "Scorer.score (DataFrame)": lambda: scorer.score(texts, ids),
            "Scorer(threads=1).score": lambda: one.score(texts, ids),
            "Scorer.score_records": lambda: scorer.score_records(texts, ids),
        }
        best = {}
        for name, f in runs.items():
            times = []
            for _ in range(a.repeat):
                t0 = time.perf_counter()
                f()
                times.append(time.perf_counter() - t0)
            best[name] = min(times)
            print(f"{name:34s} best {best[name]:7.3f} s  {n / best[name]:9.0f} sentences/s  "
                  f"(runs: {', '.join(f'{t:.3f}' for t in times)})")
        c = best["CLI rhetor score --format csv"]
        for name in list(runs)[1:]:
            print(f"ratio CLI / {name}: {c / best[name]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
