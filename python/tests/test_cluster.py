"""End-to-end tests of examples/spark_score.py (spark-submit, master local[2]) and
examples/dask_score.py (a dask.distributed LocalCluster with 2 worker processes):
their Parquet output must hold the same rows and values as `rhetor batch`'s
sentences.csv on the same corpus, and every record that batch lists in
errors.csv must be in their errors output.

They need pyspark and a Java runtime (Spark), dask[dataframe,distributed] and
pyarrow. Without them the tests skip, unless RHETOR_REQUIRE_CLUSTER_TESTS is set
(scripts/test-python.sh sets it, so CI runs them): then they fail.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "data" / "corpus-sample.csv"
SPARK_EXAMPLE = ROOT / "examples" / "spark_score.py"
DASK_EXAMPLE = ROOT / "examples" / "dask_score.py"
MODEL = "cues"  # fast in the dev profile; the examples take any model (--model)
REQUIRED = bool(os.environ.get("RHETOR_REQUIRE_CLUSTER_TESTS"))


def missing(what: str):
    message = f"{what} (scripts/test-python.sh installs it)"
    if REQUIRED:
        pytest.fail(f"RHETOR_REQUIRE_CLUSTER_TESTS is set but {message}")
    pytest.skip(message)


@pytest.fixture(scope="module")
def spark_submit() -> str:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        missing("pyspark is not installed")
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        missing("no Java runtime (java) for Spark")
    path = Path(sys.executable).parent / "spark-submit"
    if not path.is_file():
        found = shutil.which("spark-submit")
        if not found:
            missing("spark-submit is not on PATH")
        path = Path(found)
    return str(path)


@pytest.fixture(scope="module")
def dask_distributed():
    try:
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError as e:
        missing(f"dask[dataframe,distributed] or pyarrow is not installed ({e})")


# --- the corpus: the sample plus records that must be reported, not dropped --------------


def edge_rows(names):
    """Records appended to the sample: each must come out as rows or as an error."""
    blank = dict.fromkeys(names, "")
    return [
        {**blank, "id": "empty-1", "outlet": "Meridian Wire", "text": "   \n  "},  # empty text
        {
            **blank,
            "id": "",
            "outlet": "Nowhere",
            "title": "No id",
            "text": "Rain fell. Let's notice that the minister is silent.",
        },
        {**blank, "id": "punct-1", "text": "…"},  # no sentence, or one: as batch says
        # (not CR LF inside the text: Spark's CSV parser turns it into LF, see docs/batch.md)
        {
            **blank,
            "id": "quote-1",
            "title": 'A "quoted", title',
            "text": 'He said "enough",\nthen left. Note that it rained.',
        },
    ]


@pytest.fixture(scope="module")
def corpus_csv(tmp_path_factory) -> Path:
    with open(CORPUS, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        names = reader.fieldnames
        rows = list(reader)
    rows += edge_rows(names)
    path = tmp_path_factory.mktemp("corpus") / "corpus.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=names)
        w.writeheader()
        w.writerows(rows)
    assert len(rows) == 42
    return path


@pytest.fixture(scope="module")
def corpus_jsonl(corpus_csv) -> Path:
    with open(corpus_csv, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    path = corpus_csv.with_suffix(".jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for i, row in enumerate(rows):
            if i == 3:
                f.write("\n")  # a blank line is not a record
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        f.write("[1, 2]\n")  # not an object: an error
    return path


def run_batch(cli, corpus, out):
    p = subprocess.run(
        [
            cli,
            "batch",
            str(corpus),
            "--out",
            str(out),
            "--model",
            MODEL,
            "--threads",
            "2",
            "--quiet",
        ],
        capture_output=True,
        text=True,
    )
    assert p.returncode in (0, 3), p.stderr  # 3: some records are in errors.csv
    return out


@pytest.fixture(scope="module")
def batch_csv(cli, corpus_csv, tmp_path_factory):
    return run_batch(cli, corpus_csv, tmp_path_factory.mktemp("batch-csv"))


@pytest.fixture(scope="module")
def batch_jsonl(cli, corpus_jsonl, tmp_path_factory):
    return run_batch(cli, corpus_jsonl, tmp_path_factory.mktemp("batch-jsonl"))


# --- comparison ---------------------------------------------------------------------------


def read_batch(folder: Path, parquet: pd.DataFrame):
    """batch's sentences.csv with the Parquet output's types, and its errors.csv."""
    strings = [
        c
        for c in parquet.columns
        if not pd.api.types.is_numeric_dtype(parquet[c])
        and not pd.api.types.is_bool_dtype(parquet[c])
    ]
    sentences = pd.read_csv(
        folder / "sentences.csv", dtype=dict.fromkeys(strings, str), keep_default_na=False
    )
    errors = pd.read_csv(
        folder / "errors.csv",
        dtype={"article_id": str, "field": str, "reason": str},
        keep_default_na=False,
    )
    return sentences, errors


def read_output(out: Path):
    sentences = pd.read_parquet(out / "sentences")
    errors = pd.read_parquet(out / "errors")
    summary = json.loads((out / "summary.json").read_text())
    return sentences, errors, summary


def normalise(df: pd.DataFrame) -> pd.DataFrame:
    """Strings as plain objects (pandas' string dtypes differ between readers)."""
    df = df.reset_index(drop=True).copy()
    for c in df.columns:
        if not pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]):
            df[c] = df[c].astype(object)
    return df


