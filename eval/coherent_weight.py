#!/usr/bin/env python3
"""How the weight of the per-technique F1 in the coherent-framing objective trades sentence F1
against device F1 (docs/model.md, "Coherent framing"). A simulation of `eval::tune::tune_coherent`
on the predictions of a model evaluated WITHOUT coherent framing (its `framing` column is then
the head's probability), over the 4-decimal scores of predictions.csv, so figures differ from
the Rust ones in the third decimal.

usage: python3 eval/coherent_weight.py PREDICTIONS.csv MODEL/config.json    (needs numpy)
e.g.   rhetor eval --gold ../shared/ptc/dev --model /tmp/m-without-coherence --out /tmp/e
       python3 eval/coherent_weight.py /tmp/e/predictions.csv models/rhetor-minilm/config.json
"""
import csv
import json
import sys

import numpy as np

# Device::ALL order (src/taxonomy.rs): the order of `thresholds.devices` in config.json.
ALL = ["editorial_aside", "evaluative_editorializing", "loaded_language", "name_calling",
       "scare_quotes", "doubt", "appeal_to_fear", "exaggeration", "flag_waving", "whataboutism",
       "causal_oversimplification", "appeal_to_authority", "black_and_white", "slogans",
       "thought_terminating_cliche", "repetition", "rhetorical_question", "bandwagon"]

rows = list(csv.DictReader(open(sys.argv[1])))
devs = [k[2:] for k in rows[0] if k.startswith("p_")]
P = np.array([[float(r["p_" + d]) for d in devs] for r in rows])
H = np.array([float(r["framing"]) for r in rows])
G = np.array([r["gold_positive"] == "1" for r in rows])
GD = np.array([[d in r["gold_devices"].split(";") for d in devs] for r in rows])
T0 = np.array([json.load(open(sys.argv[2]))["thresholds"]["devices"][ALL.index(d)] for d in devs])
SUPPORTED = [j for j in range(len(devs)) if GD[:, j].any()]


def f1(pred, gold):
    tp, fp, fn = (pred & gold).sum(), (pred & ~gold).sum(), (~pred & gold).sum()
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def coherent_f1(flagged):
    """Best F1 of `head >= t or flagged` over t."""
    return max(f1(flagged | (H >= t), G) for t in np.unique(H[~flagged]))


def device_macro(T):
    return np.mean([f1(P[:, j] >= T[j], GD[:, j]) for j in SUPPORTED])


def raise_thresholds(weight):
    T = T0.copy()
    for _ in range(2):
        for j in range(len(devs)):
            above = np.sort(P[P[:, j] > T[j], j])
            cands = sorted({T[j], 1.0, *(above[q * len(above) // 32] for q in range(32) if len(above))})
            best = (T[j], -1.0)
            for c in cands:
                TT = T.copy()
                TT[j] = c
                objective = coherent_f1((P >= TT).any(1)) + weight * device_macro(TT)
                if objective > best[1]:
                    best = (c, objective)
            T[j] = best[0]
    return T


print(f"not coherent: sentence F1 {coherent_f1(np.zeros(len(H), bool)):.3f}, device macro F1 {device_macro(T0):.3f}")
print(f"coherent, thresholds not raised: sentence F1 {coherent_f1((P >= T0).any(1)):.3f}")
for weight in [0.0, 0.25, 0.5, 1.0]:
    T = raise_thresholds(weight)
    silent = sum(1 for j in SUPPORTED if not (P[:, j] >= T[j]).any())
    print(f"weight {weight}: sentence F1 {coherent_f1((P >= T).any(1)):.3f}, "
          f"device macro F1 {device_macro(T):.3f}, techniques never flagged {silent}")
