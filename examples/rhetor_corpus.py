"""What examples/spark_score.py and examples/dask_score.py share: the corpus
conventions of `rhetor batch` (column roles, carried columns, article ids, what
counts as an error) and the scoring of one partition with the rhetor package.

The scripts ship this file to their workers (Spark: `SparkContext.addPyFile`;
Dask: `Client.upload_file`), so it needs nothing on them but rhetor and pandas.
"""

from __future__ import annotations

import argparse
import csv
import json

# Column roles and the names tried for each, in order, case-insensitively, as
# `rhetor batch` does (src/io/corpus/columns.rs).
ROLE_NAMES = {
    "id": ["id", "article_id", "doc_id", "stories_id"],
    "text": ["text", "body", "content", "article"],
    "outlet": ["outlet", "source", "media", "media_name", "publisher"],
    "date": ["date", "publish_date", "published", "timestamp"],
    "title": ["title", "headline"],
}
# The leading output columns (then the carried ones, then the sentence columns).
KEY_COLUMNS = ["article_id", "outlet", "date", "title"]
# Working columns, not in the output.
RECORD = "__rhetor_record"  # 1-based record number, in input order
TEXT = "__rhetor_text"
CORRUPT = "__rhetor_corrupt"  # why the reader could not read the record ("" when it could)
ERROR_FIELD = "__rhetor_error_field"
ERROR = "__rhetor_error"
DEFAULT_MAX_ARTICLE_BYTES = 1048576  # rhetor batch --max-article-bytes


class CorpusError(Exception):
    """A problem that stops the run before scoring (no text column, …)."""


def parse_args(prog, description, argv=None, threads_help="scoring threads per task"):
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("input", help="a .csv, .jsonl (.ndjson) or .parquet file")
    p.add_argument("output", help="output folder: sentences/, errors/ (Parquet), summary.json")
    p.add_argument(
        "--format",
        choices=["csv", "jsonl", "parquet"],
        help="input format (default: from the name)",
    )
    p.add_argument(
        "--model", default="default", help="default (transformer), cues, baseline or a model folder"
    )
    p.add_argument("--threads", type=int, help=threads_help)
    p.add_argument("--partitions", type=int, help="number of scoring partitions")
    p.add_argument(
        "--max-article-bytes",
        type=int,
        default=DEFAULT_MAX_ARTICLE_BYTES,
        help="longer texts are errors, as in rhetor batch (default 1048576)",
    )
    p.add_argument(
        "--allow-fallback",
        action="store_true",
        help="accept the cue model where the default model's base weights are missing (else an error)",
    )
    for role in ROLE_NAMES:
        p.add_argument(
            f"--{role}-col", metavar="NAME", help=f"the {role} column (default: found by name)"
        )
    return p.parse_args(argv)


def input_format(path, given=None):
    if given:
        return given
    name = str(path).rstrip("/").lower()
    for ext in (".gz", ".bz2", ".zst", ".xz"):
        if name.endswith(ext):
            name = name[: -len(ext)]
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    return "csv"


def _find(names, candidates):
    for c in candidates:
        for i, n in enumerate(names):
            if n.strip().lower() == c.strip().lower():
                return i
    return None


def map_columns(names, given):
    """Each role's column position (or None) and the positions of the carried columns."""
    roles = {}
    for role, candidates in ROLE_NAMES.items():
        name = given.get(role)
        if name is not None:
            roles[role] = _find(names, [name])
            if roles[role] is None:
                raise CorpusError(
                    f"no column `{name}` for the {role} (columns: {', '.join(names)})"
                )
        else:
            roles[role] = _find(names, candidates)
    if roles["text"] is None:
        raise CorpusError(
            f"no text column found (looked for {', '.join(ROLE_NAMES['text'])}; "
            f"columns: {', '.join(names)}); name it with --text-col"
        )
    mapped = {i for i in roles.values() if i is not None}
    return roles, [i for i in range(len(names)) if i not in mapped]


