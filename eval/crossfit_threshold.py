#!/usr/bin/env python3
"""Two-fold cross-fitted sentence-level F1 from a `rhetor eval` predictions.csv.

Thresholds tuned on the very set they are scored on give optimistic figures.
This script splits the articles of predictions.csv into two folds (alternating
by sorted article id), picks the best-F1 framing threshold on one fold, applies
it to the other, and pools the counts of both held-out folds (F1 as in the
NLP4IF-2019 scorer). Standard library only.

usage: eval/crossfit_threshold.py PREDICTIONS_CSV
"""
import csv
import sys


def f1(tp, fp, fn):
    d = 2 * tp + fp + fn
    return 0.0 if d == 0 else 2 * tp / d


def best_threshold(rows):
    best = (None, -1.0)
    for t in sorted({r[0] for r in rows}, reverse=True):
        tp = sum(1 for s, g in rows if s >= t and g)
        fp = sum(1 for s, g in rows if s >= t and not g)
        fn = sum(1 for s, g in rows if s < t and g)
        if f1(tp, fp, fn) > best[1]:
            best = (t, f1(tp, fp, fn))
    return best[0]


def main(path):
    by_article = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            by_article.setdefault(r["article_id"], []).append(
                (float(r["framing"]), r["gold_positive"] == "1")
            )
    ids = sorted(by_article)
    folds = [
        [row for i in ids[k::2] for row in by_article[i]] for k in (0, 1)
    ]
    tp = fp = fn = 0
    for k in (0, 1):
        t = best_threshold(folds[1 - k])
        held = folds[k]
        tp += sum(1 for s, g in held if s >= t and g)
        fp += sum(1 for s, g in held if s >= t and not g)
        fn += sum(1 for s, g in held if s < t and g)
        print(f"fold {k}: threshold tuned on the other fold = {t:.4f}")
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    print(f"cross-fitted sentence-level P {p:.3f} R {r:.3f} F1 {f1(tp, fp, fn):.3f}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
