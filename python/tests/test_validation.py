"""rhetor.compare(frame, by=..., gold=...): the prediction-powered estimates
against the field's own implementation (PyPI `ppi-python`, `ppi_py`), and
against the command line's `rhetor compare --gold` on the same files.

On i.i.d. inputs without weights (one sentence per article) the point
estimate is PPI++'s to 1e-9 and the 95 % interval is within 5 % of
`ppi_py.ppi_mean_ci` (rhetor's interval adds a small-sample widening that
fades with the number of labels; see docs/compare.md).
"""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import ppi_py
import pytest

import rhetor

ROOT = Path(__file__).resolve().parents[2]


def iid_case(seed: int, n_all: int, n_labelled: int, rate: float, fp: float, fn: float):
    rng = np.random.default_rng(seed)
    y = (rng.random(n_all) < rate).astype(float)
    f = np.where(y == 1, rng.random(n_all) >= fn, rng.random(n_all) < fp).astype(float)
    labelled = rng.choice(n_all, n_labelled, replace=False)
    frame = pd.DataFrame(
        {
            "article_id": [f"a{i}" for i in range(n_all)],
            "sentence_index": 0,
            "outlet": "A",
            "framing": f,
            "flagged": "",
        }
    )
    gold = pd.DataFrame(
        {
            "article_id": [f"a{i}" for i in labelled],
            "sentence_index": 0,
            "inclusion_probability": n_labelled / n_all,
            "framing": y[labelled].astype(int),
        }
    )
    return frame, gold, y[labelled], f[labelled], f


@pytest.mark.parametrize(
    "seed,rate,fp,fn",
    [(1, 0.15, 0.10, 0.30), (2, 0.05, 0.02, 0.20), (3, 0.35, 0.25, 0.10), (4, 0.20, 0.40, 0.50)],
)
def test_iid_estimates_match_ppi_py(seed, rate, fp, fn):
    frame, gold, y, yhat, yhat_all = iid_case(seed, 5000, 800, rate, fp, fn)
    out = rhetor.compare(frame, by="outlet", gold=gold)
    row = out.iloc[0]
    expected = 100 * float(ppi_py.ppi_mean_pointestimate(y, yhat, yhat_all)[0])
    assert row["ppi_rate"] == pytest.approx(expected, abs=1e-9)
    low, high = ppi_py.ppi_mean_ci(y, yhat, yhat_all, alpha=0.05)
    low, high = 100 * float(low[0]), 100 * float(high[0])
    width = high - low
    print(
        f"seed {seed}: rhetor {row['ppi_rate']:.4f} [{row['ppi_ci_low']:.4f}, {row['ppi_ci_high']:.4f}]"
        f" ppi_py {expected:.4f} [{low:.4f}, {high:.4f}]"
    )
    assert abs(row["ppi_ci_low"] - low) <= 0.05 * width
    assert abs(row["ppi_ci_high"] - high) <= 0.05 * width
    assert (row["ppi_ci_high"] - row["ppi_ci_low"]) == pytest.approx(width, rel=0.05)
    # The labels alone: the mean of the labels.
    assert row["gold_rate"] == pytest.approx(100 * y.mean(), abs=1e-9)
    assert row["n_gold"] == 800


def test_weighted_point_estimate_matches_ppi_py_with_weights():
    # Two sub-strata drawn with different probabilities (oversampled flagged sentences).
    rng = np.random.default_rng(7)
    n_all = 4000
    y = (rng.random(n_all) < 0.2).astype(float)
    f = np.where(y == 1, rng.random(n_all) < 0.7, rng.random(n_all) < 0.15).astype(float)
    flagged = np.flatnonzero(f == 1)
    other = np.flatnonzero(f == 0)
    pick_f = rng.choice(flagged, 200, replace=False)
    pick_o = rng.choice(other, 200, replace=False)
    picked = np.concatenate([pick_f, pick_o])
    prob = np.concatenate([np.full(200, 200 / len(flagged)), np.full(200, 200 / len(other))])
    frame = pd.DataFrame(
        {"article_id": [f"a{i}" for i in range(n_all)], "sentence_index": 0, "outlet": "A", "framing": f}
    )
    frame["flagged"] = ""
    gold = pd.DataFrame(
        {
            "article_id": [f"a{i}" for i in picked],
            "sentence_index": 0,
            "inclusion_probability": prob,
            "framing": y[picked].astype(int),
        }
    )
    row = rhetor.compare(frame, by="outlet", gold=gold).iloc[0]
    expected = 100 * float(
        ppi_py.ppi_mean_pointestimate(y[picked], f[picked], f, w=1 / prob)[0]
    )
    assert row["ppi_rate"] == pytest.approx(expected, abs=1e-9)
    # The weighted estimate is near the truth; the unweighted mean of the labels is not.
    assert abs(row["ppi_rate"] - 100 * y.mean()) < 4
    assert abs(100 * y[picked].mean() - 100 * y.mean()) > 10