def assert_equals_batch(out: Path, batch: Path, parser_errors=()):
    sentences, errors, summary = read_output(out)
    expected, expected_errors = read_batch(batch, sentences)
    assert len(expected) > 300, "the batch run should have scored the corpus"
    assert list(sentences.columns) == list(expected.columns)
    # Same rows in the same (input) order, every value equal: ids, sentence indices,
    # offsets, texts and the scores as printed (4 decimals) by the CLI.
    pd.testing.assert_frame_equal(normalise(sentences), normalise(expected), check_exact=True)
    # Every record batch could not score is in the errors output, with batch's reason
    # (records the readers reject are matched by record number only).
    got = errors.sort_values("record").reset_index(drop=True)
    assert got["record"].tolist() == expected_errors["record"].tolist()
    for g, e in zip(got.itertuples(), expected_errors.itertuples()):
        if e.record in parser_errors:
            continue
        assert (g.article_id, g.field, g.reason) == (e.article_id, e.field, e.reason)
    batch_summary = json.loads((batch / "summary.json").read_text())
    assert summary["lossless"] is True
    for key in ("records_read", "articles_scored", "errors", "sentences"):
        assert summary[key] == batch_summary["counts"][key], key
    return sentences, errors


def test_the_edge_records_are_what_the_test_expects(batch_csv):
    """The appended records exercise errors and defaulted ids in batch itself."""
    _, errors = read_batch(batch_csv, pd.DataFrame({"x": [1]}))
    assert "empty text" in errors["reason"].tolist()
    sentences = pd.read_csv(batch_csv / "sentences.csv", dtype=str, keep_default_na=False)
    assert "40" in sentences["article_id"].tolist()  # the record without an id


# --- Spark ----------------------------------------------------------------------------------


def run_spark(spark_submit, corpus, out, *args):
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    p = subprocess.run(
        [
            spark_submit,
            "--master",
            "local[2]",
            "--conf",
            "spark.ui.enabled=false",
            str(SPARK_EXAMPLE),
            str(corpus),
            str(out),
            "--model",
            MODEL,
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert p.returncode == 0, f"spark-submit failed ({p.returncode}):\n{p.stderr[-6000:]}"
    # spark-submit passes the Python driver's standard error on to its standard output.
    assert "spark_score: read" in p.stdout + p.stderr
    return out


def test_spark_csv_equals_batch(spark_submit, corpus_csv, batch_csv, tmp_path):
    out = run_spark(spark_submit, corpus_csv, tmp_path / "spark")
    sentences, errors = assert_equals_batch(out, batch_csv)
    assert "empty-1" in errors["article_id"].tolist()


def test_spark_parquet_equals_batch(spark_submit, corpus_csv, batch_csv, tmp_path):
    frame = pd.read_csv(corpus_csv, dtype=str, keep_default_na=False)
    frame.to_parquet(tmp_path / "corpus.parquet", index=False)
    out = run_spark(
        spark_submit, tmp_path / "corpus.parquet", tmp_path / "spark", "--partitions", "3"
    )
    assert_equals_batch(out, batch_csv)


# --- Dask -------------------------------------------------------------------------------------


def run_dask(corpus, out, *args):
    p = subprocess.run(
        [
            sys.executable,
            str(DASK_EXAMPLE),
            str(corpus),
            str(out),
            "--model",
            MODEL,
            "--workers",
            "2",
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert p.returncode == 0, f"dask_score.py failed ({p.returncode}):\n{p.stderr[-6000:]}"
    assert "dask_score: read" in p.stderr
    return out


def test_dask_csv_equals_batch(dask_distributed, corpus_csv, batch_csv, tmp_path):
    out = run_dask(corpus_csv, tmp_path / "dask", "--partitions", "5")
    assert_equals_batch(out, batch_csv)


def test_dask_parquet_equals_batch(dask_distributed, corpus_csv, batch_csv, tmp_path):
    frame = pd.read_csv(corpus_csv, dtype=str, keep_default_na=False)
    frame.to_parquet(tmp_path / "corpus.parquet", index=False)
    out = run_dask(tmp_path / "corpus.parquet", tmp_path / "dask", "--partitions", "3")
    assert_equals_batch(out, batch_csv)


def test_dask_jsonl_equals_batch(dask_distributed, corpus_jsonl, batch_jsonl, tmp_path):
    out = run_dask(corpus_jsonl, tmp_path / "dask")
    _, errors = assert_equals_batch(out, batch_jsonl)
    assert any(r.startswith("not a JSON object") for r in errors["reason"])


def test_dask_refuses_the_silent_fallback_to_the_cue_model(dask_distributed, tmp_path):
    """A worker without the transformer's base weights stops the run with the loader's
    message instead of scoring with the cue model under the default model's name."""
    env = dict(os.environ, RHETOR_BASE_DIR=str(tmp_path / "no-weights"), RHETOR_NO_SETUP="1")
    env.pop("RHETOR_BASE_HF", None)
    p = subprocess.run(
        [
            sys.executable,
            str(DASK_EXAMPLE),
            str(CORPUS),
            str(tmp_path / "out"),
            "--model",
            "default",
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert p.returncode != 0
    assert "--allow-fallback" in p.stderr and "rhetor model `default` on this worker" in p.stderr
    assert not (tmp_path / "out" / "summary.json").exists()
