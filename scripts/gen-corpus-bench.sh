#!/usr/bin/env bash
# Batch throughput / memory benchmark for `rhetor batch` (see docs/performance-batch.md).
# Usage: scripts/gen-corpus-bench.sh [ARTICLES] [THREADS...]
# Generates a synthetic news-like corpus (examples/gen_corpus.rs), then runs the
# release binary under /usr/bin/time -v with the cue model for each thread count.
set -euo pipefail
cd "$(dirname "$0")/.."
articles=${1:-100000}
shift || true
threads=("${@:-2}")
work=${BENCH_DIR:-/tmp/rhetor-batch-bench}
mkdir -p "$work"
cargo build --release --bin rhetor --example gen_corpus
corpus="$work/corpus$articles.csv"
[ -f "$corpus" ] || target/release/examples/gen_corpus --articles "$articles" --out "$corpus"
ls -l "$corpus"
for t in "${threads[@]}"; do
  out="$work/run-t$t"
  /usr/bin/time -v target/release/rhetor batch "$corpus" --out "$out" --model cues --threads "$t" --force \
    2> "$work/time-t$t.log" || true
  echo "== threads $t"
  grep -E "rhetor: read|Elapsed|Maximum resident|User time|System time|Percent of CPU" "$work/time-t$t.log"
  grep -E '"(elapsed_s|articles_per_s|sentences_per_s|sentences)"' "$out/summary.json"
done
