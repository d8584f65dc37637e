#!/usr/bin/env python3
"""Validates the gold set and prints its size per split and per device.

Usage: python3 eval/gold/stats.py [eval/gold]
Checks: gold.csv / labels-a.csv / sentences.csv parse, ids and indices are
consistent, texts are non-empty, device ids are valid (src/taxonomy.rs),
articles have 8-14 sentences and one split each.
"""
import collections
import csv
import os
import sys

DEVICES = [
    "editorial_aside", "evaluative_editorializing", "loaded_language", "name_calling",
    "scare_quotes", "doubt", "appeal_to_fear", "exaggeration", "flag_waving",
    "whataboutism", "causal_oversimplification", "appeal_to_authority",
    "black_and_white", "slogans", "thought_terminating_cliche", "repetition",
    "rhetorical_question", "bandwagon",
]


def read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    gold = read(os.path.join(base, "gold.csv"))
    labels = read(os.path.join(base, "labels-a.csv"))
    sents = read(os.path.join(base, "sentences.csv"))
    assert len(gold) == len(labels) == len(sents), "row counts differ"
    keys = set()
    per_article = collections.defaultdict(list)
    split_of = {}
    for n, (g, l, s) in enumerate(zip(gold, labels, sents), start=2):
        key = (g["article_id"], int(g["sentence_index"]))
        assert key not in keys, f"line {n}: duplicate {key}"
        keys.add(key)
        assert (l["article_id"], int(l["sentence_index"])) == key, f"line {n}: labels-a.csv out of step"
        assert (s["article_id"], int(s["sentence_index"])) == key, f"line {n}: sentences.csv out of step"
        assert g["text"].strip() and g["text"] == s["text"], f"line {n}: empty or differing text"
        assert g["devices"] == l["devices"], f"line {n}: gold.csv and labels-a.csv differ"
        assert g["split"] in ("dev", "test") and g["split"] == s["split"], f"line {n}: bad split"
        assert split_of.setdefault(g["article_id"], g["split"]) == g["split"], f"line {n}: split changes inside article"
        for d in filter(None, g["devices"].split(";")):
            assert d in DEVICES, f"line {n}: unknown device {d!r}"
        per_article[g["article_id"]].append(key[1])
    for art, idx in per_article.items():
        assert idx == list(range(len(idx))), f"{art}: sentence indices not 0..n-1 in order"
        assert 8 <= len(idx) <= 14, f"{art}: {len(idx)} sentences"

    splits = ("dev", "test")
    n_art = collections.Counter(split_of.values())
    n_sent = collections.Counter(g["split"] for g in gold)
    none = collections.Counter(g["split"] for g in gold if not g["devices"])
    dev_count = {d: collections.Counter() for d in DEVICES}
    for g in gold:
        for d in filter(None, g["devices"].split(";")):
            dev_count[d][g["split"]] += 1
    print("| | dev | test | all |")
    print("|---|---:|---:|---:|")
    print(f"| articles | {n_art['dev']} | {n_art['test']} | {len(split_of)} |")
    print(f"| sentences | {n_sent['dev']} | {n_sent['test']} | {len(gold)} |")
    tot_none = sum(none.values())
    print(f"| sentences with no device | {none['dev']} | {none['test']} | {tot_none} ({100 * tot_none / len(gold):.1f} %) |")
    for d in DEVICES:
        c = dev_count[d]
        print(f"| {d} | {c['dev']} | {c['test']} | {sum(c[s] for s in splits)} |")


if __name__ == "__main__":
    main()
