"""Scores a corpus with Dask (map_partitions) and the rhetor Python package; writes Parquet.

    python examples/dask_score.py data/corpus-sample.csv out/                  # a local cluster
    python examples/dask_score.py --workers 2 data/corpus-sample.csv out/
    python examples/dask_score.py --scheduler tcp://host:8786 s3://b/corpus.csv s3://b/runs/x

The Dask counterpart of examples/spark_score.py, with the same input formats,
outputs and rules (see its docstring and docs/batch.md, "Spark and Dask"):
OUTPUT/sentences/ (Parquet, `rhetor batch`'s sentences.csv columns, in input
order), OUTPUT/errors/ (record, article_id, field, reason) and OUTPUT/summary.json.

CSV and JSONL are read with rhetor batch's rules by rhetor_corpus (one file,
read by one task, then split into `--partitions` partitions); Parquet with
dask.dataframe.read_parquet. Each worker process loads the model once
(`rhetor.shared_scorer`) and scores every partition it is given with it.
Without `--scheduler`, a `dask.distributed.LocalCluster` is started with
`--workers` single-threaded worker processes (default: the number of cores).
"""

from __future__ import annotations

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rhetor_corpus as rc  # noqa: E402  (shipped to the workers with upload_file)
from rhetor_corpus import CORRUPT, ERROR, ERROR_FIELD, RECORD, TEXT  # noqa: E402


def parse(argv):
    import argparse

    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument(
        "--scheduler", help="address of a running Dask scheduler (default: a local cluster)"
    )
    pre.add_argument("--workers", type=int, help="local cluster: worker processes (default: cores)")
    known, rest = pre.parse_known_args(argv)
    args = rc.parse_args(
        "dask_score.py",
        "Scores a corpus with Dask (map_partitions) and the rhetor package; writes Parquet. "
        "Also: --scheduler ADDRESS, --workers N.",
        rest,
        threads_help="scoring threads per task (default: 1)",
    )
    args.scheduler, args.workers = known.scheduler, known.workers
    return args


def read_records(path, fmt, given):
    """The corpus as a pandas frame of working columns (RECORD, CORRUPT, __c0 …), the
    column names and their roles."""
    import fsspec
    import pandas as pd

    def open_file(p, mode, **kw):
        return fsspec.open(p, mode, compression="infer", **kw).open()

    if fmt == "csv":
        names, rows = rc.read_csv_records(path, open_file)
        roles, carried = rc.map_columns(names, given)
    else:
        names, raw = rc.read_jsonl_records(path, open_file)
        roles, carried = rc.map_columns(names, given)
        rows = rc.jsonl_rows(names, raw, roles["text"])
    frame = pd.DataFrame(rows, columns=[RECORD, CORRUPT, *[f"__c{i}" for i in range(len(names))]])
    frame[RECORD] = frame[RECORD].astype("int64")
    return frame, names, roles, carried


def corpus_frame(frame, names, roles, carried, carried_names):
    """Working columns → the columns score_partition expects."""
    import pandas as pd

    def column(i):
        if i is None:
            return pd.Series([""] * len(frame), index=frame.index, dtype=object)
        return frame[f"__c{i}"].fillna("").astype(object)

    ids = column(roles["id"])
    blank = ids.str.strip() == ""
    ids = ids.where(~blank, frame[RECORD].astype(str))
    out = pd.DataFrame({RECORD: frame[RECORD], "article_id": ids})
    for r in ("outlet", "date", "title"):
        out[r] = column(roles[r])
    for i, n in zip(carried, carried_names):
        out[n] = column(i)
    out[TEXT] = column(roles["text"])
    out[CORRUPT] = frame[CORRUPT].fillna("").astype(object) if CORRUPT in frame else ""
    return out


