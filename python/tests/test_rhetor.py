"""Tests of the rhetor Python package: every column equal to the CLI's
`rhetor score --format csv` on the same texts, bad and empty input, bytes.

The CLI is $RHETOR_CLI, else target/release/rhetor (built with `cargo build
--release` when missing).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest

import rhetor

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "data" / "examples").glob("*.txt"))
CORPUS = ROOT / "data" / "corpus-sample.csv"


def run_cli(cli, files, *args, check=True):
    """Runs `rhetor score --format csv`; returns (DataFrame or None, stderr, exit code)."""
    p = subprocess.run(
        [cli, "score", "--format", "csv", *args, *map(str, files)],
        capture_output=True,
        text=True,
    )
    if check:
        assert p.returncode == 0, p.stderr
    frame = None
    if p.stdout:
        frame = read_cli_csv(p.stdout)
    return frame, p.stderr, p.returncode


def read_cli_csv(text: str) -> pd.DataFrame:
    """The CLI's CSV as the package's DataFrame types (ids stay text, empty `flagged` stays "")."""
    return pd.read_csv(io.StringIO(text), dtype={"article_id": str}, keep_default_na=False)


def cli_error(stderr: str) -> str:
    lines = [l for l in stderr.splitlines() if l.startswith("rhetor: error: ")]
    assert lines, stderr
    return lines[0][len("rhetor: error: ") :]


def write_articles(dir: Path, ids, texts) -> list:
    paths = []
    for i, t in zip(ids, texts):
        p = dir / f"{i}.txt"
        p.write_bytes(t if isinstance(t, bytes) else t.encode("utf-8"))
        paths.append(p)
    return paths


def assert_same(df: pd.DataFrame, expected: pd.DataFrame):
    pd.testing.assert_frame_equal(df, expected, check_exact=True)


@pytest.fixture(scope="module")
def cues() -> rhetor.Scorer:
    return rhetor.Scorer("cues")


def corpus():
    return pd.read_csv(CORPUS, dtype=str, keep_default_na=False)


# --- the same values as the CLI -------------------------------------------------------


@pytest.mark.parametrize("model", ["cues", "baseline"])
def test_examples_equal_the_cli(cli, model):
    texts = [p.read_text(encoding="utf-8") for p in EXAMPLES]
    ids = [p.stem for p in EXAMPLES]
    df = rhetor.score(texts, ids=ids, model=model)
    expected, _, _ = run_cli(cli, EXAMPLES, "--model", model)
    assert len(df) > 50
    assert_same(df, expected)


def test_lines_equal_the_cli_lines(cli, cues):
    texts = [p.read_text(encoding="utf-8") for p in EXAMPLES]
    ids = [p.stem for p in EXAMPLES]
    expected, _, _ = run_cli(cli, EXAMPLES, "--model", "cues", "--lines")
    assert_same(cues.score(texts, ids, lines=True), expected)


def test_corpus_sample_equals_the_cli(cli, cues, tmp_path):
    articles = corpus()
    paths = write_articles(tmp_path, articles["id"], articles["text"])
    expected, _, _ = run_cli(cli, paths, "--model", "cues")
    assert_same(cues.score(articles["text"].tolist(), articles["id"].tolist()), expected)
    # score_frame: the same rows, with the kept columns after article_id.
    framed = cues.score_frame(articles, keep=["outlet", "date"])
    assert list(framed.columns[:3]) == ["article_id", "outlet", "date"]
    assert_same(framed.drop(columns=["outlet", "date"]), expected)
    by_id = articles.set_index("id")
    assert (framed["outlet"] == by_id.loc[framed["article_id"], "outlet"].values).all()


def test_default_ids_are_positions_like_files_named_by_them(cli, cues, tmp_path):
    texts = [p.read_text(encoding="utf-8") for p in EXAMPLES[:3]]
    paths = write_articles(tmp_path, ["0", "1", "2"], texts)
    expected, _, _ = run_cli(cli, paths, "--model", "cues")
    df = cues.score(texts)
    assert sorted(set(df["article_id"])) == ["0", "1", "2"]
    assert_same(df, expected)


def test_records_are_the_frame_rows(cues):
    texts = [p.read_text(encoding="utf-8") for p in EXAMPLES]
    records = cues.score_records(texts)
    df = cues.score(texts)
    assert records == df.to_dict("records")
    assert list(records[0]) == cues.columns
    assert rhetor.score_records(texts, model="cues") == records
    r = records[0]
    assert isinstance(r["article_id"], str) and isinstance(r["start"], int)
    assert isinstance(r["attributed"], bool) and isinstance(r["framing"], float)


def test_dtypes_and_the_one_liner(cues):
    df = rhetor.score(["Let us notice that the minister is curious."], model="cues")
    assert len(df) == 1
    text_dtype = pd.Series(["x"]).dtype  # object before pandas 3, str from 3 on
    assert df.dtypes["article_id"] == text_dtype and df.dtypes["cues"] == text_dtype
    assert df.dtypes["start"] == "int64"
    assert df.dtypes["attributed"] == bool and df.dtypes["framing"] == "float64"
    assert "editorial_aside" in df.loc[0, "flagged"].split(";")
    assert df.loc[0, "text"] == "Let us notice that the minister is curious."


def test_score_frame_ids_keep_and_clashes(cues):
    frame = pd.DataFrame(
        {"body": ["One. Two.", "Let's notice that it rains."], "framing": [7, 8]},
        index=[10, 20],
    )
    out = cues.score_frame(frame, text="body", keep=["framing"])
    assert list(out["article_id"]) == ["10", "10", "20"]  # no `id` column: the index
    assert list(out["input_framing"]) == [7, 7, 8]
    assert out.columns[1] == "input_framing" and out.dtypes["input_framing"] == "int64"
    with pytest.raises(KeyError, match="no column `nope`"):
        cues.score_frame(frame, text="body", id="nope")
    with pytest.raises(KeyError, match="no column `text`"):
        cues.score_frame(frame)
    with pytest.raises(TypeError):
        cues.score_frame([{"text": "x"}])


def test_threads_do_not_change_scores():
    texts = [p.read_text(encoding="utf-8") for p in EXAMPLES]
    one = rhetor.Scorer("cues", threads=1).score(texts)
    two = rhetor.Scorer("cues", threads=2).score(texts)
    assert_same(one, two)


def test_the_gil_is_released_while_scoring():
    scorer = rhetor.Scorer("cues", threads=1)
    one_round = [p.read_text(encoding="utf-8") for p in EXAMPLES]
    count = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            count[0] += 1

    def one_call(texts):
        c0, t0 = count[0], time.perf_counter()
        scorer.score_records(texts)
        return time.perf_counter() - t0, count[0] - c0

    t = threading.Thread(target=spin)
    t.start()
    try:
        time.sleep(0.2)
        c0, t0 = count[0], time.perf_counter()
        time.sleep(0.2)  # the counting rate alone
        rate = (count[0] - c0) / (time.perf_counter() - t0)
        # One call must last long enough to tell, however fast the machine: grow it.
        repeat = 40
        elapsed, during = one_call(one_round * repeat)
        while elapsed < 0.3 and repeat < 40 * 4**6:
            repeat *= 4
            elapsed, during = one_call(one_round * repeat)
    finally:
        stop.set()
        t.join()
    assert elapsed >= 0.3, f"scoring {repeat} copies still took only {elapsed:.3f} s"
    # Holding the GIL would allow one switch interval (5 ms) of counting at most.
    assert during > rate * 0.05, (during, rate, elapsed)


# --- bad and empty input ----------------------------------------------------------------


def test_empty_list_gives_an_empty_frame_with_the_columns(cues):
    df = cues.score([])
    assert len(df) == 0 and list(df.columns) == cues.columns
    assert df.dtypes["start"] == "int64" and df.dtypes["framing"] == "float64"
    assert df.dtypes["attributed"] == bool
    assert cues.score_records([]) == []
    assert len(cues.score_frame(pd.DataFrame({"text": []}))) == 0


def test_an_empty_article_is_the_cli_error_or_skipped_with_a_warning(cli, cues, tmp_path):
    texts = ["Rain fell. Let's notice that the minister is silent.", "  \n "]
    paths = write_articles(tmp_path, ["a", "b"], texts)
    expected, stderr, code = run_cli(cli, paths, "--model", "cues", check=False)
    assert code == 3
    with pytest.raises(rhetor.RhetorError) as e:
        cues.score(texts, ["a", "b"])
    assert str(e.value) == "b: is empty (no text to score)"
    assert cli_error(stderr) == f"{paths[1]}: is empty (no text to score)"
    with pytest.warns(rhetor.RhetorWarning, match="b: is empty"):
        df = cues.score(texts, ["a", "b"], errors="warn")
    assert_same(df, expected)
    with pytest.raises(rhetor.RhetorError):
        cues.score([""])
    with pytest.raises(ValueError, match="errors must be"):
        cues.score(["x"], errors="ignore")


def test_non_utf8_bytes_are_decoded_like_the_cli(cli, cues, tmp_path):
    bad = b"Rain fell.\nLet's notice that the caf\xe9 is \xff closed."
    paths = write_articles(tmp_path, ["bad"], [bad])
    _, stderr, code = run_cli(cli, paths, "--model", "cues", check=False)
    assert code == 1
    with pytest.raises(rhetor.RhetorError) as e:
        cues.score([bad], ["bad"])
    message = str(e.value)
    assert message.startswith("bad:2: not valid UTF-8 (byte offset"), message
    assert cli_error(stderr) == f"{paths[0]}:2" + message[len("bad:2") :]
    expected, _, _ = run_cli(cli, paths, "--model", "cues", "--lossy")
    assert_same(cues.score([bad], ["bad"], lossy=True), expected)
    assert "\ufffd" in "".join(expected["text"])
    # Valid UTF-8 bytes are the same article as the str.
    good = "Let’s notice that the café is closed."
    assert_same(cues.score([good.encode("utf-8")]), cues.score([good]))
    with pytest.raises(rhetor.RhetorError, match="binary file"):
        cues.score([b"a\x00b"])


def test_wrong_types_raise_type_errors(cues):
    with pytest.raises(TypeError, match="not a single string"):
        cues.score("Let us notice that the minister is curious.")
    with pytest.raises(TypeError, match=r"texts\[1\] must be str or bytes, not int"):
        cues.score(["ok.", 3])
    with pytest.raises(TypeError, match=r"texts\[0\] must be str or bytes, not NoneType"):
        cues.score_records([None])
    with pytest.raises(TypeError):
        cues.score(42)
    with pytest.raises(TypeError, match=r"ids\[0\] must be str or int, not float"):
        cues.score(["ok."], ids=[1.5])
    with pytest.raises(ValueError, match="ids has 2 items but texts has 1"):
        cues.score(["ok."], ids=["a", "b"])
    assert list(cues.score(["ok."], ids=[7])["article_id"]) == ["7"]
    np = pytest.importorskip("numpy")
    assert list(cues.score(["ok.", "ok."], ids=np.array([7, 8]))["article_id"]) == ["7", "8"]
    with pytest.raises(TypeError, match=r"ids\[0\] must be str or int, not bool"):
        cues.score(["ok."], ids=[True])
    with pytest.raises(TypeError):
        rhetor.Scorer(model=3)
    with pytest.raises(ValueError, match="threads must be at least 1"):
        rhetor.Scorer("cues", threads=0)
    with pytest.raises(ValueError, match="unknown engine `fast`"):
        rhetor.Scorer("cues", engine="fast")


def test_an_unknown_model_raises_the_cli_message(cli, tmp_path):
    article = write_articles(tmp_path, ["a"], ["Some text."])
    missing = str(tmp_path / "no-such-model")
    _, stderr, code = run_cli(cli, article, "--model", missing, check=False)
    assert code == 1
    with pytest.raises(rhetor.RhetorError) as e:
        rhetor.Scorer(missing)
    assert str(e.value) == cli_error(stderr)
    assert "no such model folder" in str(e.value)
    with pytest.raises(ValueError):  # RhetorError is a ValueError
        rhetor.score(["x."], model=missing)


def test_a_declared_label_set_gives_the_columns_like_the_cli(cli, tmp_path):
    """A model folder whose config.json declares `label_set` (issue 26): the
    frame's label columns are its labels, in its order, equal to the CLI's."""
    model = tmp_path / "my-model"
    model.mkdir()
    (model / "patterns.toml").write_bytes((ROOT / "models" / "cues" / "patterns.toml").read_bytes())
    (model / "config.json").write_text(
        '{"kind": "cues", "name": "mine", "patterns": "patterns.toml", "label_set": ['
        '{"name": "scare_quotes", "definition": "Distancing quotes.", "level": "span"},'
        '{"name": "editorial_aside", "definition": "The author talks to the reader.", "level": "sentence"}]}'
    )
    texts = [p.read_text(encoding="utf-8") for p in EXAMPLES]
    ids = [p.stem for p in EXAMPLES]
    df = rhetor.score(texts, ids=ids, model=str(model))
    expected, _, _ = run_cli(cli, EXAMPLES, "--model", str(model))
    assert_same(df, expected)
    flagged_at = list(df.columns).index("flagged")
    assert list(df.columns)[flagged_at + 1 :] == ["scare_quotes", "editorial_aside", "cues", "spans"]
    assert rhetor.Scorer(str(model)).labels == [
        {"name": "scare_quotes", "definition": "Distancing quotes.", "level": "span"},
        {"name": "editorial_aside", "definition": "The author talks to the reader.", "level": "sentence"},
    ]


def test_a_model_without_a_label_set_has_the_shipped_devices(cues):
    labels = cues.labels
    assert [l["name"] for l in labels] == rhetor._rhetor.device_ids()
    assert all(l["level"] == "sentence" and l["definition"] for l in labels)


# --- the default model ------------------------------------------------------------------


def base_weights_present() -> bool:
    base = os.environ.get("RHETOR_BASE_DIR") or str(ROOT / "models" / "base")
    return (Path(base) / "model.safetensors").is_file()


def test_default_model_falls_back_to_cues_with_a_warning(monkeypatch, tmp_path):
    monkeypatch.setenv("RHETOR_BASE_DIR", str(tmp_path / "no-base"))
    monkeypatch.setenv("RHETOR_NO_SETUP", "1")
    with pytest.warns(rhetor.RhetorWarning, match="base weights unavailable"):
        scorer = rhetor.Scorer("default")
    assert scorer.model == "cues"


@pytest.mark.skipif(not base_weights_present(), reason="transformer base weights absent (models/base)")
def test_default_model_equals_the_cli(cli, monkeypatch):
    monkeypatch.setenv("RHETOR_NO_SETUP", "1")
    files = EXAMPLES[:3]
    with warnings.catch_warnings():
        warnings.simplefilter("error", rhetor.RhetorWarning)
        scorer = rhetor.Scorer("default")
    assert scorer.model != "cues"
    texts = [p.read_text(encoding="utf-8") for p in files]
    expected, _, _ = run_cli(cli, files)
    assert_same(scorer.score(texts, [p.stem for p in files]), expected)


def test_pandas_is_imported_only_by_the_dataframe_functions():
    code = (
        "import sys, rhetor\n"
        "rows = rhetor.score_records(['Let us notice that it rains.'], model='cues')\n"
        "assert rows and 'pandas' not in sys.modules, sorted(m for m in sys.modules if 'pandas' in m)\n"
        "rhetor.score(['Let us notice that it rains.'], model='cues')\n"
        "assert 'pandas' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent)