def carried_output_names(names, carried, sentence_columns):
    """Output names of the carried columns, as `rhetor batch` names them: `input_`
    before a name that clashes (case-insensitively) with an output column of
    sentences.csv, articles.csv or errors.csv; `column_N` for an empty name."""
    devices = sentence_columns[11:-1]  # between `flagged` and `cues`
    taken = [*KEY_COLUMNS, *sentence_columns, *KEY_COLUMNS]
    taken += ["sentences", "framing_sentences", "framing_rate", "framing_mean", "framing_max"]
    taken += [f"{d}_count" for d in devices]
    taken += ["record", "line", "article_id", "field", "reason"]
    taken = [t.lower() for t in taken]
    out = []
    for i in carried:
        candidate = names[i] if names[i].strip() else f"column_{i + 1}"
        while candidate.lower() in taken:
            candidate = f"input_{candidate}"
        taken.append(candidate.lower())
        out.append(candidate)
    return out


INT_COLUMNS = (RECORD, "sentence_index", "paragraph", "start", "end", "byte_start", "byte_end")
STR_COLUMNS = ("article_id", "text", "flagged", "cues", "spans", ERROR_FIELD, ERROR)


def column_kind(column, keep):
    """`int`, `bool`, `str` or `float`: the type of a column of the scored frames."""
    if column in INT_COLUMNS:
        return "int"
    if column == "attributed":
        return "bool"
    if column in STR_COLUMNS or column in keep:
        return "str"
    return "float"


def scored_columns(keep, sentence_columns):
    """The columns of the frames `score_partition` returns."""
    return [RECORD, "article_id", *keep, *sentence_columns[1:], ERROR_FIELD, ERROR]


# ---- on the workers ---------------------------------------------------------------------


def load_scorer(model, threads, allow_fallback):
    """This worker process's scorer, loaded on the first call (`rhetor.shared_scorer`)."""
    import rhetor

    scorer = rhetor.shared_scorer(model, threads)
    if scorer.warnings and not allow_fallback:
        raise RuntimeError(
            f"rhetor model `{model}` on this worker: {'; '.join(scorer.warnings)} "
            "(ship the models folder and set RHETOR_MODELS_DIR / RHETOR_BASE_DIR, "
            "or pass --allow-fallback to accept the cue model)"
        )
    return scorer


def score_partition(pdf, model, threads, max_bytes, keep, text_field, allow_fallback):
    """Scores a pandas frame of articles (the columns RECORD, article_id, *keep,
    TEXT, CORRUPT) and returns one frame: the sentence rows (ERROR empty), then
    one row per article that was not scored (ERROR says why; the sentence
    columns hold placeholders)."""
    import pandas as pd

    scorer = load_scorer(model, threads, allow_fallback)
    columns = scored_columns(keep, scorer.columns)
    frames = list(score_frames(scorer, pdf, columns, max_bytes, keep, text_field))
    if not frames:
        return empty_frame(columns, keep)
    out = pd.concat(frames, ignore_index=True)[columns]
    # Text as plain Python strings: pandas 3's Arrow-backed strings reach PySpark as
    # chunked arrays, which it cannot convert (PySpark 4.x with pandas 3).
    text = [c for c in columns if column_kind(c, keep) == "str"]
    return out.astype(dict.fromkeys(text, object))


def empty_frame(columns, keep):
    import pandas as pd

    dtypes = {"int": "int64", "bool": "bool", "str": object, "float": "float64"}
    return pd.DataFrame({c: pd.Series([], dtype=dtypes[column_kind(c, keep)]) for c in columns})


