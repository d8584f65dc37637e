#!/usr/bin/env python3
"""Inter-annotator agreement between labelling pass A and pass B of the gold set.

Usage: python3 eval/gold/agreement.py [eval/gold]

Reads labels-a.csv and labels-b.csv (columns article_id,sentence_index,devices;
same rows in the same order) and prints, per device and for "any device"
(the sentence carries at least one device, i.e. it is framed), a Markdown table
with the counts A+ (sentences labelled positive by A), B+ (by B), both (by both),
the observed agreement and Cohen's kappa, each computed on the binary decision
per sentence. The last line is the macro mean of the per-device kappas (devices
whose kappa is undefined because both passes are constant are left out of it).
Stdlib only.
"""
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
        rows = list(csv.DictReader(fh))
    out = []
    for n, r in enumerate(rows, start=2):
        devs = set(filter(None, (d.strip() for d in r["devices"].split(";"))))
        for d in devs:
            assert d in DEVICES, f"{path} line {n}: unknown device {d!r}"
        out.append(((r["article_id"], int(r["sentence_index"])), devs))
    return out


def kappa(a, b):
    """Counts and Cohen's kappa for two parallel lists of booleans."""
    n = len(a)
    pa = sum(a)
    pb = sum(b)
    both = sum(1 for x, y in zip(a, b) if x and y)
    agree = sum(1 for x, y in zip(a, b) if x == y)
    po = agree / n
    pe = (pa / n) * (pb / n) + (1 - pa / n) * (1 - pb / n)
    k = None if pe == 1 else (po - pe) / (1 - pe)
    return pa, pb, both, po, k


def fmt(k):
    return "n/a" if k is None else f"{k:.2f}"


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    a = read(os.path.join(base, "labels-a.csv"))
    b = read(os.path.join(base, "labels-b.csv"))
    assert len(a) == len(b), "labels-a.csv and labels-b.csv have different row counts"
    for (ka, _), (kb, _) in zip(a, b):
        assert ka == kb, f"rows out of step: {ka} vs {kb}"
    n = len(a)
    print(f"{n} sentences; binary decision per sentence and device.\n")
    print("| device | A+ | B+ | both | observed agreement | Cohen's kappa |")
    print("|---|---:|---:|---:|---:|---:|")
    kappas = []
    for d in DEVICES:
        pa, pb, both, po, k = kappa([d in x for _, x in a], [d in y for _, y in b])
        if k is not None:
            kappas.append(k)
        print(f"| {d} | {pa} | {pb} | {both} | {po:.3f} | {fmt(k)} |")
    pa, pb, both, po, k = kappa([bool(x) for _, x in a], [bool(y) for _, y in b])
    print(f"| any device (framing) | {pa} | {pb} | {both} | {po:.3f} | {fmt(k)} |")
    macro = sum(kappas) / len(kappas) if kappas else None
    print(f"\nmacro mean kappa over {len(kappas)} devices: {fmt(macro)}")
    pairs = sum(len(x ^ y) for (_, x), (_, y) in zip(a, b))
    print(f"disagreeing (sentence, device) pairs: {pairs}")


if __name__ == "__main__":
    main()
