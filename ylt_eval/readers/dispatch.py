"""One entry point for every supported file type."""

from __future__ import annotations

from pathlib import Path

from ylt_eval.errors import ParameterError
from ylt_eval.readers.delimited import read_delimited
from ylt_eval.readers.limits import DEFAULT_MAX_BYTES, ReadLimits
from ylt_eval.readers.parquet import read_parquet, require_pyarrow
from ylt_eval.readers.table import RawTable
from ylt_eval.readers.workbook import read_workbook

#: File extensions read, by reader.
TEXT_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | WORKBOOK_SUFFIXES | {".parquet"}


def read_table(
    path: str | Path,
    *,
    sheet: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    limits: ReadLimits | None = None,
) -> RawTable:
    """Read a CSV, XLSX or Parquet file with every cell as text.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.csv`` (UTF-8 with or without BOM, GBK/GB18030, UTF-16 with BOM; comma, tab or
        semicolon separated), ``.xlsx`` or ``.parquet`` file.
    sheet : str, optional
        Worksheet to read (xlsx only). By default every sheet whose top rows contain a
        recognisable header is read; sheets with the same header are stacked, a sheet with a
        different header is left out with a warning.
    max_bytes : int, default 50 MB
        Files larger than this are refused before parsing (ignored when ``limits`` is given).
    limits : ReadLimits, optional
        All size limits (file size, decompressed size, rows, archive members).

    Returns
    -------
    RawTable

    Raises
    ------
    ParameterError
        The path does not exist, the extension is not supported, or reading Parquet needs
        ``pyarrow`` which is not installed.
    InputFileError
        The file cannot be read (too large, empty, binary, undecodable, malformed CSV,
        macro-enabled, hostile or corrupt workbook, no recognisable header).
    """
    path = Path(path)
    limits = limits or ReadLimits(max_bytes=max_bytes)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        hint = " (save .xls workbooks as .xlsx)" if suffix == ".xls" else ""
        raise ParameterError(
            f"unsupported input file type {suffix or '(none)'!r} for {path.name}: "
            f"use .csv, .xlsx or .parquet{hint}"
        )
    if suffix == ".parquet":
        require_pyarrow()
    if not path.is_file():
        raise ParameterError(f"input file not found: {path}")
    limits.check_file_size(path)
    if suffix in TEXT_SUFFIXES:
        return read_delimited(path)
    if suffix == ".parquet":
        return read_parquet(path, limits)
    return read_workbook(path, sheet=sheet, limits=limits)
