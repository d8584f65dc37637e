#!/usr/bin/env bash
# Throughput / memory bench of the transformer scorer vs the Python and ONNX
# Runtime references: same sentences, same base model, same machine, same
# thread count, run back to back in one run.
#
#   scripts/bench-transformer.sh [N_SENTENCES] [MODEL]
#
# Sentences: the first N non-empty lines of ../shared/ptc/dev then ../shared/ptc/train
# (read at bench time, written only under bench-out/, which is git-ignored), or
# generated sentences when ../shared is absent.
# Rows (THREADS threads each, default 2):
#   * rhetor int8, once per kernel in KERNELS (default: every kernel this CPU
#     supports but portable; forced with RHETOR_KERNEL, so e.g. an AVX2-only CPU
#     is emulated on an AVX-512 one): `rhetor score --lines` over articles of 40
#     lines (whole pipeline, CSV to /dev/null);
#   * rhetor int8 encoder only (examples/int8_check: Int8Encoder::load, which
#     reads the weights straight into int8, then embed_texts), per kernel;
#   * rhetor float (`--engine float`) unless NO_FLOAT=1;
#   * Python sentence-transformers encode() (scripts/bench_python.py), once as
#     installed and once held to AVX2 (PY_AVX2=0 skips that run);
#   * ONNX Runtime fp32 and dynamically quantized int8 of the same base model
#     (scripts/bench_onnx.py; exported once under bench-out/onnx).
# Python side in $BENCH_VENV (default /tmp/benchvenv), created with
#   python3 -m venv /tmp/benchvenv && /tmp/benchvenv/bin/pip install torch \
#     sentence-transformers onnx onnxscript onnxruntime
# Every row prints the CPU model, its SIMD features and the kernel used.
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

THREADS="${THREADS:-2}"
export RAYON_NUM_THREADS="$THREADS"
CPU="$(target/release/rhetor doctor --no-check)"
CPU_MODEL="$(awk -F': *' '/^CPU:/ {print $2}' <<<"$CPU")"
CPU_FEATURES="$(awk -F': *' '/^SIMD features:/ {print $2}' <<<"$CPU")"
SUPPORTED="$(awk -F': *' '/^int8 kernels:/ {print $2}' <<<"$CPU" | tr -d ',')"
KERNELS="${KERNELS:-$(tr ' ' '\n' <<<"$SUPPORTED" | grep -v '^portable$' | tr '\n' ' ')}"
echo "== CPU: $CPU_MODEL; features: $CPU_FEATURES; supported kernels: $SUPPORTED; threads: $THREADS"
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
TABLE="$OUT/table.md"
echo "| implementation | CPU / kernel | sentences/s (wall) | sentences per CPU-second | peak RSS | ratio to Python (wall / CPU) |" > "$TABLE"
echo "|---|---|---|---|---|---|" >> "$TABLE"
ROWS="$OUT/rows.tsv"; : > "$ROWS"

# row NAME KERNEL_LABEL SENT_PER_S SENT_PER_CPU_S RSS_MB
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >> "$ROWS"; }

# Wall, CPU and peak RSS of a command run under /usr/bin/time.
timed() {
  local tag="$1"; shift
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -v -o "$OUT/$tag.time" "$@"
  end=$(date +%s.%N)
  wall=$(python3 -c "print($end - $start)")
  rss=$(awk '/Maximum resident/ {print int($6/1024)}' "$OUT/$tag.time")
  cpu=$(awk '/User time|System time/ {s += $4} END {print s}' "$OUT/$tag.time")
}

