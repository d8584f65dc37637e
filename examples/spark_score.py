"""Scores a corpus with Spark and the rhetor Python package; writes Parquet.

    spark-submit --master 'local[2]' examples/spark_score.py data/corpus-sample.csv out/
    spark-submit --master yarn ... examples/spark_score.py hdfs:///corpus.csv hdfs:///runs/x

INPUT is a CSV (RFC 4180: a header, quoted fields may hold commas, quotes and
newlines), JSONL or Parquet file (the format comes from the name; `--format`
overrides). OUTPUT (a folder, local or on the cluster's storage) receives

    OUTPUT/sentences/   Parquet, one row per sentence: the columns and values of
                        `rhetor batch`'s sentences.csv (article_id, outlet, date,
                        title, the carried input columns, sentence_index, …, cues),
                        in input order
    OUTPUT/errors/      Parquet, one row per input record that was not scored:
                        record (1-based), article_id, field, reason
    OUTPUT/summary.json counts: records_read = articles_scored + errors

Columns are found as `rhetor batch` finds them (id, text, outlet, date, title
by name, case-insensitively, or `--id-col` … `--text-col`); every other column
is carried onto the sentence rows. Articles are scored on the executors inside
`mapInPandas`, each executor's Python worker loading the model once
(`rhetor.shared_scorer`) and reusing it for every partition it scores.

The executors need the `rhetor` package (a compiled extension: ship a packed
virtualenv with `spark.archives`, or pip-install the wheel on every node) and,
for the transformer model, the model folder (`RHETOR_MODELS_DIR`); see
docs/batch.md, "Spark and Dask".
"""

from __future__ import annotations

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rhetor_corpus as rc  # noqa: E402  (shipped to the executors with addPyFile)
from rhetor_corpus import CORRUPT, ERROR, ERROR_FIELD, RECORD, TEXT  # noqa: E402

# ---- on the driver ----------------------------------------------------------------------


