"""Read a file, tell its format and validate it in one call."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from ylt_eval.readers import (
    DEFAULT_MAX_BYTES,
    InputFileError,
    RawTable,
    map_headers,
    read_table,
)
from ylt_eval.validation.long import validate_long
from ylt_eval.validation.panel import validate_panel
from ylt_eval.validation.report import ValidationReport
from ylt_eval.validation.rules import (
    ShareConstraintLike,
    issue_from_read_problem,
)

InputFormat = Literal["panel", "long"]


def detect_format(raw: RawTable) -> InputFormat:
    """Tell the long format from the wide panel.

    A table with an indicator-code column is long (a missing value column is then reported
    as such, rather than as a panel missing all its columns); anything else is a panel.

    Parameters
    ----------
    raw : RawTable

    Returns
    -------
    {"panel", "long"}
    """
    mapped = set(map_headers(raw.headers, "long").columns)
    return "long" if "indicator" in mapped else "panel"


@dataclass(frozen=True, eq=False)
class LoadedInput:
    """Result of :func:`load_input`.

    Attributes
    ----------
    path : pathlib.Path
        File read.
    sha256 : str or None
        SHA-256 of the file's bytes (None when the file was refused for its size).
    format : {"panel", "long"} or None
        Detected format; None when the file could not be read.
    panel : pandas.DataFrame or None
        Typed wide panel (format "panel"), see :func:`validate_panel`.
    long : pandas.DataFrame or None
        Typed long table (format "long"), see :func:`validate_long`.
    encoding : str or None
        Text encoding of a CSV file.
    sheets : tuple of str
        Worksheets read.
    """

    path: Path
    sha256: str | None
    format: InputFormat | None = None
    panel: pd.DataFrame | None = None
    long: pd.DataFrame | None = None
    encoding: str | None = None
    sheets: tuple[str, ...] = ()


def file_sha256(path: str | Path) -> str:
    """SHA-256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_input(
    path: str | Path,
    *,
    sheet: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    share_constraints: Iterable[ShareConstraintLike] | None = None,
    known_codes: Iterable[str] | None = None,
) -> tuple[LoadedInput, ValidationReport]:
    """Read a file, detect its format and validate it.

    A file that cannot be read (empty, binary, undecodable, malformed, macro-enabled, too
    large ...) gives a report with one file-level error instead of an exception.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.csv``, ``.xlsx`` or ``.parquet`` file.
    sheet : str, optional
        Worksheet to read (xlsx only).
    max_bytes : int, default 50 MB
        Larger files are refused before parsing.
    share_constraints : iterable of ShareConstraint, optional
        Passed to :func:`validate_panel`.
    known_codes : iterable of str, optional
        Passed to :func:`validate_long`.

    Returns
    -------
    loaded : LoadedInput
    report : ValidationReport

    Raises
    ------
    ParameterError
        The path does not exist, its extension is not supported, or Parquet support is not
        installed (problems of the call, not of the data).
    """
    path = Path(path)
    try:
        raw = read_table(path, sheet=sheet, max_bytes=max_bytes)
    except InputFileError as exc:
        sha = file_sha256(path) if path.stat().st_size <= max_bytes else None
        issue = issue_from_read_problem(exc.problem, path.name)
        return LoadedInput(path=path, sha256=sha), ValidationReport((issue,))
    sha = file_sha256(path)
    kind = detect_format(raw)
    common = {
        "path": path,
        "sha256": sha,
        "format": kind,
        "encoding": raw.encoding,
        "sheets": raw.sheets,
    }
    if kind == "long":
        long, report = validate_long(raw, known_codes)
        return LoadedInput(long=long, **common), report
    panel, report = validate_panel(raw, share_constraints=share_constraints)
    return LoadedInput(panel=panel, **common), report
