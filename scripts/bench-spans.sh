#!/usr/bin/env bash
# What the span head costs: `rhetor score --lines` over the same articles with
# the model as shipped (span head on) and with a copy whose config.json has no
# `span_head` (same weights otherwise), alternating, REPS runs each, in one run
# on one machine. Prints the best wall time of each and the ratio.
#
#   scripts/bench-spans.sh [N_LINES] [MODEL] [REPS]
#
# Lines: the first N non-empty lines of ../shared/ptc/dev (then train), in
# articles of 40 lines, written under bench-out/spans/ (git-ignored); generated
# sentences when ../shared is absent.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
N="${1:-3000}"
MODEL="${2:-models/rhetor-minilm-spans}"
REPS="${3:-3}"
OUT="$ROOT/bench-out/spans"
rm -rf "$OUT"; mkdir -p "$OUT/articles"
# RHETOR_BIN: an already built binary (then nothing is built).
BIN="${RHETOR_BIN:-$ROOT/target/release/rhetor}"
[ -n "${RHETOR_BIN:-}" ] || cargo build --release --quiet

python3 - "$N" "$OUT" <<'PY'
import sys, os, glob
n, out = int(sys.argv[1]), sys.argv[2]
lines = []
for split in ("dev", "train"):
    for path in sorted(glob.glob(f"../shared/ptc/{split}/article*.txt")):
        with open(path, encoding="utf-8") as f:
            lines += [l.strip() for l in f if l.strip()]
        if len(lines) >= n:
            break
    if len(lines) >= n:
        break
if len(lines) < n:
    lines += [f"The minister said on day {i} that the so-called reform would fail." for i in range(n - len(lines))]
lines = lines[:n]
for k in range(0, n, 40):
    with open(os.path.join(out, "articles", f"a{k // 40:05d}.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines[k:k + 40]) + "\n")
PY

cp -r "$MODEL" "$OUT/no-spans"
python3 - "$OUT/no-spans/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
if "span_head" not in c:
    sys.exit(f"{p}: the model has no span head, nothing to compare")
del c["span_head"]
json.dump(c, open(p, "w"), indent=2)
PY

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
flags=$(grep -o -w 'avx2\|avx512f\|avx512_vnni\|avx_vnni' /proc/cpuinfo | sort -u | tr '\n' ' ')
echo "bench-spans: $N lines in $(ls "$OUT/articles" | wc -l) articles, $(nproc) cores, $cpu [$flags]"
best() { sort -n | head -1; }
run() {
  local model="$1" t0 t1
  t0=$(date +%s.%N)
  "$BIN" score --lines --model "$model" --format csv "$OUT"/articles/*.txt > /dev/null
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}
: > "$OUT/with.txt"; : > "$OUT/without.txt"
for _ in $(seq "$REPS"); do
  run "$MODEL" >> "$OUT/with.txt"
  run "$OUT/no-spans" >> "$OUT/without.txt"
done
with=$(best < "$OUT/with.txt"); without=$(best < "$OUT/without.txt")
echo "with span head:    ${with}s ($(echo "$N / $with" | bc) lines/s)"
echo "without span head: ${without}s ($(echo "$N / $without" | bc) lines/s)"
echo "span head cost: $(echo "scale=3; ($with / $without - 1) * 100" | bc) % of the time without it"
