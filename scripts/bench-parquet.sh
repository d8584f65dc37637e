#!/usr/bin/env bash
# CSV vs Parquet output of `rhetor batch` (see docs/batch.md, "Parquet"):
# wall time, CPU time, peak memory and table sizes on the generated corpus.
# Usage: scripts/bench-parquet.sh [ARTICLES] [THREADS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
articles=${1:-100000}
threads=${2:-2}
rounds=${3:-2}
work=${BENCH_DIR:-/tmp/rhetor-parquet-bench}
mkdir -p "$work"
cargo build --release --bin rhetor --example gen_corpus
corpus="$work/corpus$articles.csv"
[ -f "$corpus" ] || target/release/examples/gen_corpus --articles "$articles" --out "$corpus"
ls -l "$corpus"
for round in $(seq "$rounds"); do
  for format in csv parquet; do
    out="$work/run-$format"
    /usr/bin/time -v target/release/rhetor batch "$corpus" --out "$out" --model cues \
      --threads "$threads" --force --quiet --format "$format" 2> "$work/time-$format-$round.log" || true
    echo "== $format (round $round)"
    grep -E "Elapsed|Maximum resident|User time|System time|Percent of CPU" "$work/time-$format-$round.log"
    ls -l "$out"/sentences.* "$out"/articles.* "$out"/errors.*
  done
done
uptime
