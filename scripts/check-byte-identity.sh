#!/usr/bin/env bash
# Byte identity of the shipped models' outputs between two rhetor binaries
# (docs/design/codebook.md, "Byte identity"): score (csv, jsonl, json,
# table, html; parquet for cues and default) on
# data/examples/* and five PTC dev articles (--lines), batch on
# data/corpus-sample.csv (every table; summary.json without timings), and
# eval on PTC dev (cue model and the default model).
#
#   scripts/check-byte-identity.sh BEFORE_BIN AFTER_BIN [WORK_DIR]
#
# A BEFORE_BIN built in another checkout looks for the shipped models there
# (its compile-time CARGO_MANIFEST_DIR) and silently falls back to the cue
# model when that checkout is gone: run with RHETOR_MODELS_DIR=$PWD/models
# RHETOR_BASE_DIR=$PWD/models/base exported, so both binaries read the same files.
# Outputs of BEFORE_BIN are cached in WORK_DIR/before (delete it to redo
# them; AFTER_BIN `-` only makes that cache). Exits 1 and prints the diffs when any output differs.
set -euo pipefail
before_bin=${1:?usage: $0 BEFORE_BIN AFTER_BIN [WORK_DIR]}
after_bin=${2:?usage: $0 BEFORE_BIN AFTER_BIN [WORK_DIR]}
work=${3:-/tmp/rhetor-byte-identity}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
ptc=${PTC_DEV:-$root/../shared/ptc/dev}
mapfile -t ptc_articles < <(ls "$ptc"/article*.txt | sort | head -5)
# `default` is models/rhetor-minilm-spans.
models=(cues baseline default models/rhetor-minilm)

run_all() {
  local bin=$1 out=$2
  mkdir -p "$out"
  for model in "${models[@]}"; do
    local tag=${model//\//_}
    for format in csv jsonl json table html; do
      "$bin" score --model "$model" --format "$format" data/examples/*.txt >"$out/score-$tag-examples.$format"
      "$bin" score --model "$model" --format "$format" --lines "${ptc_articles[@]}" >"$out/score-$tag-ptc.$format"
    done
  done
  for model in cues default; do
    "$bin" score --model "$model" --format parquet --out "$out/score-$model-examples.parquet" data/examples/*.txt
  done
  for model in cues default; do
    local b=$out/batch-$model
    rm -rf "$b"
    "$bin" batch --model "$model" --out "$b" data/corpus-sample.csv >/dev/null 2>&1
    # Timings and the run's own paths change from run to run.
    jq 'del(.timings)' "$b/summary.json" >"$b/summary.json.stable"
    rm "$b/summary.json"
  done
  for model in cues default; do
    local e=$out/eval-$model
    rm -rf "$e"
    "$bin" eval --model "$model" --gold "$ptc" --resamples 200 --out "$e" >"$out/eval-$model.stdout"
    # The command line (binary and --out paths) differs between the runs.
    jq 'del(.command)' "$e/metrics.json" >"$e/metrics.json.stable" && rm "$e/metrics.json"
    sed -i '/^- command: /d' "$e/report.md"
  done
}

if [ ! -d "$work/before" ]; then
  run_all "$before_bin" "$work/before.tmp" && mv "$work/before.tmp" "$work/before"
fi
[ "$after_bin" = - ] && exit 0  # only cache the BEFORE outputs
rm -rf "$work/after"
run_all "$after_bin" "$work/after"
if diff -r "$work/before" "$work/after"; then
  echo "byte identity: OK ($(find "$work/after" -type f | wc -l) files identical)"
else
  echo "byte identity: FAILED (diff above)" >&2
  exit 1
fi
