#!/usr/bin/env python3
"""Coverage of `rhetor compare --gold` on real news sentences with a human label on
every sentence: PTC dev (3,177 sentences, the shipped model's predictions from
`rhetor eval`), cut into one-sentence articles and spread over 8 pseudo-outlets
(by PTC article, so an outlet's sentences come from whole articles and the
outlets' rates and the classifier's errors differ). Each of R rounds draws a
validation sample with `rhetor sample --per-group 40`, fills its `framing` column
from the human labels, runs `rhetor compare --gold --permutations 100` and checks
whether each outlet's interval covers the outlet's rate under the full human labels.

    python3 eval/validation_coverage.py target/release/rhetor \
        eval/results/ptc-dev-spans/predictions.csv [ROUNDS=200]

Prints per-outlet coverage and mean widths of the prediction-powered and the
labels-alone intervals, the naive (classifier-only) rate's error, the same
coverage for `ppi_py.ppi_mean_ci` on the same draws when ppi-python is
installed, and the wall time of each `compare --gold` run.
"""

from __future__ import annotations

import csv
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUTLETS = 8


def outlet_of(article: str) -> str:
    h = int(hashlib.sha256(article.encode()).hexdigest(), 16)
    return f"outlet-{h % OUTLETS}"


def write_batch(predictions: Path, out: Path):
    rows = list(csv.DictReader(predictions.open()))
    out.mkdir(parents=True, exist_ok=True)
    truth = {}
    with (out / "articles.csv").open("w", newline="") as fa, (out / "sentences.csv").open("w", newline="") as fs:
        wa, ws = csv.writer(fa), csv.writer(fs)
        wa.writerow(["article_id", "outlet", "date", "title", "sentences", "framing_sentences",
                     "framing_rate", "framing_mean", "framing_max"])
        ws.writerow(["article_id", "outlet", "date", "title", "sentence_index", "text", "framing", "flagged"])
        for r in rows:
            aid = f"{r['article_id']}-{r['sentence_index']}"
            outlet = outlet_of(r["article_id"])
            pred = int(r["predicted_positive"])
            wa.writerow([aid, outlet, "2020-01-01", "", 1, pred, pred, pred, pred])
            ws.writerow([aid, outlet, "2020-01-01", "", 0, f"sentence {aid}", pred, ""])
            truth[aid] = (outlet, int(r["gold_positive"]), pred)
    (out / "summary.json").write_text(json.dumps({"thresholds": {"framing": 0.5}}))
    return truth


def main():
    cli, predictions = sys.argv[1], Path(sys.argv[2])
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    try:
        import numpy as np
        import ppi_py
    except ImportError:
        ppi_py = None
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        truth = write_batch(predictions, tmp / "b")
        outlets = sorted({o for o, _, _ in truth.values()})
        true_rate = {o: 100 * statistics.mean(y for oo, y, _ in truth.values() if oo == o) for o in outlets}
        naive_rate = {o: 100 * statistics.mean(f for oo, _, f in truth.values() if oo == o) for o in outlets}
        cover = {o: [] for o in outlets}
        cover_gold = {o: [] for o in outlets}
        cover_py = {o: [] for o in outlets}
        width, width_gold, width_py, seconds = [], [], [], []
        for seed in range(1, rounds + 1):
            sample = tmp / "s.csv"
            subprocess.run([cli, "sample", str(tmp / "b"), "--by", "outlet", "--per-group", "40",
                            "--seed", str(seed), "--devices", "framing", "--out", str(sample)],
                           check=True, capture_output=True)
            coded = list(csv.DictReader(sample.open()))
            for r in coded:
                r["framing"] = str(truth[r["article_id"]][1])
            with sample.open("w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=list(coded[0].keys()))
                w.writeheader()
                w.writerows(coded)
            t0 = time.perf_counter()
            subprocess.run([cli, "compare", str(tmp / "b"), "--by", "outlet", "--gold", str(sample),
                            "--permutations", "100", "--out", str(tmp / "c")], check=True, capture_output=True)
            seconds.append(time.perf_counter() - t0)
            for r in csv.DictReader((tmp / "c" / "compare.csv").open()):
                if r["device"] != "framing":
                    continue
                o = r["outlet"]
                lo, hi = float(r["ppi_ci_low"]), float(r["ppi_ci_high"])
                cover[o].append(lo <= true_rate[o] <= hi)
                width.append(hi - lo)
                glo, ghi = float(r["gold_ci_low"]), float(r["gold_ci_high"])
                cover_gold[o].append(glo <= true_rate[o] <= ghi)
                width_gold.append(ghi - glo)
            if ppi_py is not None:
                for o in outlets:
                    lab = [r for r in coded if r["outlet"] == o]
                    y = np.array([truth[r["article_id"]][1] for r in lab], float)
                    f = np.array([truth[r["article_id"]][2] for r in lab], float)
                    fu = np.array([p for oo, _, p in truth.values() if oo == o], float)
                    lo, hi = ppi_py.ppi_mean_ci(y, f, fu, alpha=0.05)
                    lo, hi = 100 * float(lo[0]), 100 * float(hi[0])
                    cover_py[o].append(lo <= true_rate[o] <= hi)
                    width_py.append(hi - lo)
        print(f"PTC dev, {len(truth)} sentences as one-sentence articles, {len(outlets)} pseudo-outlets, "
              f"{rounds} validation samples of 40 labelled sentences per outlet (rhetor {cli})")
        print("| outlet | human rate | naive rate | PPI coverage | labels-alone coverage |"
              + (" ppi_py.ppi_mean_ci coverage |" if ppi_py else ""))
        print("|---|---:|---:|---:|---:|" + ("---:|" if ppi_py else ""))
        for o in outlets:
            line = (f"| {o} | {true_rate[o]:.2f} | {naive_rate[o]:.2f} | {statistics.mean(cover[o]):.3f} "
                    f"| {statistics.mean(cover_gold[o]):.3f} |")
            if ppi_py:
                line += f" {statistics.mean(cover_py[o]):.3f} |"
            print(line)
        mean = lambda d: statistics.mean(statistics.mean(v) for v in d.values())
        print(f"average coverage: PPI {mean(cover):.3f}, labels alone {mean(cover_gold):.3f}"
              + (f", ppi_py {mean(cover_py):.3f}" if ppi_py else ""))
        print(f"minimum per outlet: PPI {min(statistics.mean(v) for v in cover.values()):.3f}")
        print(f"mean width (per 100 sentences): PPI {statistics.mean(width):.2f}, labels alone "
              f"{statistics.mean(width_gold):.2f}" + (f", ppi_py {statistics.mean(width_py):.2f}" if ppi_py else ""))
        print(f"compare --gold wall time: median {statistics.median(seconds):.3f} s, max {max(seconds):.3f} s")


if __name__ == "__main__":
    main()
