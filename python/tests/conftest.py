"""Shared pytest fixtures of the Python package's tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cli() -> str:
    """The rhetor CLI the package is compared with: $RHETOR_CLI, else
    target/release/rhetor (built when missing)."""
    path = os.environ.get("RHETOR_CLI") or str(ROOT / "target" / "release" / "rhetor")
    if not Path(path).is_file():
        subprocess.run(
            ["nice", "-n", "15", "cargo", "build", "--release", "--bin", "rhetor"],
            cwd=ROOT,
            check=True,
        )
    return path
