"""Disclosure control: small counts withheld, margins cannot reveal them, rounding to base 5.

The non-recoverability property is checked independently of the module's null-space test: for
every withheld cell a linear programme (scipy) finds its smallest and largest value consistent
with every published cell, the totals and non-negativity; a protected cell has an interval of
positive width.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from ylt_eval.disclosure import SUPPRESSED_MARK, DisclosureRule, apply_disclosure
from ylt_eval.errors import ParameterError


def with_totals(interior: np.ndarray) -> pd.DataFrame:
    rows, cols = interior.shape
    frame = pd.DataFrame(
        interior, index=[f"r{i}" for i in range(rows)], columns=[f"c{j}" for j in range(cols)]
    )
    frame["total"] = frame.sum(axis=1)
    frame.loc["total"] = frame.sum(axis=0)
    return frame.astype("int64")


def interval(true: pd.DataFrame, hidden: pd.DataFrame, cell: tuple[str, str]) -> tuple:
    """Smallest and largest value of ``cell`` given published cells, totals and x >= 0."""
    unknown = [(r, c) for r in true.index for c in true.columns if hidden.loc[r, c]]
    index = {key: i for i, key in enumerate(unknown)}
    equations, right = [], []
    rows = [r for r in true.index if r != "total"]
    cols = [c for c in true.columns if c != "total"]
    lines = [([(r, c) for c in cols], (r, "total")) for r in true.index]
    lines += [([(r, c) for r in rows], ("total", c)) for c in true.columns]
    for parts, total in lines:
        coefficients = np.zeros(len(unknown))
        known = 0.0
        for part in parts:
            if part in index:
                coefficients[index[part]] += 1
            else:
                known += true.loc[part]
        if total in index:
            coefficients[index[total]] -= 1
            value = -known
        else:
            value = true.loc[total] - known
        if coefficients.any():
            equations.append(coefficients)
            right.append(value)
    target = np.zeros(len(unknown))
    target[index[cell]] = 1
    bounds = [(0, None)] * len(unknown)
    low = linprog(target, A_eq=equations, b_eq=right, bounds=bounds)
    high = linprog(-target, A_eq=equations, b_eq=right, bounds=bounds)
    assert low.status == 0 and high.status in (0, 3)  # 3: unbounded above
    return low.fun, (np.inf if high.status == 3 else -high.fun)


# ---------------------------------------------------------------------------- known answers


def test_default_rule_withholds_1_to_7_and_rounds_to_5():
    table = pd.DataFrame({"patients": [0, 1, 7, 8, 12, 13, 102]}, index=list("abcdefg"))
    published, log = apply_disclosure(table)
    assert published["patients"].tolist() == [0, pd.NA, pd.NA, 10, 10, 15, 100]
    assert log.primary == (("b", "patients"), ("c", "patients"))
    assert log.secondary == ()  # no totals, nothing to protect against
    assert log.rounded == 4
    assert log.display(published)["patients"].tolist()[:3] == [0, SUPPRESSED_MARK, "[c]"]


def test_two_by_two_block_is_withheld_around_one_small_cell():
    table = with_totals(np.array([[3, 40], [20, 12]]))
    published, log = apply_disclosure(table, total_row="total", total_column="total")
    assert log.primary == (("r0", "c0"),)
    assert set(log.secondary) == {("r0", "c1"), ("r1", "c0"), ("r1", "c1")}
    assert published["total"].tolist() == [45, 30, 75]  # 43, 32, 75 rounded
    assert published.loc["total", ["c0", "c1"]].tolist() == [25, 50]


def test_secondary_cell_is_the_smallest_positive_count_of_the_line():
    table = with_totals(np.array([[2, 9, 30, 0], [10, 11, 12, 13], [15, 16, 17, 18]]))
    _, log = apply_disclosure(table, total_row="total", total_column="total")
    assert ("r0", "c1") in log.secondary  # 9 beats 30; the zero is never chosen
    assert ("r0", "c3") not in log.secondary
    assert log.flags.loc["r0", "c1"] == "secondary"


def test_county_totals_rule_withholds_without_rounding():
    table = pd.DataFrame({"maternal_deaths": [0, 2, 9], "admissions": [4321, 87, 12]})
    published, log = apply_disclosure(table, DisclosureRule.county_totals())
    assert published["maternal_deaths"].tolist() == [0, pd.NA, 9]
    assert published["admissions"].tolist() == [4321, 87, 12]
    assert log.rounded == 0
    assert "按原值公布" in log.statement("zh")


def test_derived_rates_are_withheld_with_their_count():
    table = pd.DataFrame(
        {"deaths": [3, 40], "population": [1000, 2000], "rate": [3.0, 20.0]}, index=["a", "b"]
    )
    published, log = apply_disclosure(
        table, count_columns=["deaths"], derived_columns={"rate": "deaths"}
    )
    assert published["rate"].isna().tolist() == [True, False]
    assert published["population"].tolist() == [1000, 2000]  # not a count column: untouched
    assert log.derived == (("a", "rate"),)


def test_rule_configuration_and_statements():
    rule = DisclosureRule.from_config({"suppress_high": 9, "rounding_base": 10, "name": "p"})
    assert (rule.suppress_low, rule.suppress_high, rule.rounding_base) == (1, 9, 10)
    assert "1–9" in rule.statement("zh") and "nearest 10" in rule.statement("en")
    assert "no small-cell protection" in DisclosureRule.none().statement("en")
    for bad in ({"threshold": 5}, {"suppress_high": "7"}, {"secondary": 1}):
        with pytest.raises(ParameterError):
            DisclosureRule.from_config(bad)
    with pytest.raises(ParameterError):
        DisclosureRule(suppress_low=0)
    with pytest.raises(ParameterError):
        DisclosureRule(rounding_base=0)


def test_bad_tables_are_parameter_errors():
    table = pd.DataFrame({"n": [1, -2]})
    with pytest.raises(ParameterError, match="negative"):
        apply_disclosure(table)
    with pytest.raises(ParameterError, match="not in the table"):
        apply_disclosure(pd.DataFrame({"n": [1]}), count_columns=["m"])
    with pytest.raises(ParameterError, match="total row"):
        apply_disclosure(pd.DataFrame({"n": [1]}), total_row="sum")


def test_inconsistent_totals_are_reported():
    table = with_totals(np.array([[10, 20], [30, 40]]))
    table.loc["r0", "total"] = 31
    _, log = apply_disclosure(table, total_row="total", total_column="total")
    # the row's total and the grand total both disagree with their parts
    assert log.inconsistent_totals == ("('r0', 'total')", "('total', 'total')")


# ------------------------------------------------------------------------------- properties

small_counts = st.one_of(st.integers(0, 9), st.integers(10, 60))
tables = st.integers(1, 4).flatmap(
    lambda rows: st.integers(1, 4).flatmap(
        lambda cols: st.lists(
            st.lists(small_counts, min_size=cols, max_size=cols), min_size=rows, max_size=rows
        )
    )
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables)
def test_withheld_cells_cannot_be_recovered_from_published_margins(interior):
    true = with_totals(np.array(interior))
    rule = DisclosureRule(rounding_base=1)  # exact margins: the strongest attack
    published, _ = apply_disclosure(true, rule, total_row="total", total_column="total")
    hidden = published.isna()
    small = (true >= 1) & (true <= 7)
    assert not (small & ~hidden).any().any()  # every small count is withheld, totals included
    assert not ((true == 0) & hidden).any().any()  # zeros are never withheld
    assert (published[~hidden] == true[~hidden]).all().all()
    for row, column in zip(*np.nonzero(hidden.to_numpy()), strict=True):
        cell = (true.index[row], true.columns[column])
        low, high = interval(true, hidden, cell)
        assert high - low > 1e-6, (cell, low, high)


@settings(max_examples=80, deadline=None)
@given(tables)
def test_published_counts_are_rounded_to_the_nearest_5(interior):
    true = with_totals(np.array(interior))
    published, log = apply_disclosure(true, total_row="total", total_column="total")
    shown = published.stack().dropna().astype(int)
    assert (shown % 5 == 0).all()
    original = true.stack()[shown.index]
    assert ((shown - original).abs() <= 2).all()
    assert (shown[original == 0] == 0).all()
    assert log.withheld == int(published.isna().sum().sum())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=8))
def test_single_column_with_total_row_protects_lone_small_count(column):
    true = pd.DataFrame({"n": [*column, sum(column)]}, index=[*range(len(column)), "total"])
    published, _ = apply_disclosure(true, DisclosureRule(rounding_base=1), total_row="total")
    hidden = published["n"].isna()
    assert hidden.sum() != 1  # one withheld cell in a column with a total would be revealed
