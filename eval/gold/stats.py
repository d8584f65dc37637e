#!/usr/bin/env python3
"""Validates the gold set and prints its size per split and per device.

Usage: python3 eval/gold/stats.py [eval/gold]
Checks: gold.csv / labels-a.csv / labels-b.csv / sentences.csv /
adjudication.csv parse, ids and indices are consistent, texts are non-empty,
device ids are valid (src/taxonomy.rs), articles have 8-14 sentences and one
split each, adjudication.csv has exactly one row per (sentence, device) on which
pass A and pass B disagree (with the right a / b values), and gold.csv's
devices = the devices on which A and B agree + the adjudicated disagreements
whose final is 1.
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
    labels_b = read(os.path.join(base, "labels-b.csv"))
    sents = read(os.path.join(base, "sentences.csv"))
    adjudication = read(os.path.join(base, "adjudication.csv"))
    assert len(gold) == len(labels) == len(labels_b) == len(sents), "row counts differ"
    adjudicated = {}
    for n, r in enumerate(adjudication, start=2):
        key = (r["article_id"], int(r["sentence_index"]), r["device"])
        assert r["device"] in DEVICES, f"adjudication.csv line {n}: unknown device {r['device']!r}"
        assert key not in adjudicated, f"adjudication.csv line {n}: duplicate {key}"
        assert r["a"] in ("0", "1") and r["b"] in ("0", "1") and r["final"] in ("0", "1"), f"adjudication.csv line {n}: a/b/final must be 0 or 1"
        assert r["a"] != r["b"], f"adjudication.csv line {n}: A and B agree, nothing to adjudicate"
        adjudicated[key] = r
    seen = set()
    keys = set()
    per_article = collections.defaultdict(list)
    split_of = {}
    for n, (g, l, lb, s) in enumerate(zip(gold, labels, labels_b, sents), start=2):
        key = (g["article_id"], int(g["sentence_index"]))
        assert key not in keys, f"line {n}: duplicate {key}"
        keys.add(key)
        assert (l["article_id"], int(l["sentence_index"])) == key, f"line {n}: labels-a.csv out of step"
        assert (s["article_id"], int(s["sentence_index"])) == key, f"line {n}: sentences.csv out of step"
        assert g["text"].strip() and g["text"] == s["text"], f"line {n}: empty or differing text"
        assert (lb["article_id"], int(lb["sentence_index"])) == key, f"line {n}: labels-b.csv out of step"
        set_a = set(filter(None, l["devices"].split(";")))
        set_b = set(filter(None, lb["devices"].split(";")))
        final = set_a & set_b
        for d in set_a ^ set_b:
            r = adjudicated.get(key + (d,))
            assert r is not None, f"line {n}: disagreement on {d} not adjudicated"
            assert (r["a"], r["b"]) == (str(int(d in set_a)), str(int(d in set_b))), f"line {n}: adjudication.csv a/b wrong for {d}"
            seen.add(key + (d,))
            if r["final"] == "1":
                final.add(d)
        gold_set = set(filter(None, g["devices"].split(";")))
        assert gold_set == final, f"line {n}: gold.csv differs from the adjudicated labels ({sorted(gold_set)} vs {sorted(final)})"
        for d in set_a | set_b:
            assert d in DEVICES, f"line {n}: unknown device {d!r} in labels-a/labels-b"
        assert g["split"] in ("dev", "test") and g["split"] == s["split"], f"line {n}: bad split"
        assert split_of.setdefault(g["article_id"], g["split"]) == g["split"], f"line {n}: split changes inside article"
        for d in filter(None, g["devices"].split(";")):
            assert d in DEVICES, f"line {n}: unknown device {d!r}"
        per_article[g["article_id"]].append(key[1])
    extra = set(adjudicated) - seen
    assert not extra, f"adjudication.csv rows for pairs on which A and B agree: {sorted(extra)[:3]}"
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
