#!/usr/bin/env python3
"""Does the span head's evidence help the sentence decision, or the sentence decision the spans?
(docs/model.md, "Cheap additions tried on the shipped model".) On PTC dev, with the default
model:

  * sentence decision: "framing reaches t_f OR the line holds a span at span threshold t_s",
    both tuned on 4/5 of the articles and scored on the rest (5 folds, 3 random splits), against
    the framing threshold alone tuned the same way; and the best rule tuned on all of dev.
  * spans gated by the sentence: the model's spans kept only in lines whose `framing` reaches a
    gate, SI F1 by the SemEval-2020 task 11 formula (gold spans of all techniques merged, credit
    proportional to the overlap, normalised by the predicted and by the gold span's length).

`framing` in predictions.csv is the coherent decision's score with thresholds tuned on all of
dev, so the "framing alone" held-out figure is itself a little optimistic; the comparison
between the two rules is what the script measures.

usage: python3 eval/span_evidence.py RHETOR MODEL_DIR PTC_DEV_DIR PREDICTIONS.csv  (needs numpy)
e.g.   rhetor eval --gold ../shared/ptc/dev --out /tmp/e
       python3 eval/span_evidence.py target/release/rhetor models/rhetor-minilm-spans \
         ../shared/ptc/dev /tmp/e/predictions.csv
"""
import csv
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

SPAN_THRESHOLDS = [round(0.05 * k, 2) for k in range(1, 20)]


def score_lines(rhetor, model, texts):
    out = subprocess.run([rhetor, "score", "--lines", "--all", "--model", model, "--format", "jsonl", *texts],
                         check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def key(row):
    return row["article_id"].removeprefix("article"), row["text"].strip()


def max_span_threshold(rhetor, model, texts):
    """Per line, the highest span threshold at which the line still holds a model span."""
    best = {}
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "m")
        shutil.copytree(model, copy)
        config_path = os.path.join(copy, "config.json")
        config = json.load(open(config_path))
        for t in SPAN_THRESHOLDS:
            config["span_head"].update(threshold=t, extend_threshold=t)
            json.dump(config, open(config_path, "w"))
            for row in score_lines(rhetor, copy, texts):
                best.setdefault(key(row), 0.0)
                if row["spans"]:
                    best[key(row)] = t
    return best


def f1(gold, pred):
    tp = (gold & pred).sum()
    return 2 * tp / (2 * tp + (pred & ~gold).sum() + (~pred & gold).sum())


def sentence_rules(articles, gold, framing, span):
    framing_grid = np.quantile(framing, np.linspace(0.3, 0.95, 60))
    span_grid = SPAN_THRESHOLDS + [2.0]  # 2.0: never

    def best_alone(m):
        return max(framing_grid, key=lambda t: f1(gold[m], framing[m] >= t))

    def best_or(m):
        pairs = [(a, b) for a in framing_grid for b in span_grid]
        return max(pairs, key=lambda ab: f1(gold[m], (framing[m] >= ab[0]) | (span[m] >= ab[1])))

    everything = np.ones_like(gold)
    t_f, t_s = best_or(everything)
    print(f"tuned on all of dev: framing alone {f1(gold, framing >= best_alone(everything)):.4f}; "
          f"best OR rule framing >= {t_f:.3f} or span >= {t_s} ({'never' if t_s > 1 else 'used'}): "
          f"{f1(gold, (framing >= t_f) | (span >= t_s)):.4f}")
    names = np.unique(articles)
    for seed in range(3):
        folds = np.array_split(np.random.default_rng(seed).permutation(names), 5)
        alone = np.zeros_like(gold)
        either = np.zeros_like(gold)
        for fold in folds:
            held = np.isin(articles, fold)
            alone[held] = framing[held] >= best_alone(~held)
            a, b = best_or(~held)
            either[held] = (framing[held] >= a) | (span[held] >= b)
        print(f"split {seed}: held-out F1 framing alone {f1(gold, alone):.4f}, with span evidence {f1(gold, either):.4f}")


def merged(spans):
    out = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def si_f1(predicted, gold):
    p_credit = r_credit = 0.0
    n_pred = n_gold = 0
    for article, gold_spans in gold.items():
        s, t = merged(predicted.get(article, [])), merged(gold_spans)
        n_pred, n_gold = n_pred + len(s), n_gold + len(t)
        for s0, s1 in s:
            for t0, t1 in t:
                overlap = max(0, min(s1, t1) - max(s0, t0))
                p_credit += overlap / (s1 - s0)
                r_credit += overlap / (t1 - t0)
    p, r = p_credit / max(n_pred, 1), r_credit / max(n_gold, 1)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def gold_spans(dev):
    gold = {}
    for path in glob.glob(os.path.join(dev, "*.task-flc-tc.labels")):
        article = os.path.basename(path).split(".")[0].removeprefix("article")
        gold[article] = [(int(f[2]), int(f[3])) for f in (line.rstrip("\n").split("\t") for line in open(path))
                         if len(f) >= 4]
    return gold


def gated_spans(rhetor, model, texts, dev):
    rows = score_lines(rhetor, model, texts)
    gold = gold_spans(dev)
    for gate in [None, 0.2, 0.3, 0.4, 0.5]:
        predicted = {}
        for row in rows:
            if gate is None or row["framing"] >= gate:
                article = row["article_id"].removeprefix("article")
                predicted.setdefault(article, []).extend((s["start"], s["end"]) for s in row["spans"])
        p, r, f = si_f1(predicted, gold)
        print(f"spans {'ungated' if gate is None else f'in lines with framing >= {gate}'}: SI P {p:.4f} R {r:.4f} F1 {f:.4f}")


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    rhetor, model, dev, predictions = sys.argv[1:]
    texts = sorted(glob.glob(os.path.join(dev, "*.txt")))
    span = max_span_threshold(rhetor, model, texts)
    rows = list(csv.DictReader(open(predictions, newline="", encoding="utf-8")))
    articles = np.array([r["article_id"] for r in rows])
    gold = np.array([r["gold_positive"] == "1" for r in rows])
    framing = np.array([float(r["framing"]) for r in rows])
    span_t = np.array([span.get((r["article_id"], r["text"].strip()), 0.0) for r in rows])
    print(f"PTC dev: {len(rows)} lines, {gold.sum()} positive, {len(np.unique(articles))} articles")
    sentence_rules(articles, gold, framing, span_t)
    gated_spans(rhetor, model, texts, dev)


if __name__ == "__main__":
    main()
