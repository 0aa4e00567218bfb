"""Packaged data files: data dictionary, indicator catalogue, targets, templates."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def resource_path(name: str) -> Path:
    """Return the filesystem path of a packaged resource file.

    Parameters
    ----------
    name : str
        File name relative to ``ylt_eval/resources`` (for example ``"dictionary.csv"``).
    """
    path = Path(str(resources.files(__name__).joinpath(name)))
    if not path.exists():
        raise FileNotFoundError(f"packaged resource not found: {name}")
    return path