def main(argv=None):
    args = parse(argv if argv is not None else sys.argv[1:])
    import dask
    import dask.dataframe as dd
    import pandas as pd
    from dask.distributed import Client, LocalCluster

    import rhetor

    t0 = time.time()
    if args.scheduler:
        client = Client(args.scheduler)
        cluster = None
    else:
        cluster = LocalCluster(
            n_workers=args.workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    client.upload_file(rc.__file__)  # the workers import rhetor_corpus from here
    fmt = rc.input_format(args.input, args.format)
    given = {role: getattr(args, f"{role}_col") for role in rc.ROLE_NAMES}
    sentence_columns = rhetor.Scorer("cues").columns  # the same for every model
    workers = len(client.scheduler_info()["workers"]) or 1
    partitions = args.partitions or 2 * workers
    try:
        if fmt == "parquet":
            ddf = dd.read_parquet(args.input)
            names = list(ddf.columns)
            roles, carried = rc.map_columns(names, given)
            lengths = ddf.map_partitions(len).compute().tolist()
            offsets = [sum(lengths[:i]) for i in range(len(lengths))]
            as_text = lambda pdf, offset: parquet_records(pdf, names, offset)  # noqa: E731
            parts = [
                dask.delayed(as_text)(ddf.get_partition(i), offsets[i])
                for i in range(ddf.npartitions)
            ]
            frame = None
            records = sum(lengths)
        else:
            frame, names, roles, carried = read_records(args.input, fmt, given)
            records = len(frame)
    except (rc.CorpusError, OSError) as e:
        sys.exit(f"dask_score: {args.input}: {e}")
    carried_names = rc.carried_output_names(names, carried, sentence_columns)
    keep = ["outlet", "date", "title", *carried_names]
    text_field = names[roles["text"]]
    if frame is not None:
        corpus = corpus_frame(frame, names, roles, carried, carried_names)
        ddf = dd.from_pandas(corpus, npartitions=max(1, min(partitions, len(corpus))), sort=False)
    else:
        meta = corpus_frame(
            parquet_records(
                pd.DataFrame({n: pd.Series([], dtype=object) for n in names}), names, 0
            ),
            names,
            roles,
            carried,
            carried_names,
        )
        convert = lambda f: corpus_frame(f, names, roles, carried, carried_names)  # noqa: E731
        ddf = dd.from_delayed([dask.delayed(convert)(p) for p in parts], meta=meta)
        ddf = ddf.repartition(npartitions=partitions)
    meta = rc.empty_frame(rc.scored_columns(keep, sentence_columns), keep)
    threads = args.threads or 1
    scored = ddf.map_partitions(
        rc.score_partition,
        args.model,
        threads,
        args.max_article_bytes,
        keep,
        text_field,
        args.allow_fallback,
        meta=meta,
        align_dataframes=False,
    )
    scored = scored.persist()
    out = args.output.rstrip("/")
    failed = scored[ERROR] != ""
    columns = ["article_id", *keep, *sentence_columns[1:]]
    sentences = scored[~failed][columns]
    errors = scored[failed][[RECORD, "article_id", ERROR_FIELD, ERROR]].rename(
        columns={RECORD: "record", ERROR_FIELD: "field", ERROR: "reason"}
    )
    import pyarrow as pa

    types = {"int": pa.int64(), "bool": pa.bool_(), "str": pa.string(), "float": pa.float64()}
    schema = pa.schema([(c, types[rc.column_kind(c, keep)]) for c in columns])
    error_schema = pa.schema(
        [
            ("record", pa.int64()),
            ("article_id", pa.string()),
            ("field", pa.string()),
            ("reason", pa.string()),
        ]
    )
    parquet = dict(
        write_index=False, overwrite=True, name_function=lambda i: f"part-{i:05d}.parquet"
    )
    sentences.to_parquet(f"{out}/sentences", schema=schema, **parquet)
    errors.repartition(npartitions=1).to_parquet(f"{out}/errors", schema=error_schema, **parquet)
    done = scored[[RECORD, ERROR]].compute()  # two small columns, to count on the client
    ok = done[ERROR] == ""
    counts = (done[RECORD][ok].nunique(), int(ok.sum()), int((~ok).sum()))
    summary = {
        "input": args.input,
        "format": fmt,
        "model": args.model,
        "records_read": int(records),
        "articles_scored": int(counts[0]),
        "errors": int(counts[2]),
        "sentences": int(counts[1]),
        "partitions": ddf.npartitions,
        "threads_per_task": threads,
        "elapsed_s": round(time.time() - t0, 3),
    }
    summary["lossless"] = summary["records_read"] == summary["articles_scored"] + summary["errors"]
    import fsspec

    with fsspec.open(f"{out}/summary.json", "w") as f:
        f.write(json.dumps(summary, indent=2) + "\n")
    print(
        f"dask_score: read {records} records: {summary['articles_scored']} scored, "
        f"{summary['errors']} errors → {out} ({summary['elapsed_s']} s)",
        file=sys.stderr,
    )
    client.close()
    if cluster is not None:
        cluster.close()
    if not summary["lossless"]:
        print("dask_score: error: records are missing from both outputs", file=sys.stderr)
        return 1
    return 0


def parquet_records(pdf, names, offset):
    """A Parquet partition as working columns: values as text (nested ones as JSON)."""
    import pandas as pd

    def text(v):
        if v is None or (not isinstance(v, (list, dict, str)) and pd.isna(v)):
            return ""
        if isinstance(v, str):
            return v
        if isinstance(v, (list, dict)):
            return json.dumps(v, ensure_ascii=False, separators=(",", ":"))
        return str(v)

    out = pd.DataFrame({RECORD: pd.Series(range(offset + 1, offset + len(pdf) + 1), dtype="int64")})
    out[CORRUPT] = ""
    for i, n in enumerate(names):
        out[f"__c{i}"] = [text(v) for v in pdf[n].tolist()]
    return out


if __name__ == "__main__":
    sys.exit(main())