def score_frames(scorer, pdf, columns, max_bytes, keep, text_field):
    """Yields the sentence rows and the error rows of one batch (two frames)."""
    import pandas as pd

    import rhetor

    pdf = pdf.reset_index(drop=True)
    texts = pdf[TEXT].fillna("").tolist()
    corrupt = pdf[CORRUPT].fillna("").tolist() if CORRUPT in pdf else [""] * len(pdf)
    error, field = [""] * len(pdf), [""] * len(pdf)
    # The checks of rhetor batch's reader (src/io/corpus/extract.rs).
    for i, text in enumerate(texts):
        if corrupt[i]:
            error[i] = corrupt[i]
        elif not text.strip():
            error[i], field[i] = "empty text", text_field
        elif len(text.encode("utf-8")) > max_bytes:
            size = len(text.encode("utf-8"))
            error[i] = f"text is {size} bytes, over the --max-article-bytes limit of {max_bytes}"
            field[i] = text_field
    ok = pdf[[not e for e in error]]
    parts = []
    if len(ok):
        try:
            parts.append(_score(scorer, ok, keep))
        except rhetor.RhetorError:
            # Find the article(s) that failed: score them one by one.
            for i in ok.index:
                try:
                    parts.append(_score(scorer, ok.loc[[i]], keep))
                except rhetor.RhetorError as e:
                    error[i] = f"scoring failed: {e}"
    scored = set()
    for part in parts:
        scored.update(part[RECORD].tolist())
    records = pdf[RECORD].tolist()
    for i in ok.index:
        if not error[i] and records[i] not in scored:
            error[i] = "no sentence found in the text"
    if parts:
        sentences = pd.concat(parts, ignore_index=True)
        sentences[ERROR_FIELD] = ""
        sentences[ERROR] = ""
        yield sentences[columns]
    bad = [i for i, e in enumerate(error) if e]
    if bad:
        placeholder = {"int": 0, "bool": False, "str": "", "float": 0.0}
        errors = {c: [placeholder[column_kind(c, keep)]] * len(bad) for c in columns}
        errors[RECORD] = [int(records[i]) for i in bad]
        # A record the reader could not read has no id (as in batch's errors.csv).
        errors["article_id"] = ["" if corrupt[i] else str(pdf["article_id"][i]) for i in bad]
        errors[ERROR_FIELD] = [field[i] for i in bad]
        errors[ERROR] = [error[i] for i in bad]
        yield pd.DataFrame(errors, columns=columns)


def _score(scorer, articles, keep):
    frame = scorer.score_frame(
        articles, text=TEXT, id="article_id", keep=[RECORD, *keep], title="title"
    )
    # score_frame puts the kept columns after article_id: the record goes first.
    return frame[[RECORD, *[c for c in frame.columns if c != RECORD]]]


# ---- readers with rhetor batch's rules (used by the Dask example) ----------------------


def read_csv_records(path, open_file=open):
    """A CSV corpus as (column names, rows): each row is [record, corrupt, *fields].

    RFC 4180 as rhetor batch reads it: a header, quoted fields with commas,
    doubled quotes and newlines (kept as they are, CR LF included), blank lines
    are not records, a UTF-8 byte-order mark is ignored. A record with the wrong
    number of fields is kept with the reason in `corrupt`."""
    with open_file(path, "r", encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f, strict=False)
        names = next(reader, None)
        if names is None:
            raise CorpusError(f"{path}: empty input (no header row)")
        rows, record = [], 0
        for fields in reader:
            if not fields:  # a blank line
                continue
            record += 1
            if len(fields) != len(names):
                problem = f"wrong number of fields: {len(fields)} (the header has {len(names)})"
                rows.append([record, problem, *([""] * len(names))])
            else:
                rows.append([record, "", *fields])
    return names, rows


def read_jsonl_records(path, open_file=open):
    """A JSONL corpus as (column names, rows) with rhetor batch's rules: the columns
    are the keys of the first valid object; strings as they are, other values as
    JSON text, null and missing keys empty; blank lines are not records; a line
    that is not a JSON object, or a text that is not a string, is an error."""
    rows, raw, names, record = [], [], None, 0
    with open_file(path, "r", encoding="utf-8-sig") as f:
        for line in f:
            if not line.strip():
                continue
            record += 1
            try:
                value = json.loads(line)
            except ValueError as e:
                raw.append((record, f"not valid JSON: {e}", None))
                continue
            if not isinstance(value, dict):
                raw.append((record, "not a JSON object (expected one object per line)", None))
                continue
            if names is None:
                names = list(value.keys())
            raw.append((record, "", value))
    if names is None:
        raise CorpusError(f"{path}: no JSON object found")
    return names, raw


def jsonl_rows(names, raw, text_index):
    kinds = {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        list: "an array",
        dict: "an object",
    }
    rows = []
    for record, problem, value in raw:
        if value is None:
            rows.append([record, problem, *([""] * len(names))])
            continue
        fields = []
        for i, n in enumerate(names):
            v = value.get(n)
            if v is None:
                fields.append("")
            elif isinstance(v, str):
                fields.append(v)
            elif i == text_index:
                problem = f"expected a string, found {kinds.get(type(v), 'a value')}"
                fields.append("")
            else:
                fields.append(json.dumps(v, ensure_ascii=False, separators=(",", ":")))
        rows.append([record, problem, *fields])
    return rows
