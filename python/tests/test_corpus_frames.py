"""`titles` / `score_frame(title=...)` (the title passed to the model, as `rhetor
batch` passes a corpus's title column) and `rhetor.shared_scorer` (one model per
worker process, for Spark and Dask)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd
import pytest

import rhetor

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "data" / "corpus-sample.csv"


def test_score_frame_with_titles_equals_batch_sentences(cli, tmp_path):
    p = subprocess.run(
        [cli, "batch", str(CORPUS), "--out", str(tmp_path), "--model", "cues", "--quiet"],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 0, p.stderr
    articles = pd.read_csv(CORPUS, dtype=str, keep_default_na=False)
    keep = ["outlet", "date", "title", "url", "author"]
    df = rhetor.shared_scorer("cues").score_frame(articles, keep=keep, title="title")
    strings = ["article_id", *keep, "text", "flagged", "cues"]
    expected = pd.read_csv(
        tmp_path / "sentences.csv", dtype=dict.fromkeys(strings, str), keep_default_na=False
    )
    assert len(df) > 300
    pd.testing.assert_frame_equal(
        df.astype(dict.fromkeys(strings, object)),
        expected.astype(dict.fromkeys(strings, object)),
        check_exact=True,
    )


def test_titles_are_checked():
    scorer = rhetor.shared_scorer("cues")
    texts = ["Rain fell.", "Let's notice that the minister is silent."]
    with pytest.raises(ValueError, match="titles has 1 items but texts has 2"):
        scorer.score(texts, titles=["one"])
    with pytest.raises(TypeError, match="not a single string"):
        scorer.score(texts, titles="one")
    with pytest.raises(TypeError, match=r"titles\[1\] must be str or None, not int"):
        scorer.score(texts, titles=["one", 2])
    with pytest.raises(KeyError, match="no column `headline`"):
        scorer.score_frame(pd.DataFrame({"text": texts}), title="headline")
    # Titles (None and blank ones too) are accepted; the cue model does not use them.
    with_titles = scorer.score(texts, titles=["A title", None])
    pd.testing.assert_frame_equal(with_titles, scorer.score(texts, titles=["", " "]))
    assert with_titles["flagged"].tolist() == ["", "editorial_aside"]


def test_shared_scorer_loads_once_per_arguments():
    first = rhetor.shared_scorer("cues")
    assert rhetor.shared_scorer("cues") is first
    assert rhetor.shared_scorer(Path("cues")) is first  # os.PathLike like str
    other = rhetor.shared_scorer("cues", threads=1)
    assert other is not first and other.model == "cues"
    with pytest.raises(TypeError, match="model must be a str or a path"):
        rhetor.shared_scorer(3)
