"""The raw panel's data model, read from the packaged data dictionary.

The panel is one tidy table with one row per county × period. Its columns, Chinese and English
names, units and definitions live in ``resources/dictionary.csv`` (also linked as
``data/dictionary.csv``); this module only reads that file.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from ylt_eval.resources import resource_path

#: Columns that identify one row of the panel.
PANEL_KEY: tuple[str, str] = ("county_code", "year")

#: Columns of the long (indicator-level) input format, in order.
LONG_COLUMNS: tuple[str, ...] = ("county_code", "county_name", "year", "indicator", "value")

#: Allowed values of :attr:`ColumnSpec.kind`.
COLUMN_KINDS = frozenset({"id", "label", "period", "reform", "count", "amount", "rate"})


@dataclass(frozen=True)
class ColumnSpec:
    """One column of the raw panel as described in the data dictionary.

    Attributes
    ----------
    column : str
        Machine name (snake_case English), the header used in CSV/Parquet files.
    name_zh, name_en : str
        Human names; ``name_zh`` is the header of the Chinese spreadsheet template.
    unit_zh, unit_en : str
        Unit of measurement ("" for identifiers and labels).
    kind : str
        ``id``, ``label``, ``period``, ``reform``, ``count`` (non-negative integer-valued),
        ``amount`` (money, 万元) or ``rate`` (percent).
    required : bool
        Whether every panel must have this column.
    definition_zh, definition_en : str
        Operational definition.
    """

    column: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    kind: str
    required: bool
    definition_zh: str
    definition_en: str

    @property
    def is_numeric(self) -> bool:
        """True for measured quantities (counts, amounts, rates)."""
        return self.kind in {"count", "amount", "rate"}


@cache
def data_dictionary() -> tuple[ColumnSpec, ...]:
    """Return the columns of the raw panel, in template order.

    Returns
    -------
    tuple of ColumnSpec
    """
    with resource_path("dictionary.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    specs = []
    for row in rows:
        if row["kind"] not in COLUMN_KINDS:
            raise ValueError(f"dictionary.csv: unknown kind {row['kind']!r} for {row['column']}")
        specs.append(
            ColumnSpec(
                column=row["column"],
                name_zh=row["name_zh"],
                name_en=row["name_en"],
                unit_zh=row["unit_zh"],
                unit_en=row["unit_en"],
                kind=row["kind"],
                required=row["required"] == "yes",
                definition_zh=row["definition_zh"],
                definition_en=row["definition_en"],
            )
        )
    return tuple(specs)


def column_spec(column: str) -> ColumnSpec:
    """Return the dictionary entry of one column.

    Raises
    ------
    KeyError
        If the column is not in the data dictionary.
    """
    for spec in data_dictionary():
        if spec.column == column:
            return spec
    raise KeyError(column)


def numeric_columns() -> tuple[str, ...]:
    """Names of all measured columns (counts, amounts, rates)."""
    return tuple(spec.column for spec in data_dictionary() if spec.is_numeric)


def required_columns() -> tuple[str, ...]:
    """Names of the columns every raw panel must contain."""
    return tuple(spec.column for spec in data_dictionary() if spec.required)
