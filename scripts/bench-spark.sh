#!/usr/bin/env bash
# Spark local mode against `rhetor batch` on the same corpus, in the same run
# (issue 15's bar: Spark `local[2]` within 1.5 × batch's wall time; see
# docs/batch.md, "Spark and Dask").
#
# Usage: scripts/bench-spark.sh [ARTICLES] [MODEL] [ROUNDS]
#   ARTICLES  first N records of the generated corpus (default 3000)
#   MODEL     --model for both (default: default)
#   ROUNDS    pairs of runs; the order alternates (batch first, then Spark first)
# Needs: the release CLI and a Python with the release-built package, pyspark,
# pyarrow and pandas on PATH (PYTHON=... to choose it), and `java`:
#   python3 -m venv /tmp/sparkvenv && /tmp/sparkvenv/bin/pip install maturin pandas pyarrow pyspark
#   PATH=/tmp/sparkvenv/bin:$PATH MATURIN_PEP517_ARGS="--profile release" \
#     pip install --no-build-isolation ./python
set -euo pipefail
cd "$(dirname "$0")/.."
articles=${1:-3000}
model=${2:-default}
rounds=${3:-2}
work=${BENCH_DIR:-/tmp/rhetor-spark-bench}
python=${PYTHON:-python3}
mkdir -p "$work"
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release --bin rhetor --example gen_corpus
full="$work/corpus100000.csv"
corpus="$work/c$articles.csv"
[ -f "$corpus" ] || [ -f "$full" ] || target/release/examples/gen_corpus --articles 100000 --out "$full"
[ -f "$corpus" ] || "$python" - "$full" "$corpus" "$articles" <<'EOF'
import csv, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(src, newline="", encoding="utf-8") as f, open(dst, "w", newline="", encoding="utf-8") as g:
    r, w = csv.reader(f), csv.writer(g)
    w.writerow(next(r))
    for i, row in zip(range(n), r):
        w.writerow(row)
EOF
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores;" \
  "features: $(grep -m1 -o -w -E 'avx2|avx512f|avx512_vnni|avx_vnni' /proc/cpuinfo | sort -u | xargs)"
"$python" -c "import pyspark, pandas, pyarrow, rhetor; print('pyspark', pyspark.__version__, 'pandas', pandas.__version__, 'pyarrow', pyarrow.__version__)"
export PYSPARK_PYTHON="$(command -v "$python")"

now() { date +%s.%N; }
run_batch() {
  local t0; t0=$(now)
  target/release/rhetor batch "$corpus" --out "$work/batch" --model "$model" --threads 2 --force --quiet
  batch_s=$(echo "$(now) - $t0" | bc)
}
run_spark() {
  local t0; t0=$(now)
  spark-submit --master 'local[2]' --conf spark.ui.enabled=false examples/spark_score.py \
    "$corpus" "$work/spark" --model "$model" > "$work/spark.log" 2>&1
  spark_s=$(echo "$(now) - $t0" | bc)
}
for round in $(seq "$rounds"); do
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  if [ $((round % 2)) = 1 ]; then run_batch; run_spark; order="batch first"; else run_spark; run_batch; order="Spark first"; fi
  equal=$("$python" - "$work/spark" "$work/batch" <<'EOF'
import sys, pandas as pd
s = pd.read_parquet(sys.argv[1] + "/sentences")
text = [c for c in s.columns if not (pd.api.types.is_numeric_dtype(s[c]) or pd.api.types.is_bool_dtype(s[c]))]
b = pd.read_csv(sys.argv[2] + "/sentences.csv", dtype=dict.fromkeys(text, str), keep_default_na=False)
def plain(df):
    df = df.reset_index(drop=True).copy()
    for c in text:
        df[c] = df[c].astype(object)
    return df
try:
    pd.testing.assert_frame_equal(plain(s), plain(b), check_exact=True)
    print(f"equal ({len(s)} rows)")
except AssertionError as e:
    print("DIFFERENT: " + str(e).splitlines()[0])
EOF
)
  printf 'round %s (%s; load %s): batch %.1f s, Spark %.1f s, ratio %.2f; output %s\n' \
    "$round" "$order" "$load" "$batch_s" "$spark_s" "$(echo "$spark_s / $batch_s" | bc -l)" "$equal"
  grep "spark_score: read" "$work/spark.log" || true
done
