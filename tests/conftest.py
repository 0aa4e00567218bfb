"""Shared fixtures. End-to-end tests need chromium and poppler: in CI (CI=true) their absence
is a failure, elsewhere a skip with the command that installs them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_tool(name: str, package: str) -> str:
    """Path of a system tool; fail in CI, skip elsewhere, when it is missing."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} not found: apt-get install {package}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def demo_panel_path() -> Path:
    return REPO / "data" / "demo" / "panel.csv"