def test_ppi_is_narrower_than_labels_alone_when_the_classifier_is_informative():
    frame, gold, *_ = iid_case(11, 3000, 150, 0.2, 0.03, 0.1)
    row = rhetor.compare(frame, by="outlet", gold=gold).iloc[0]
    assert row["ppi_ci_high"] - row["ppi_ci_low"] < 0.7 * (row["gold_ci_high"] - row["gold_ci_low"])


def test_bad_labels_are_clear_errors():
    frame, gold, *_ = iid_case(5, 200, 20, 0.2, 0.1, 0.1)
    bad = gold.copy()
    bad["framing"] = bad["framing"].astype(object)
    bad.loc[3, "framing"] = "maybe"
    with pytest.raises(ValueError, match="gold row 3, column `framing`: `maybe` is not a label"):
        rhetor.compare(frame, by="outlet", gold=bad)
    unknown = gold.copy()
    unknown.loc[0, "article_id"] = "nope"
    with pytest.raises(ValueError, match="sentence 0 of article `nope` is not in the frame"):
        rhetor.compare(frame, by="outlet", gold=unknown)
    with pytest.raises(ValueError, match="no label column"):
        rhetor.compare(frame, by="outlet", gold=gold.drop(columns=["framing"]))


def test_a_label_of_the_models_own_is_measured_like_a_device():
    # 400 sentences, one per article (odd: outlet A, even: B); the model flags
    # `blame` on the first 100; 80 are labelled, blame on every 20th article.
    n = 400
    frame = pd.DataFrame(
        {
            "article_id": [f"a{i}" for i in range(n)],
            "sentence_index": 0,
            "outlet": ["A" if i % 2 else "B" for i in range(n)],
            "framing": [0.9 if i < 100 else 0.1 for i in range(n)],
            "flagged": ["blame" if i < 100 else "" for i in range(n)],
            "blame": [0.9 if i < 100 else 0.1 for i in range(n)],
        }
    )
    labelled = list(range(0, n, 5))
    gold = pd.DataFrame(
        {
            "article_id": [f"a{i}" for i in labelled],
            "sentence_index": 0,
            "inclusion_probability": len(labelled) / n,
            "text": "x",
            "blame": [int(i % 20 == 0) for i in labelled],
        }
    )
    out = rhetor.compare(frame, by="outlet", gold=gold)
    assert list(out["device"]) == ["blame", "blame"]
    by = out.set_index("outlet")
    assert by.loc["A", "rate_per_100"] == pytest.approx(25.0)
    assert by.loc["B", "flagged_sentences"] == 50
    # Labelled: 40 per outlet; half of B's coded 1, none of A's.
    assert by.loc["B", "n_gold"] == 40
    assert by.loc["B", "gold_rate"] == pytest.approx(50.0)
    assert by.loc["A", "n_gold"] == 40
    assert by.loc["A", "gold_rate"] == pytest.approx(0.0)


def test_same_numbers_as_the_command_line(cli, tmp_path):
    batch = tmp_path / "b"
    run = lambda *a: subprocess.run([cli, *a], capture_output=True, text=True, check=True)
    run("batch", str(ROOT / "data" / "corpus-sample.csv"), "--model", "cues", "--out", str(batch))
    sample = tmp_path / "s.csv"
    run("sample", str(batch), "--per-group", "30", "--seed", "2", "--out", str(sample))
    coded = pd.read_csv(sample, dtype={"article_id": str}, keep_default_na=False)
    coded["framing"] = [(i * 7919) % 3 == 0 for i in range(len(coded))]
    coded["framing"] = coded["framing"].astype(int)
    labels = tmp_path / "labels.csv"
    coded.to_csv(labels, index=False, quoting=csv.QUOTE_MINIMAL)
    run(
        "compare", str(batch), "--gold", str(labels), "--permutations", "99",
        "--bootstrap", "200", "--out", str(tmp_path / "c"),
    )
    cli_rows = pd.read_csv(tmp_path / "c" / "compare.csv", keep_default_na=False)
    cli_rows = cli_rows[cli_rows["device"] == "framing"].reset_index(drop=True)
    sentences = pd.read_csv(batch / "sentences.csv", dtype={"article_id": str}, keep_default_na=False)
    threshold = json.loads((batch / "summary.json").read_text())["thresholds"]["framing"]
    py = rhetor.compare(sentences, by="outlet", gold=coded, framing_threshold=threshold)
    assert list(py["outlet"]) == list(cli_rows["outlet"])
    for column in ["n_gold", "gold_rate", "ppi_rate", "ppi_ci_low", "ppi_ci_high", "gold_ci_low"]:
        for a, b in zip(py[column], cli_rows[column]):
            assert float(a) == pytest.approx(float(b), abs=6e-5), column