def read_corpus(spark, path, fmt):
    """The input as string columns `__c0`, `__c1`, … (in the input's order) plus the
    corrupt-record column; and the input's column names."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    def positional(df, names, corrupt):
        cols = []
        for i, n in enumerate(names):
            if n not in df.columns:
                cols.append(F.lit(None).cast("string").alias(f"__c{i}"))
                continue
            c, t = F.col(f"`{n}`"), df.schema[n].dataType
            if isinstance(t, (T.StructType, T.ArrayType, T.MapType)):
                c = F.to_json(c)
            elif not isinstance(t, T.StringType):
                c = c.cast("string")
            cols.append(c.alias(f"__c{i}"))
        return df.select(*cols, corrupt.alias(CORRUPT))

    if fmt == "csv":
        options = dict(header=True, multiLine=True, quote='"', escape='"', encoding="UTF-8")
        names = [n.lstrip("\ufeff") for n in spark.read.options(**options).csv(path).columns]
        # An explicit schema (all strings) is matched to the fields by position.
        schema = T.StructType(
            [T.StructField(f"__c{i}", T.StringType()) for i in range(len(names))]
            + [T.StructField(CORRUPT, T.StringType())]
        )
        df = (
            spark.read.options(**options, mode="PERMISSIVE", columnNameOfCorruptRecord=CORRUPT)
            .schema(schema)
            .csv(path)
        )
        return df, names
    if fmt == "jsonl":
        df = spark.read.json(
            path, primitivesAsString=True, mode="PERMISSIVE", columnNameOfCorruptRecord=CORRUPT
        )
        # `rhetor batch`'s columns are the keys of the first valid object, in its order.
        names = None
        for row in spark.read.text(path).limit(1000).collect():
            try:
                obj = json.loads(row.value)
            except ValueError:
                continue
            if isinstance(obj, dict):
                names = list(obj.keys())
                break
        if names is None:
            sys.exit(f"spark_score: no JSON object in the first 1000 lines of {path}")
        corrupt = F.col(CORRUPT) if CORRUPT in df.columns else F.lit(None).cast("string")
        return positional(df, names, corrupt), names
    df = spark.read.parquet(path)
    return positional(df, df.columns, F.lit(None).cast("string")), df.columns


def number_records(df):
    """Adds RECORD: 1-based, in the order Spark reads the input (partition by
    partition). Returns the frame and the number of records, or `None` when the
    input is one partition (a CSV file, always: multi-line CSV cannot be split):
    then RECORD is the position in it and needs no counting job; the records are
    counted with the final counts instead (`count_records`)."""
    from pyspark.sql import functions as F

    if df.rdd.getNumPartitions() == 1:
        # monotonically_increasing_id = (partition << 33) + position in the partition.
        return df.withColumn(RECORD, F.monotonically_increasing_id() + 1), None
    df = df.withColumn("__pid", F.spark_partition_id()).withColumn(
        "__mid", F.monotonically_increasing_id()
    )
    counts = dict(df.groupBy("__pid").count().collect())
    offsets, total = {}, 0
    for pid in sorted(counts):
        offsets[pid] = total
        total += counts[pid]
    offset = (
        F.create_map(*[x for p, o in offsets.items() for x in (F.lit(p), F.lit(o))])
        if offsets
        else None
    )
    position = F.col("__mid") - F.shiftleft(F.col("__pid").cast("long"), 33)
    record = (
        (F.element_at(offset, F.col("__pid")) if offset is not None else F.lit(0)) + position + 1
    )
    return df.withColumn(RECORD, record.cast("long")).drop("__pid", "__mid"), total


def main(argv=None):
    args = rc.parse_args(
        "spark_score.py",
        "Scores a corpus with Spark (mapInPandas) and the rhetor package; writes Parquet.",
        argv,
        threads_help="scoring threads per task (default: spark.task.cpus)",
    )
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    import rhetor

    t0 = time.time()
    spark = SparkSession.builder.appName("rhetor-score").getOrCreate()
    sc = spark.sparkContext
    if not sc.getConf().contains("spark.log.level"):
        sc.setLogLevel("WARN")
    sc.addPyFile(rc.__file__)  # the executors import rhetor_corpus from here
    fmt = rc.input_format(args.input, args.format)
    raw, names = read_corpus(spark, args.input, fmt)
    given = {role: getattr(args, f"{role}_col") for role in rc.ROLE_NAMES}
    try:
        roles, carried = rc.map_columns(names, given)
    except rc.CorpusError as e:
        sys.exit(f"spark_score: {args.input}: {e}")
    sentence_columns = rhetor.Scorer("cues").columns  # the same for every model
    carried_names = rc.carried_output_names(names, carried, sentence_columns)

    numbered, records = number_records(raw)

    def column(i):
        return F.coalesce(F.col(f"__c{i}"), F.lit("")) if i is not None else F.lit("")

    article_id = F.when(F.trim(column(roles["id"])) == "", F.col(RECORD).cast("string"))
    corpus = numbered.select(
        F.col(RECORD),
        article_id.otherwise(column(roles["id"])).alias("article_id"),
        *[column(roles[r]).alias(r) for r in ("outlet", "date", "title")],
        *[column(i).alias(n) for i, n in zip(carried, carried_names)],
        column(roles["text"]).alias(TEXT),
        F.when(F.col(CORRUPT).isNotNull(), F.lit(CSV_CORRUPT if fmt == "csv" else JSON_CORRUPT))
        .otherwise(F.lit(""))
        .alias(CORRUPT),
    )

    keep = ["outlet", "date", "title", *carried_names]
    columns = ["article_id", *keep, *sentence_columns[1:]]
    types = {
        "int": T.LongType(),
        "bool": T.BooleanType(),
        "str": T.StringType(),
        "float": T.DoubleType(),
    }
    schema = T.StructType(
        [
            T.StructField(c, types[rc.column_kind(c, keep)])
            for c in rc.scored_columns(keep, sentence_columns)
        ]
    )

    threads = args.threads or int(sc.getConf().get("spark.task.cpus", "1"))
    # 4 per core: the tasks' lengths differ, and with smaller tasks the last
    # ones leave a core idle for less time (2 per core cost ~2 s of 50 here).
    partitions = args.partitions or max(1, 4 * sc.defaultParallelism)
    model, max_bytes, allow = args.model, args.max_article_bytes, args.allow_fallback
    text_field = names[roles["text"]]

    def score(batches):  # on the executors
        import rhetor_corpus

        for pdf in batches:
            yield rhetor_corpus.score_partition(
                pdf, model, threads, max_bytes, keep, text_field, allow
            )

    scored = (
        corpus.repartitionByRange(partitions, RECORD)
        .sortWithinPartitions(RECORD)
        .mapInPandas(score, schema)
        .persist()
    )
    out = args.output.rstrip("/")
    failed = F.col(ERROR) != ""
    scored.filter(~failed).select(*columns).write.mode("overwrite").parquet(f"{out}/sentences")
    errors = scored.filter(failed).select(
        F.col(RECORD).alias("record"),
        "article_id",
        F.col(ERROR_FIELD).alias("field"),
        F.col(ERROR).alias("reason"),
    )
    errors.coalesce(1).write.mode("overwrite").parquet(f"{out}/errors")
    counts = scored.agg(
        F.countDistinct(F.when(~failed, F.col(RECORD))).alias("articles"),
        F.sum(F.when(~failed, 1).otherwise(0)).alias("sentences"),
        F.sum(F.when(failed, 1).otherwise(0)).alias("errors"),
    )
    if records is None:
        # The input's own count (not the scored rows'), in the same job.
        counts = counts.crossJoin(raw.agg(F.count(F.lit(1)).alias("records")))
    counts = counts.first()
    if records is None:
        records = int(counts["records"])
    scored.unpersist()
    summary = {
        "input": args.input,
        "format": fmt,
        "model": model,
        "records_read": records,
        "articles_scored": int(counts["articles"] or 0),
        "errors": int(counts["errors"] or 0),
        "sentences": int(counts["sentences"] or 0),
        "partitions": partitions,
        "threads_per_task": threads,
        "elapsed_s": round(time.time() - t0, 3),
    }
    summary["lossless"] = summary["records_read"] == summary["articles_scored"] + summary["errors"]
    write_text(spark, f"{out}/summary.json", json.dumps(summary, indent=2) + "\n")
    print(
        f"spark_score: read {records} records: {summary['articles_scored']} scored, "
        f"{summary['errors']} errors → {out} ({summary['elapsed_s']} s)",
        file=sys.stderr,
    )
    spark.stop()
    if not summary["lossless"]:
        print("spark_score: error: records are missing from both outputs", file=sys.stderr)
        return 1
    return 0


CSV_CORRUPT = "malformed record (Spark's CSV parser: wrong number of fields or bad quoting)"
JSON_CORRUPT = "not a valid JSON object (Spark's JSON parser)"


def write_text(spark, path, text):
    """Writes a small text file on any Hadoop file system (local, HDFS, S3, …)."""
    jvm = spark.sparkContext._jvm
    hpath = jvm.org.apache.hadoop.fs.Path(path)
    fs = hpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    stream = fs.create(hpath, True)
    stream.write(bytearray(text.encode("utf-8")))
    stream.close()


if __name__ == "__main__":
    sys.exit(main())