# rhetor, whole pipeline.
bench_rhetor() {
  local engine="$1" kernel="$2" tag="rhetor-$1-${2:-default}"
  echo "== rhetor score --engine $engine, kernel ${kernel:-n/a} ($CPU_MODEL; $CPU_FEATURES), model $MODEL"
  RHETOR_KERNEL="$kernel" timed "$tag" target/release/rhetor score --lines --format csv \
    --engine "$engine" --model "$MODEL" "$OUT"/articles/*.txt > "$OUT/$tag.csv"
  local rs rcs
  rs=$(python3 -c "print(round($N / $wall, 1))"); rcs=$(python3 -c "print(round($N / $cpu, 1))")
  echo "rhetor $engine ${kernel}: $N sentences in $(python3 -c "print(round($wall, 2))") s wall = $rs sentences/s; CPU $cpu s = $rcs sentences/CPU-s (incl. start-up, load, reading, CSV); peak RSS $rss MB"
  row "rhetor score --engine $engine (whole pipeline)" "${kernel:-float (candle)}" "$rs" "$rcs" "$rss"
}

# rhetor, encoder only, weights loaded straight into int8.
bench_encoder() {
  local kernel="$1" tag="encoder-$1"
  echo "== rhetor int8 encoder only (examples/int8_check), kernel $kernel"
  RHETOR_KERNEL="$kernel" INT8_ONLY=1 timed "$tag" target/release/examples/int8_check \
    "$OUT/sentences.txt" "$N" "$MODEL" > "$OUT/$tag.txt"
  cat "$OUT/$tag.txt"
  local es ecs
  es=$(awk '/^int8:/ {print $(NF-1)}' "$OUT/$tag.txt")
  ecs=$(python3 -c "print(round($N / $cpu, 1))")
  echo "   (process: CPU $cpu s incl. load = $ecs sentences/CPU-s; peak RSS $rss MB)"
  row "rhetor Int8Encoder (encoder only, direct int8 load)" "$kernel" "$es" "$ecs" "$rss"
}

[ "${BENCH_NO_BUILD:-0}" = 1 ] || cargo build --release --quiet --example int8_check
for k in $KERNELS; do bench_rhetor int8 "$k"; done
if [ -x target/release/examples/int8_check ]; then
  for k in $KERNELS; do bench_encoder "$k"; done
else
  echo "== skipping the encoder-only rows: build them with cargo build --release --example int8_check"
fi
[ "${NO_FLOAT:-0}" = 1 ] || bench_rhetor float ""

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import torch, sentence_transformers" 2>/dev/null; then
  echo "== python sentence-transformers encode() ($VENV)"
  py=$("$VENV/bin/python" scripts/bench_python.py 2>/dev/null --model models/base --input "$OUT/sentences.txt" --threads "$THREADS")
  echo "python: $py"
  field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
  row "Python sentence-transformers encode() (torch $(field "$py" torch))" "torch CPU (best ISA)" \
    "$(field "$py" sentences_per_second)" "$(field "$py" sentences_per_cpu_second)" "$(field "$py" peak_rss_mb)"
  if [ "${PY_AVX2:-1}" = 1 ]; then
    # The same, with torch, MKL and oneDNN held to AVX2 (the AVX2-only CPU the
    # avx2 kernel rows emulate).
    echo "== python sentence-transformers encode(), AVX2 only (ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 ONEDNN_MAX_CPU_ISA=AVX2)"
    py2=$(ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 ONEDNN_MAX_CPU_ISA=AVX2 "$VENV/bin/python" scripts/bench_python.py 2>/dev/null --model models/base --input "$OUT/sentences.txt" --threads "$THREADS")
    echo "python (avx2): $py2"
    row "Python sentence-transformers encode(), held to AVX2" "torch CPU (AVX2)" \
      "$(field "$py2" sentences_per_second)" "$(field "$py2" sentences_per_cpu_second)" "$(field "$py2" peak_rss_mb)"
  fi
  if "$VENV/bin/python" -c "import onnxruntime, onnx" 2>/dev/null; then
    if [ ! -f bench-out/onnx/model-int8.onnx ]; then
      "$VENV/bin/python" scripts/bench_onnx.py export --model models/base --out bench-out/onnx 2>/dev/null
    fi
    for v in fp32 int8; do
      echo "== ONNX Runtime $v"
      ox=$("$VENV/bin/python" scripts/bench_onnx.py run --model models/base \
        --onnx "bench-out/onnx/model-$v.onnx" --input "$OUT/sentences.txt" --threads "$THREADS" 2>/dev/null)
      echo "onnx $v: $ox"
      row "ONNX Runtime $(field "$ox" onnxruntime) $v$([ $v = int8 ] && echo ' (quantize_dynamic)')" "MLAS" \
        "$(field "$ox" sentences_per_second)" "$(field "$ox" sentences_per_cpu_second)" "$(field "$ox" peak_rss_mb)"
    done
  else
    echo "ONNX Runtime skipped: no onnxruntime + onnx in $VENV"
  fi
else
  echo "python reference skipped: no torch + sentence-transformers in $VENV"
fi

python3 - "$ROWS" "$CPU_MODEL" "$CPU_FEATURES" >> "$TABLE" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
py = next((r for r in rows if r[0].startswith("Python")), None)  # the best-ISA run
for name, kernel, s, cs, rss in rows:
    ratio = f"{float(s) / float(py[2]):.2f}× / {float(cs) / float(py[3]):.2f}×" if py else "n/a"
    print(f"| {name} | {sys.argv[2]} ({sys.argv[3]}); {kernel} | {s} | {cs} | {rss} MB | {ratio} |")
PY
echo "== table (also in $TABLE); load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$TABLE"
