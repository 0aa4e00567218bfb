"""Executive summary of a county report: overall grade and key findings chosen by fixed rules.

Every finding is picked from numbers computed elsewhere (scorecard, warnings, estimates) by a
rule written here, so the same data always give the same findings in the same order:

1. ``targets`` — targets met and missed in the year, naming up to :data:`NAMED_MISSED` missed
   ones (catalogue order);
2. ``improved`` / ``deteriorated`` — the indicators that moved most in the desirable / the
   undesirable direction since the previous year. Changes of different indicators are made
   comparable by dividing by the spread of the indicator across the province's counties in the
   year (interquartile range; indicators without spread are left out; with fewer than
   ``MIN_PEERS`` counties, by the previous value, i.e. the relative change). Growth-rate
   indicators are left out (their level indicator carries the same news) and so are
   indicators kept for monitoring only;
3. ``peers`` — the indicators with the best and the worst rank in the province (rank divided by
   the counties ranked; ties go to catalogue order);
4. ``effect`` — the county's own synthetic-DiD estimate, or the province-level average effect
   when the county has none.

At most :data:`MAX_FINDINGS` findings are kept, in this order; a finding whose numbers do not
exist (no targets, no previous year, fewer than ``MIN_PEERS`` counties, no estimate) is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ylt_eval.analysis.comparison import MIN_PEERS

#: Most findings an executive summary shows.
MAX_FINDINGS = 5
#: Missed targets named in the ``targets`` finding.
NAMED_MISSED = 3

#: Columns of :func:`outcome_positions`.
POSITION_COLUMNS: tuple[str, ...] = (
    "dimension",
    "indicator",
    "value",
    "status",
    "grade",
    "rank",
    "n_ranked",
    "better_than",
)


@dataclass(frozen=True)
class Finding:
    """One key finding: a kind, the indicator(s) it is about and the numbers it states.

    Attributes
    ----------
    kind : str
        ``targets``, ``improved``, ``deteriorated``, ``peers`` or ``effect``.
    indicators : tuple of str
        Catalogue codes the finding names (``peers``: best then worst; ``targets``: missed
        ones; ``effect``: the outcome).
    values : tuple of (name, value)
        The numbers behind the sentence, by name (``value``, ``previous``, ``change``,
        ``rank``, ``n_ranked``, ``met``, ``not_met``, ``estimate``, ``p_value`` ...).
    source : str
        ``effect`` only: ``county`` (own synthetic DiD) or ``province`` (Callaway–Sant'Anna).
    """

    kind: str
    indicators: tuple[str, ...]
    values: tuple[tuple[str, float | int | str | None], ...]
    source: str = ""

    def value(self, name: str) -> float | int | str | None:
        """The number called ``name`` (KeyError if the finding has none)."""
        return dict(self.values)[name]


@dataclass(frozen=True)
class ExecutiveSummary:
    """Overall grade, target and warning counts and the key findings of one county and year.

    Attributes
    ----------
    grade : str or None
        Composite grade (equal weights, 优/良/中/差); None below ``MIN_PEERS`` counties.
    score : float
        Composite score 0–100 (NaN when the county has none).
    rank, n_ranked : int or None, int
        Rank of the composite score in the province.
    n_met, n_not_met : int
        Indicators meeting and missing a target in force.
    n_warnings, n_warned_indicators : int
        Warnings raised and indicators they concern.
    findings : tuple of Finding
    """

    grade: str | None
    score: float
    rank: int | None
    n_ranked: int
    n_met: int
    n_not_met: int
    n_warnings: int
    n_warned_indicators: int
    findings: tuple[Finding, ...]


def executive_summary(
    assessment,
    spread: pd.Series,
    *,
    counterfactual=None,
    impact=None,
) -> ExecutiveSummary:
    """Apply the finding rules of this module to one county's numbers.

    Parameters
    ----------
    assessment : CountyAssessment
        Scorecard, warnings and composite scores of the county.
    spread : Series
        Interquartile range of each indicator across the province's counties in the year
        (NaN below ``MIN_PEERS`` counties); see :func:`indicator_spread`.
    counterfactual : CountyCounterfactual, optional
    impact : ImpactEstimate, optional

    Returns
    -------
    ExecutiveSummary
    """
    equal = next((c for c in assessment.composite if c.method == "equal"), None)
    counts = assessment.status_counts
    candidates = (
        _targets_finding(assessment.scorecard, counts),
        *_change_findings(assessment.scorecard, spread),
        _peers_finding(assessment.scorecard),
        _effect_finding(counterfactual, impact),
    )
    findings = tuple(f for f in candidates if f is not None)[:MAX_FINDINGS]
    warnings = assessment.warnings
    return ExecutiveSummary(
        grade=equal.grade if equal is not None else None,
        score=equal.score if equal is not None else float("nan"),
        rank=equal.rank if equal is not None else None,
        n_ranked=equal.n_ranked if equal is not None else 0,
        n_met=counts["met"],
        n_not_met=counts["not_met"],
        n_warnings=len(warnings),
        n_warned_indicators=int(warnings["indicator"].nunique()) if len(warnings) else 0,
        findings=findings,
    )


def indicator_spread(province_rows: pd.DataFrame, year: int) -> pd.Series:
    """Interquartile range of every indicator across counties in ``year``.

    Parameters
    ----------
    province_rows : DataFrame
        Long indicator table of the peer set (``county_code, year, indicator, value``).
    year : int

    Returns
    -------
    Series
        Indicator code → IQR; NaN with fewer than ``MIN_PEERS`` counties with a value.
    """
    values = province_rows.loc[province_rows["year"] == year, ["indicator", "value"]].dropna()
    grouped = values.groupby("indicator")["value"]
    iqr = grouped.quantile(0.75) - grouped.quantile(0.25)
    return iqr.where(grouped.count() >= MIN_PEERS).astype(float)


def outcome_positions(scorecard: pd.DataFrame, dimensions: tuple[str, ...]) -> pd.DataFrame:
    """Scorecard rows of the outcome dimensions with the county's position among its peers.

    Parameters
    ----------
    scorecard : DataFrame
        :attr:`CountyAssessment.scorecard`.
    dimensions : tuple of str
        Dimensions of the quality-and-health section (``report.toml``).

    Returns
    -------
    DataFrame
        Columns :data:`POSITION_COLUMNS`; ``better_than`` is the share (percent) of the other
        ranked counties with a worse rank, ``(n_ranked - rank) / (n_ranked - 1) × 100``, NaN
        when the indicator is not ranked.
    """
    rows = scorecard[scorecard["dimension"].isin(dimensions)].copy()
    order = {dimension: position for position, dimension in enumerate(dimensions)}
    rows = rows.assign(_order=rows["dimension"].map(order)).sort_values("_order", kind="stable")
    rank = rows["rank"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    n = rows["n_ranked"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        better = np.where(n > 1, (n - rank) / (n - 1) * 100.0, np.nan)
    rows["better_than"] = better
    return rows[list(POSITION_COLUMNS)].reset_index(drop=True)


def _eligible(scorecard: pd.DataFrame) -> pd.DataFrame:
    """Rows whose year-on-year change says something about performance."""
    from ylt_eval.metrics.catalogue import indicator

    keep = []
    for row in scorecard.itertuples():
        spec = indicator(row.indicator)
        usable = (
            spec.direction in {"up", "down", "target"}
            and spec.kind not in {"growth", "qualitative"}
            and np.isfinite(row.value)
            and np.isfinite(row.previous)
        )
        keep.append(usable)
    return scorecard[np.asarray(keep, dtype=bool)] if len(scorecard) else scorecard


def _oriented_change(code: str, value: float, previous: float) -> float:
    """Change in the desirable direction (positive = better)."""
    from ylt_eval.metrics.catalogue import indicator

    spec = indicator(code)
    if spec.direction == "down":
        return previous - value
    if spec.direction == "target" and spec.target_value is not None:
        return abs(previous - spec.target_value) - abs(value - spec.target_value)
    return value - previous


def _change_findings(scorecard: pd.DataFrame, spread: pd.Series) -> tuple[Finding | None, ...]:
    rows = _eligible(scorecard)
    if rows.empty:
        return (None, None)
    scores = []
    for row in rows.itertuples():
        oriented = _oriented_change(row.indicator, row.value, row.previous)
        scale = float(spread.get(row.indicator, np.nan))
        scores.append((oriented, scale, abs(row.previous)))
    # One scale for every indicator of the county: the province spread when the province has
    # peers (an indicator without spread, such as a rate that is zero almost everywhere, is
    # left out), otherwise the previous value (relative change).
    by_spread = any(np.isfinite(s) for _, s, _ in scores)
    standardised = []
    for oriented, scale, base in scores:
        divisor = scale if by_spread else base
        standardised.append(oriented / divisor if np.isfinite(divisor) and divisor > 0 else np.nan)
    measure = np.asarray(standardised, dtype=float)
    findings: list[Finding | None] = []
    for kind, pick in (("improved", np.nanargmax), ("deteriorated", np.nanargmin)):
        if not np.isfinite(measure).any():
            findings.append(None)
            continue
        position = int(pick(measure))  # first of ties: catalogue order
        size = float(measure[position])
        if (kind == "improved" and size <= 0) or (kind == "deteriorated" and size >= 0):
            findings.append(None)
            continue
        row = rows.iloc[position]
        findings.append(
            Finding(
                kind=kind,
                indicators=(str(row["indicator"]),),
                values=(
                    ("value", float(row["value"])),
                    ("previous", float(row["previous"])),
                    ("change", float(row["change"])),
                    ("standardised_change", size),
                    ("scale", "province_iqr" if by_spread else "previous_value"),
                ),
            )
        )
    return tuple(findings)


def _targets_finding(scorecard: pd.DataFrame, counts: dict[str, int]) -> Finding | None:
    if counts["met"] + counts["not_met"] == 0:
        return None
    missed = scorecard.loc[scorecard["status"] == "not_met", "indicator"].tolist()
    return Finding(
        kind="targets",
        indicators=tuple(missed[:NAMED_MISSED]),
        values=(("met", counts["met"]), ("not_met", counts["not_met"])),
    )


def _peers_finding(scorecard: pd.DataFrame) -> Finding | None:
    ranked = scorecard[scorecard["rank"].notna() & (scorecard["n_ranked"] >= MIN_PEERS)]
    if len(ranked) < 2:
        return None
    share = ranked["rank"].astype(float).to_numpy() / ranked["n_ranked"].to_numpy(dtype=float)
    best = ranked.iloc[int(np.argmin(share))]
    worst = ranked.iloc[int(np.argmax(share))]
    if best["indicator"] == worst["indicator"]:
        return None
    return Finding(
        kind="peers",
        indicators=(str(best["indicator"]), str(worst["indicator"])),
        values=(
            ("best_value", float(best["value"])),
            ("best_rank", int(best["rank"])),
            ("best_n_ranked", int(best["n_ranked"])),
            ("worst_value", float(worst["value"])),
            ("worst_rank", int(worst["rank"])),
            ("worst_n_ranked", int(worst["n_ranked"])),
        ),
    )


def _effect_finding(counterfactual, impact) -> Finding | None:
    if counterfactual is not None:
        return Finding(
            kind="effect",
            indicators=(counterfactual.outcome,),
            values=(
                ("estimate", float(counterfactual.att)),
                ("p_value", float(counterfactual.p_value)),
                ("verdict", counterfactual.verdict),
                ("reform_year", int(counterfactual.reform_year)),
            ),
            source="county",
        )
    if impact is not None:
        return Finding(
            kind="effect",
            indicators=(impact.outcome,),
            values=(
                ("estimate", float(impact.overall)),
                ("std_error", float(impact.overall_se)),
                ("n_treated", int(impact.n_treated)),
            ),
            source="province",
        )
    return None
