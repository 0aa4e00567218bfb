"""Province-wide assessment: composite-score ranking and grade and target distributions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ylt_eval.analysis.comparison import MIN_PEERS

#: Columns of :func:`composite_ranking`'s table.
COMPOSITE_RANKING_COLUMNS: tuple[str, ...] = (
    "county_code",
    "county_name",
    "score_equal",
    "rank_equal",
    "grade_equal",
    "score_entropy",
    "rank_entropy",
    "n_indicators",
)

#: Columns of :func:`county_warnings`'s table.
COUNTY_WARNING_COLUMNS: tuple[str, ...] = (
    "county_code",
    "county_name",
    "n_warnings",
    "target_missed",
    "wrong_way",
    "peer_outlier",
    "indicators",
)

#: Columns of :func:`grade_counts`'s table.
GRADE_COUNT_COLUMNS: tuple[str, ...] = ("grade", "n")

#: Columns of :func:`grade_distribution`'s table (grade columns hold counts of counties).
GRADE_DISTRIBUTION_COLUMNS: tuple[str, ...] = (
    "dimension",
    "indicator",
    "n_graded",
    "优",
    "良",
    "中",
    "差",
    "met",
    "not_met",
    "entropy_weight",
)


def composite_ranking(in_year: pd.DataFrame, counties: pd.DataFrame) -> pd.DataFrame:
    """Composite scores of every county of a province in one year, best first.

    Parameters
    ----------
    in_year : DataFrame
        Long indicator table of the province for one year (``county_code, county_name,
        province, year, indicator, value``).
    counties : DataFrame
        ``county_code, county_name`` of every county to list (counties without a score last).

    Returns
    -------
    DataFrame
        Columns :data:`COMPOSITE_RANKING_COLUMNS`; ranks and grades missing when fewer than
        :data:`~ylt_eval.analysis.comparison.MIN_PEERS` counties have a score.
    """
    from ylt_eval.metrics.grading import composite_scores

    table = counties[["county_code", "county_name"]].reset_index(drop=True).copy()
    for method in ("equal", "entropy"):
        scores = composite_scores(in_year, method=method).scores.set_index("county_code")
        enough = scores["score"].notna().sum() >= MIN_PEERS
        table[f"score_{method}"] = table["county_code"].map(scores["score"]).astype(float)
        rank = table["county_code"].map(scores["rank"]).astype("Int64")
        table[f"rank_{method}"] = rank if enough else pd.array([pd.NA] * len(table), "Int64")
        if method == "equal":
            grade = table["county_code"].map(scores["grade"]).astype(object)
            table["grade_equal"] = grade.where(grade.notna() & enough, None)
            counts = table["county_code"].map(scores["n_indicators"])
            table["n_indicators"] = counts.fillna(0).astype(np.int64)
    table = table.sort_values(
        ["rank_equal", "county_code"], na_position="last", kind="stable"
    ).reset_index(drop=True)
    return table[list(COMPOSITE_RANKING_COLUMNS)]


def grade_distribution(in_year: pd.DataFrame, dimensions: tuple[str, ...]) -> pd.DataFrame:
    """Counties per grade and per target status of every indicator, with its entropy weight.

    Parameters
    ----------
    in_year : DataFrame
        Long indicator table of the province for one year, catalogue indicators only. Targets
        that compare with the previous year need that year too: pass it as well and only the
        latest year is counted.
    dimensions : tuple of str
        Dimension order of the output.

    Returns
    -------
    DataFrame
        Columns :data:`GRADE_DISTRIBUTION_COLUMNS`, one row per indicator with a value in the
        latest year, dimensions in the given order, catalogue order within each;
        ``met``/``not_met`` are missing for indicators without a target and
        ``entropy_weight`` for indicators outside the composite score.
    """
    from ylt_eval.metrics.assessment import assess
    from ylt_eval.metrics.catalogue import indicator
    from ylt_eval.metrics.grading import GRADES, composite_scores

    if in_year.empty:
        return pd.DataFrame(columns=list(GRADE_DISTRIBUTION_COLUMNS))
    year = int(in_year["year"].max())
    table = assess(in_year)
    table = table[(table["year"] == year) & table["value"].notna()]
    latest = in_year[in_year["year"] == year]
    weights = composite_scores(latest, method="entropy").weights.set_index("indicator")["weight"]
    rows = []
    for code, group in table.groupby("indicator", sort=False):
        grades = group["grade"].value_counts()
        status = group["status"].value_counts()
        has_target = bool((group["status"] != "no_target").any())
        rows.append(
            {
                "dimension": indicator(code).dimension,
                "indicator": code,
                "n_graded": int(grades.sum()),
                **{grade: int(grades.get(grade, 0)) for grade in GRADES},
                "met": int(status.get("met", 0)) if has_target else pd.NA,
                "not_met": int(status.get("not_met", 0)) if has_target else pd.NA,
                "entropy_weight": float(weights.get(code, np.nan)),
            }
        )
    frame = pd.DataFrame(rows, columns=list(GRADE_DISTRIBUTION_COLUMNS))
    frame = frame.astype({"met": "Int64", "not_met": "Int64"})
    order = {dimension: position for position, dimension in enumerate(dimensions)}
    frame = frame[frame["dimension"].isin(order)]
    frame = frame.assign(_order=frame["dimension"].map(order)).sort_values("_order", kind="stable")
    return frame.drop(columns="_order").reset_index(drop=True)


def county_warnings(long: pd.DataFrame, counties: pd.DataFrame, year: int) -> pd.DataFrame:
    """Counties of a province with at least one warning in ``year``.

    Parameters
    ----------
    long : DataFrame
        Long indicator table of the province up to ``year`` (catalogue indicators only):
        ``county_code, county_name, province, year, indicator, value``.
    counties : DataFrame
        ``county_code, county_name`` of the province.
    year : int

    Returns
    -------
    DataFrame
        Columns :data:`COUNTY_WARNING_COLUMNS`: warnings per rule, and the indicators
        concerned (catalogue codes joined by ``,`` in catalogue order); most warnings first,
        then by county code.
    """
    from ylt_eval.metrics.assessment import assess_with_warnings

    empty = pd.DataFrame(columns=list(COUNTY_WARNING_COLUMNS))
    if long.empty:
        return empty
    columns = ["county_code", "county_name", "province", "year", "indicator", "value"]
    _, warnings = assess_with_warnings(long[columns])
    warnings = warnings[warnings["year"] == year]
    if warnings.empty:
        return empty
    names = counties.set_index("county_code")["county_name"]
    rows = []
    for code, group in warnings.groupby("county_code", sort=True):
        rules = group["rule"].value_counts()
        rows.append(
            {
                "county_code": str(code),
                "county_name": str(names.get(code, "")),
                "n_warnings": len(group),
                "target_missed": int(rules.get("target_missed", 0)),
                "wrong_way": int(rules.get("wrong_way", 0)),
                "peer_outlier": int(rules.get("peer_outlier", 0)),
                "indicators": ",".join(dict.fromkeys(group["indicator"].astype(str))),
            }
        )
    table = pd.DataFrame(rows, columns=list(COUNTY_WARNING_COLUMNS))
    table = table.sort_values(["n_warnings", "county_code"], ascending=[False, True], kind="stable")
    return table.reset_index(drop=True)


def grade_counts(composite: pd.DataFrame) -> pd.DataFrame:
    """Counties per composite grade (equal weights), in grade order, ungraded last.

    Parameters
    ----------
    composite : DataFrame
        :func:`composite_ranking`'s table.

    Returns
    -------
    DataFrame
        Columns :data:`GRADE_COUNT_COLUMNS`; ``grade`` is 优/良/中/差 or ``""`` (no grade).
    """
    from ylt_eval.metrics.grading import GRADES

    grades = composite["grade_equal"]
    rows = [{"grade": grade, "n": int((grades == grade).sum())} for grade in GRADES]
    rows.append({"grade": "", "n": int(grades.isna().sum())})
    return pd.DataFrame(rows, columns=list(GRADE_COUNT_COLUMNS))
