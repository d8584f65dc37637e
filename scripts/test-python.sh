#!/usr/bin/env bash
# Builds the Python package (python/, pyo3 + maturin) in a fresh virtualenv and
# runs its tests (python/tests/, pytest), which compare every column with the
# CLI's `rhetor score --format csv`, and run examples/spark_score.py (Spark,
# local mode) and examples/dask_score.py (a Dask LocalCluster) against
# `rhetor batch`. Prints how long each step takes.
#
#   scripts/test-python.sh              # venv in target/python-venv (recreated)
#   PYTHON=python3.12 scripts/test-python.sh
#   KEEP_VENV=1 scripts/test-python.sh  # reuse the venv (skips the PyPI installs)
#   NICE=15 scripts/test-python.sh      # run cargo and pip under `nice -n 15`
#   scripts/test-python.sh -k corpus    # extra arguments go to pytest
#   PROFILE=release scripts/test-python.sh  # optimised CLI and extension (slower to build)
#   RHETOR_CLI=target/debug/rhetor scripts/test-python.sh  # compare with this CLI, do not build one
#
# By default the CLI and the extension are built with the dev profile, which
# reuses what `cargo test` compiled (scores are identical in both profiles:
# the same code, no fast-math, the same kernels chosen at run time).
#
# Needs: python3 (>= 3.9) with venv, a Rust toolchain, PyPI (maturin, pandas,
# pytest, pyspark, pyarrow, dask[dataframe,distributed]) and a Java runtime for
# Spark (when `java` is missing and we are root, Debian's openjdk-17-jre-headless
# is installed with apt-get). The Spark and Dask tests do not skip here
# (RHETOR_REQUIRE_CLUSTER_TESTS=1): a missing piece fails them. The CLI and the
# extension share target/ so the dependencies are compiled once.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PY="${PYTHON:-python3}"
VENV="${VENV:-$ROOT/target/python-venv}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
run() { if [ -n "${NICE:-}" ]; then nice -n "$NICE" "$@"; else "$@"; fi; }
step() {
  local name="$1"; shift
  local t0=$SECONDS
  echo "test-python: $name ..."
  "$@"
  echo "test-python: $name: $((SECONDS - t0)) s"
}

make_venv() {
  if [ -z "${KEEP_VENV:-}" ] || [ ! -x "$VENV/bin/python" ]; then
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
  fi
}
step "virtualenv ($VENV)" make_venv
step "pip install maturin pandas pytest (PyPI)" \
  "$VENV/bin/python" -m pip install --quiet --upgrade pip maturin pandas pytest
# For python/tests/test_cluster.py (the Spark and Dask examples).
step "pip install pyspark pyarrow dask[dataframe,distributed] (PyPI)" \
  "$VENV/bin/python" -m pip install --quiet pyspark pyarrow "dask[dataframe,distributed]"
# For python/tests/test_validation.py: the field's reference implementation of PPI++.
step "pip install ppi-python (PyPI)" \
  "$VENV/bin/python" -m pip install --quiet ppi-python
install_jre() {
  if command -v java >/dev/null 2>&1; then
    echo "test-python: $(java -version 2>&1 | head -n 1)"
  elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null
    echo "test-python: installed $(java -version 2>&1 | head -n 1)"
  else
    echo "test-python: no Java runtime (java) for Spark and no root/apt-get to install one;" \
      "install a JRE 17+ (Debian: openjdk-17-jre-headless) or the Spark tests fail" >&2
  fi
}
step "Java runtime for Spark (apt-get openjdk-17-jre-headless when missing)" install_jre
PROFILE="${PROFILE:-dev}"
PROFILE_DIR=$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")
# RHETOR_CLI set to an existing binary (`.ci/run` passes the one `cargo test`
# has just built) is used as it is; otherwise the CLI is built here. (A plain
# `cargo build` after `cargo test` recompiles dependencies whose features
# differ without the dev-dependencies, minutes on 2 cores.)
if [ -n "${RHETOR_CLI:-}" ] && [ -x "$RHETOR_CLI" ]; then
  echo "test-python: the CLI the tests compare with: $RHETOR_CLI (given)"
else
  step "cargo build --profile $PROFILE (the CLI the tests compare with)" \
    run cargo build --profile "$PROFILE" --quiet --bin rhetor
  RHETOR_CLI="$CARGO_TARGET_DIR/$PROFILE_DIR/rhetor"
fi
export MATURIN_PEP517_ARGS="--profile $PROFILE"
# --no-build-isolation: use the venv's maturin (on PATH) instead of fetching it again.
export PATH="$VENV/bin:$PATH"
step "pip install ./python" \
  run "$VENV/bin/python" -m pip install --quiet --no-build-isolation ./python
export RHETOR_CLI
export RHETOR_REQUIRE_CLUSTER_TESTS=1
# Run from python/tests so that `import rhetor` is the installed package.
cd python/tests
step "pytest python/tests" "$VENV/bin/python" -m pytest -q "$@"
