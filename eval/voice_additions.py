#!/usr/bin/env python3
"""Cheap additions to the author-voice output, measured by cross-validation on CheckThat dev
(docs/model.md, "Cheap additions tried on the shipped model"). Each addition is fitted on 4/5
of the dev sentences together with its threshold (best macro-F1 at the realistic base rate, as
the trainer chooses it), applied to the other fifth, and the held-out decisions of the 5 folds
are pooled; the figure is the mean over 5 random fold splits.

Additions:
  * classifier         the shipped model's `evaluative_editorializing` alone (the reference)
  * lexicon max / sum  a logistic stack of the classifier's logit and the subjectivity of the
                       sentence's adjectives in the pattern/TextBlob lexicon (en-sentiment.xml,
                       Tom De Smedt & Walter Daelemans, PDDL; ships in the `textblob` wheel)
  * tf-idf             the classifier's logit plus a TF-IDF word+char n-gram logistic
                       regression trained on CheckThat train, at weights 0.1 to 0.5
  * bagged threshold   the median of the best thresholds of 100 bootstrap resamples instead of
                       the single best threshold

usage: python3 eval/voice_additions.py TRAIN.tsv DEV.tsv DEV.jsonl EN-SENTIMENT.xml
       (needs numpy, scipy and scikit-learn; DEV.jsonl is `rhetor score --lines --all --format
       jsonl` of the dev set's sentence column, one sentence per line)
e.g.   tail -n +2 ../shared/checkthat-subj-en/dev_en.tsv | cut -f2 > /tmp/ct_dev.txt
       rhetor score --lines --all --format jsonl /tmp/ct_dev.txt > /tmp/ct_dev.jsonl
       pip download --no-deps textblob -d /tmp/tb && unzip -q -o /tmp/tb/textblob-*.whl -d /tmp/tb
       python3 eval/voice_additions.py ../shared/checkthat-subj-en/{train,dev}_en.tsv \
         /tmp/ct_dev.jsonl /tmp/tb/textblob/en/en-sentiment.xml
"""
import csv
import json
import re
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

BASE_RATE = 0.27
WORD = re.compile(r"[a-z][a-z'-]*")


def read_tsv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [r["sentence"] for r in rows], np.array([r["label"] == "SUBJ" for r in rows])


def read_scores(path, n):
    rows = [json.loads(line) for line in open(path, encoding="utf-8")]
    if len(rows) != n:
        sys.exit(f"{path}: {len(rows)} scored lines for {n} sentences")
    p = np.clip([r["scores"]["evaluative_editorializing"] for r in rows], 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def read_lexicon(path):
    senses = defaultdict(list)
    for w in ET.parse(path).getroot():
        senses[w.get("form").lower()].append(float(w.get("subjectivity")))
    return {form: float(np.mean(s)) for form, s in senses.items()}


def lexicon_features(texts, lexicon):
    out = []
    for t in texts:
        subj = [lexicon[w] for w in WORD.findall(t.lower().replace("\u2019", "'")) if w in lexicon]
        out.append([max(subj, default=0.0), sum(subj)])
    return np.array(out)


def macro_f1(gold, pred, weights=(1.0, 1.0)):
    w1, w0 = weights
    tp, fn = (pred & gold).sum() * w1, (~pred & gold).sum() * w1
    fp, tn = (pred & ~gold).sum() * w0, (~pred & ~gold).sum() * w0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    f0 = 2 * tn / (2 * tn + fn + fp) if tn else 0.0
    return (f1 + f0) / 2


def base_rate_weights(gold):
    pi = gold.mean()
    return BASE_RATE / pi, (1 - BASE_RATE) / (1 - pi)


def best_threshold(score, gold):
    w = base_rate_weights(gold)
    return max(np.unique(score), key=lambda t: macro_f1(gold, score >= t, w))


def bagged_threshold(score, gold, seed, resamples=100):
    rng = np.random.default_rng(seed)
    n = len(score)
    picks = [best_threshold(score[i], gold[i]) for i in (rng.integers(0, n, n) for _ in range(resamples))]
    return float(np.median(picks))


def cross_validated(gold, fit, splits=5, folds=5):
    """Mean pooled held-out macro-F1 (at the base rate, and at the set's own) over `splits`."""
    at_base, raw = [], []
    for seed in range(splits):
        idx = np.random.default_rng(seed).permutation(len(gold))
        pred = np.zeros(len(gold), bool)
        for held in np.array_split(idx, folds):
            train = np.setdiff1d(idx, held)
            score, threshold = fit(train, seed)
            pred[held] = score[held] >= threshold
        at_base.append(macro_f1(gold, pred, base_rate_weights(gold)))
        raw.append(macro_f1(gold, pred))
    return np.mean(at_base), np.std(at_base), np.mean(raw)


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    train_tsv, dev_tsv, dev_jsonl, lexicon_xml = sys.argv[1:]
    train_text, train_gold = read_tsv(train_tsv)
    dev_text, gold = read_tsv(dev_tsv)
    z = read_scores(dev_jsonl, len(dev_text))
    lex = lexicon_features(dev_text, read_lexicon(lexicon_xml))

    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    x_train = hstack([words.fit_transform(train_text), chars.fit_transform(train_text)]).tocsr()
    x_dev = hstack([words.transform(dev_text), chars.transform(dev_text)]).tocsr()
    tfidf = LogisticRegression(C=4, max_iter=2000).fit(x_train, train_gold).decision_function(x_dev)
    tfidf *= z.std() / tfidf.std()

    def plain(score):
        return lambda train, _seed: (score, best_threshold(score[train], gold[train]))

    def stacked(features):
        x = np.column_stack([z, features])

        def fit(train, _seed):
            score = LogisticRegression().fit(x[train], gold[train]).decision_function(x)
            return score, best_threshold(score[train], gold[train])

        return fit

    def bagged(train, seed):
        return z, bagged_threshold(z[train], gold[train], seed)

    print(f"CheckThat dev: {len(gold)} sentences, {gold.mean():.1%} SUBJ; base rate {BASE_RATE}")
    print("addition | held-out macro-F1 at the base rate (mean ± sd over 5 splits) | at the set's own rate")
    runs = [("classifier", plain(z)), ("lexicon max", stacked(lex[:, :1])), ("lexicon sum", stacked(lex[:, 1:]))]
    runs += [(f"tf-idf weight {a}", plain(z + a * tfidf)) for a in (0.1, 0.2, 0.3, 0.5)]
    runs.append(("bagged threshold", bagged))
    for name, fit in runs:
        mean, sd, raw = cross_validated(gold, fit)
        print(f"{name} | {mean:.4f} ± {sd:.4f} | {raw:.4f}")


if __name__ == "__main__":
    main()
