#!/usr/bin/env bash
# Throughput / memory bench of the transformer scorer vs the Python reference,
# same sentences, same base model, same machine, run back to back.
#
#   scripts/bench-transformer.sh [N_SENTENCES] [MODEL]
#
# Sentences: the first N non-empty lines of ../shared/ptc/dev then ../shared/ptc/train
# (read at bench time, written only under bench-out/, which is git-ignored), or
# generated sentences when ../shared is absent. rhetor: `rhetor score --lines`
# over articles of 40 lines (whole pipeline, CSV to /dev/null). Python:
# scripts/bench_python.py in $BENCH_VENV (default /tmp/benchvenv; create it with
#   python3 -m venv /tmp/benchvenv && /tmp/benchvenv/bin/pip install torch sentence-transformers).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
N="${1:-10000}"
MODEL="${2:-models/rhetor-minilm}"
VENV="${BENCH_VENV:-/tmp/benchvenv}"
OUT="$ROOT/bench-out/transformer"
rm -rf "$OUT"; mkdir -p "$OUT/articles"

[ "${BENCH_NO_BUILD:-0}" = 1 ] || cargo build --release --quiet
scripts/setup-model.sh >/dev/null

python3 - "$N" "$OUT" <<'PY'
import sys, os, glob, random
n, out = int(sys.argv[1]), sys.argv[2]
lines = []
for split in ["../shared/ptc/dev", "../shared/ptc/train"]:
    for f in sorted(glob.glob(os.path.join(split, "*.txt"))):
        with open(f, encoding="utf-8") as fh:
            lines += [l.strip() for l in fh if l.strip()]
        if len(lines) >= n:
            break
    if len(lines) >= n:
        break
if len(lines) < n:  # no ../shared: generated news-like sentences
    rnd = random.Random(1)
    subj = ["The minister", "Officials", "The company", "Protesters", "The court", "Analysts", "The senator"]
    verb = ["said", "denied", "announced", "warned", "claimed", "insisted", "reported"]
    obj = ["that the plan would fail", "a new inquiry on Monday", "record profits this quarter",
           "that the so-called reform is a disaster", "the talks had collapsed", "higher taxes next year"]
    while len(lines) < n:
        lines.append(f"{rnd.choice(subj)} {rnd.choice(verb)} {rnd.choice(obj)}, according to {rnd.randint(2, 40)} sources.")
lines = lines[:n]
with open(os.path.join(out, "sentences.txt"), "w", encoding="utf-8") as fh:
    fh.write("\n".join(lines) + "\n")
for i in range(0, n, 40):
    with open(os.path.join(out, "articles", f"a{i // 40:05d}.txt"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines[i:i + 40]) + "\n")
PY

# rhetor, whole pipeline, once per engine (ENGINES="int8 float" by default).
bench_rhetor() {
  local engine="$1"
  echo "== rhetor --engine $engine ($(nproc) cores, model $MODEL)"
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -v -o "$OUT/rhetor-$engine.time" target/release/rhetor score --lines --format csv \
    --engine "$engine" --model "$MODEL" "$OUT"/articles/*.txt > "$OUT/rhetor-$engine.csv"
  end=$(date +%s.%N)
  rs=$(python3 -c "print(round($N / ($end - $start), 1))")
  rrss=$(awk '/Maximum resident/ {print int($6/1024)}' "$OUT/rhetor-$engine.time")
  rcpu=$(awk '/User time|System time/ {s += $4} END {print s}' "$OUT/rhetor-$engine.time")
  rcs=$(python3 -c "print(round($N / $rcpu, 1))")
  echo "rhetor $engine: $N sentences in $(python3 -c "print(round($end - $start, 2))") s wall = $rs sentences/s; CPU $rcpu s = $rcs sentences/CPU-s (incl. start-up, reading, CSV); peak RSS $rrss MB"
  eval "rs_$engine=$rs; rcs_$engine=$rcs"
}
ENGINES="${ENGINES:-int8 float}"
for e in $ENGINES; do bench_rhetor "$e"; done

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import torch, sentence_transformers" 2>/dev/null; then
  echo "== python reference ($VENV)"
  py=$("$VENV/bin/python" scripts/bench_python.py 2>/dev/null --model models/base --input "$OUT/sentences.txt" --threads "$(nproc)")
  echo "python: $py"
  ps=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['sentences_per_second'])" "$py")
  pcs=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['sentences_per_cpu_second'])" "$py")
  for e in $ENGINES; do
    r=$(eval echo "\$rs_$e"); rc=$(eval echo "\$rcs_$e")
    echo "ratio rhetor $e / python: wall $(python3 -c "print(round($r / $ps, 2))")x, per CPU-second $(python3 -c "print(round($rc / $pcs, 2))")x"
  done
  echo "(on a loaded machine the per-CPU-second ratio is the meaningful one; load: $(cut -d' ' -f1-3 /proc/loadavg))"
else
  echo "python reference skipped: no torch + sentence-transformers in $VENV"
fi
