"""Disclosure control of what a report publishes: counts of people and what derives from them.

A county report publishes county totals and indicators computed from them. Under the
county-total rule of :mod:`ylt_eval.disclosure` (default: counts 1–7 withheld, nothing rounded),
a county-year cell is withheld when a raw count of *people* it is computed from (patients,
visits, admissions, discharges, referrals, deaths, births, operations, staff) is small: the count
itself, a share or rate over it, or a growth rate from it. Withheld cells are removed from the
indicator table before any table, chart, rank, median or export is built, so no published
number contains them; the province-level models still use the exact data (their estimates are
aggregates of many counties and identify no one).

Indicator-level (long) inputs carry no counts, so nothing in them can be checked or withheld;
the report says so.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, replace
from functools import cache

import numpy as np
import pandas as pd

from ylt_eval.analysis.inputs import AssessmentData
from ylt_eval.disclosure import DisclosureRule

#: Units (English, as in the data dictionary) of raw counts that count people or their contacts.
PEOPLE_UNITS: frozenset[str] = frozenset(
    {"persons", "visits", "admissions", "discharges", "referrals", "deaths", "births", "operations"}
)

WITHHELD_COLUMNS = ("county_code", "year", "indicator", "columns")


@dataclass(frozen=True)
class Publication:
    """The data a report may publish and what was withheld from it.

    Attributes
    ----------
    data : AssessmentData
        The input with withheld indicator cells removed (use it for every published number).
    withheld : DataFrame
        One row per withheld cell: ``county_code, year, indicator, columns`` (the small raw
        counts that caused it, comma-separated).
    rule : DisclosureRule
        The rule applied.
    checked : bool
        False when the input had no raw counts (indicator-level input): nothing could be checked.
    """

    data: AssessmentData
    withheld: pd.DataFrame
    rule: DisclosureRule
    checked: bool

    def statement(self, lang: str = "zh") -> str:
        """One sentence naming the rule (for the report's data-quality notes)."""
        return self.rule.statement(lang)


def publishable(data: AssessmentData, rule: DisclosureRule | None = None) -> Publication:
    """Withhold every indicator cell computed from a small count of people.

    Parameters
    ----------
    data : AssessmentData
        Validated input (not modified).
    rule : DisclosureRule, optional
        Defaults to :meth:`DisclosureRule.county_totals` (county totals: 1–7 withheld).

    Returns
    -------
    Publication

    Examples
    --------
    >>> from ylt_eval.analysis.inputs import load_assessment_data
    >>> published = publishable(load_assessment_data("data/demo/panel.csv"))  # doctest: +SKIP
    >>> published.withheld.head()  # doctest: +SKIP
    """
    rule = rule if rule is not None else DisclosureRule.county_totals()
    global _last
    if _last is not None and _last[0]() is data and _last[1] == rule:
        return _last[2]
    publication = _publishable(data, rule)
    _last = (weakref.ref(data), rule, publication)
    return publication


# Every county report of a run asks for the same data's publication (a batch forks all of them
# from one warm process): keep the last answer instead of recomputing it per county.
_last: tuple[weakref.ref, DisclosureRule, Publication] | None = None


def _publishable(data: AssessmentData, rule: DisclosureRule) -> Publication:
    if data.panel is None or not rule.suppresses:
        return Publication(data, _empty_withheld(), rule, checked=data.panel is not None)
    withheld = withheld_cells(data.panel, rule)
    if withheld.empty:
        return Publication(data, withheld, rule, checked=True)
    keys = pd.MultiIndex.from_frame(withheld[["county_code", "year", "indicator"]])
    table = data.indicators
    cells = pd.MultiIndex.from_arrays(
        [table["county_code"].astype(str), table["year"].astype("int64"), table["indicator"]]
    )
    kept = table[~cells.isin(keys)].reset_index(drop=True)
    return Publication(replace(data, indicators=kept), withheld, rule, checked=True)


def withheld_cells(panel: pd.DataFrame, rule: DisclosureRule) -> pd.DataFrame:
    """County × year × indicator cells computed from a small count of people.

    Parameters
    ----------
    panel : DataFrame
        Raw county × year panel (columns of the data dictionary).
    rule : DisclosureRule

    Returns
    -------
    DataFrame
        ``county_code, year, indicator, columns``, sorted.
    """
    counts = [column for column in people_count_columns() if column in panel.columns]
    if not counts or panel.empty:
        return _empty_withheld()
    values = panel[counts].apply(pd.to_numeric, errors="coerce")
    small = (values >= rule.suppress_low) & (values <= rule.suppress_high)
    codes = panel["county_code"].astype(str).to_numpy()
    years = panel["year"].astype("int64").to_numpy()
    rows = []
    for indicator_code, columns in indicator_columns().items():
        present = sorted(columns & set(counts))
        if not present:
            continue
        hit = small[present].to_numpy()
        for where in np.flatnonzero(hit.any(axis=1)):
            flagged = [
                column for column, is_small in zip(present, hit[where], strict=True) if is_small
            ]
            rows.append((codes[where], int(years[where]), indicator_code, ",".join(flagged)))
    # A growth rate uses this year's and last year's values: a withheld base withholds the
    # growth of its own year and of the next.
    growth = {item.code: item.base for item in _catalogue() if item.kind == "growth"}
    for code, year, indicator_code, columns in list(rows):
        for growth_code, base in growth.items():
            if base == indicator_code:
                rows.append((code, year, growth_code, columns))
                rows.append((code, year + 1, growth_code, columns))
    frame = pd.DataFrame(rows, columns=list(WITHHELD_COLUMNS)).drop_duplicates(
        subset=["county_code", "year", "indicator"]
    )
    return frame.sort_values(["county_code", "year", "indicator"], kind="stable").reset_index(
        drop=True
    )


@cache
def people_count_columns() -> tuple[str, ...]:
    """Raw panel columns that count people or their contacts (subject to disclosure control)."""
    from ylt_eval.schema import data_dictionary

    return tuple(
        spec.column
        for spec in data_dictionary()
        if spec.kind == "count" and spec.unit_en in PEOPLE_UNITS
    )


@cache
def indicator_columns() -> dict[str, frozenset[str]]:
    """Indicator code → the raw people-count columns it is computed from (directly or not)."""
    by_code = {item.code: item for item in _catalogue()}
    people = set(people_count_columns())

    def columns_of(code: str) -> frozenset[str]:
        item = by_code[code]
        own = {*item.numerator, *item.denominator}
        if item.column:
            own.add(item.column)
        for reference in item.dependencies:
            if reference != item.base:  # growth is handled year by year by the caller
                own |= columns_of(reference)
        return frozenset(own & people)

    return {code: columns for code in by_code if (columns := columns_of(code))}


def _catalogue():
    from ylt_eval.metrics.catalogue import catalogue

    return catalogue()


def _empty_withheld() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "county_code": pd.Series(dtype="object"),
            "year": pd.Series(dtype="int64"),
            "indicator": pd.Series(dtype="object"),
            "columns": pd.Series(dtype="object"),
        }
    )
