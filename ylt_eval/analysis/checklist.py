"""The county's integration (紧密型) scorecard from a filled checklist, when one is supplied."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

#: Why an integration section has no scores: ``no_checklist`` (no file given) or
#: ``no_records`` (the file has no rows for the county and year).
EMPTY_REASONS: tuple[str, ...] = ("no_checklist", "no_records")


@dataclass(frozen=True)
class CountyIntegration:
    """Integration scores of one county and year.

    Attributes
    ----------
    source_name : str
        File name of the checklist ("" when none was given).
    overall : dict
        ``score`` (0–100), ``n_items``, ``n_met``, ``n_partial``, ``n_not_met``, ``n_missing``;
        empty when there are no scores.
    communities : DataFrame
        Columns of :data:`ylt_eval.metrics.integration.COMMUNITY_COLUMNS` for the county and
        year, in checklist order.
    items : DataFrame
        Columns of :data:`ylt_eval.metrics.integration.ITEM_COLUMNS` for the county and year.
    empty_reason : str or None
        One of :data:`EMPTY_REASONS`, None when scores exist.
    qualitative : DataFrame
        The checklist's values of the qualitative catalogue indicators for every county and
        year of the file (``county_code, year, indicator, value``), for the assessment.
    """

    source_name: str
    overall: dict
    communities: pd.DataFrame
    items: pd.DataFrame
    empty_reason: str | None
    qualitative: pd.DataFrame


def county_integration(
    checklist_path: Path | None, county_code: str, year: int
) -> CountyIntegration:
    """Score the county's checklist for the year.

    Parameters
    ----------
    checklist_path : Path or None
        Filled checklist (CSV or XLSX); None when not supplied.
    county_code : str
    year : int

    Returns
    -------
    CountyIntegration

    Raises
    ------
    DataValidationError
        If the checklist cannot be read or holds an unknown item or status.
    """
    from ylt_eval.metrics.integration import (
        COMMUNITY_COLUMNS,
        ITEM_COLUMNS,
        qualitative_indicator_values,
        read_checklist,
        score_integration,
    )

    empty_qualitative = pd.DataFrame(columns=["county_code", "year", "indicator", "value"])
    if checklist_path is None:
        return CountyIntegration(
            "",
            {},
            pd.DataFrame(columns=list(COMMUNITY_COLUMNS)),
            pd.DataFrame(columns=list(ITEM_COLUMNS)),
            "no_checklist",
            empty_qualitative,
        )
    filled = read_checklist(checklist_path)
    scorecard = score_integration(filled)
    qualitative = qualitative_indicator_values(scorecard)
    overall = scorecard.overall[
        (scorecard.overall["county_code"] == county_code) & (scorecard.overall["year"] == year)
    ]
    communities = scorecard.communities[
        (scorecard.communities["county_code"] == county_code)
        & (scorecard.communities["year"] == year)
    ].reset_index(drop=True)
    items = scorecard.items[
        (scorecard.items["county_code"] == county_code) & (scorecard.items["year"] == year)
    ].reset_index(drop=True)
    name = Path(checklist_path).name
    if overall.empty:
        return CountyIntegration(name, {}, communities, items, "no_records", qualitative)
    row = overall.iloc[0]
    summary = {
        "score": float(row["score"]),
        **{
            key: int(row[key])
            for key in ("n_items", "n_met", "n_partial", "n_not_met", "n_missing")
        },
    }
    return CountyIntegration(name, summary, communities, items, None, qualitative)
