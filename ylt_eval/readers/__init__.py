"""Read input tables (CSV, XLSX, Parquet) as text, keeping where every value came from.

Every cell is read as text: nothing is guessed, so county codes keep their leading zeros and a
number stored as ``"1,234"`` reaches the validator as written. Each data row remembers the
spreadsheet row a person sees (header row = row 1 when there is no title row above it), and
the sheet it came from, so that validation messages can point at the cell.

Hostile or broken files are refused before they are parsed in full: files larger than a limit,
macro-enabled workbooks, zip bombs, XML declaring entities (:mod:`ylt_eval.readers.archive`).
Problems found while reading are returned as :class:`ReadProblem` records (or raised as
:class:`InputFileError` when nothing can be read); :mod:`ylt_eval.validation` turns them into
located validation issues. This package does not import :mod:`ylt_eval.validation`, which
depends on it.

Modules: ``dispatch`` (:func:`read_table`), ``delimited`` (CSV), ``workbook`` (xlsx),
``archive`` (xlsx safety checks), ``parquet``, ``table`` (header location, row numbers),
``headers`` (header vocabulary), ``units`` (unit words and conversions), ``limits``,
``problems``, ``cells``.
"""

from __future__ import annotations

from ylt_eval.readers.delimited import CSV_ENCODINGS
from ylt_eval.readers.dispatch import SUPPORTED_SUFFIXES, read_table
from ylt_eval.readers.headers import (
    LONG_HEADER_ALIASES,
    HeaderMapping,
    Vocabulary,
    dictionary_unit,
    header_text,
    map_headers,
    match_header,
    normalize_header,
)
from ylt_eval.readers.limits import DEFAULT_MAX_BYTES, MAX_COMPRESSION_RATIO, ReadLimits
from ylt_eval.readers.problems import (
    HEADER_SCAN_ROWS,
    InputFileError,
    ReadProblem,
    column_letter,
)
from ylt_eval.readers.table import RawTable
from ylt_eval.readers.units import UNITS, Unit, UnitConversion, conversion, unit_of

__all__ = [
    "CSV_ENCODINGS",
    "DEFAULT_MAX_BYTES",
    "HEADER_SCAN_ROWS",
    "LONG_HEADER_ALIASES",
    "MAX_COMPRESSION_RATIO",
    "SUPPORTED_SUFFIXES",
    "UNITS",
    "HeaderMapping",
    "InputFileError",
    "RawTable",
    "ReadLimits",
    "ReadProblem",
    "Unit",
    "UnitConversion",
    "Vocabulary",
    "column_letter",
    "conversion",
    "dictionary_unit",
    "header_text",
    "map_headers",
    "match_header",
    "normalize_header",
    "read_table",
    "unit_of",
]
