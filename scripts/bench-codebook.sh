#!/usr/bin/env bash
# Learning curve of `rhetor train` against SetFit on CheckThat! subjectivity
# (issue 26, item 5; docs/codebook-curve.md). A thin wrapper around
# scripts/bench-codebook.py (read its header for the recipes, timings and
# outputs): makes the Python venv if missing, then runs it at low priority
# with every argument passed on.
#
#   scripts/bench-codebook.sh                                   # full curve: 64, 256 at seeds 0,1,2; 830 at seed 0
#   scripts/bench-codebook.sh --sizes 64 --systems setfit       # a part; finished points are skipped on rerun
#   scripts/bench-codebook.sh --report-only --doc docs/codebook-curve.md
#
# Venv: $BENCH_VENV (default /tmp/benchvenv), made with
#   python3 -m venv /tmp/benchvenv && /tmp/benchvenv/bin/pip install torch \
#     setfit sentence-transformers scikit-learn matplotlib pandas
# (torch's CPU wheels from https://download.pytorch.org/whl/cpu where reachable:
# the PyPI torch wheel pulls ~4 GB of CUDA libraries). The rhetor binary:
# target/release/rhetor (build it first: cargo build --release) or --rhetor PATH.
# Base weights: models/base (scripts/setup-model.sh). NICE (default 10) sets the priority.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${BENCH_VENV:-/tmp/benchvenv}"
if ! "$VENV/bin/python" -c "import torch, setfit, sentence_transformers, sklearn, matplotlib, pandas" 2>/dev/null; then
  echo "bench-codebook: making the venv $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet torch --index-url https://download.pytorch.org/whl/cpu \
    || "$VENV/bin/pip" install --quiet --no-cache-dir torch
  "$VENV/bin/pip" install --quiet --no-cache-dir setfit sentence-transformers scikit-learn matplotlib pandas
fi
scripts/setup-model.sh >/dev/null
exec nice -n "${NICE:-10}" "$VENV/bin/python" scripts/bench-codebook.py "$@"
