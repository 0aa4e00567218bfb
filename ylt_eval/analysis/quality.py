"""Data quality of one county's report: what the input said, lacked, contradicted or withheld."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

#: Columns of :attr:`DataQuality.issues`.
ISSUE_COLUMNS: tuple[str, ...] = ("rule", "row", "column", "message_zh", "message_en")
#: Columns of :attr:`DataQuality.missing`.
MISSING_COLUMNS: tuple[str, ...] = ("dimension", "indicator", "reason", "last_year")
#: Columns of :attr:`DataQuality.disagreements`.
DISAGREEMENT_COLUMNS: tuple[str, ...] = ("year", "indicator", "computed", "supplied")
#: Columns of :attr:`DataQuality.withheld`.
WITHHELD_COLUMNS: tuple[str, ...] = ("year", "indicator", "columns")


@dataclass(frozen=True)
class DataQuality:
    """Everything a reader should know about the data behind one county report.

    Attributes
    ----------
    issues : DataFrame
        Columns :data:`ISSUE_COLUMNS`: non-blocking validation warnings about this county or
        the whole file (file order).
    missing : DataFrame
        Columns :data:`MISSING_COLUMNS`: catalogue indicators of the report's dimensions that
        other counties of the province have in the year but this county has not; ``reason``
        is ``withheld`` (small-cell rule) or ``not_supplied``; ``last_year`` is the latest
        earlier year with a value (missing when none).
    disagreements : DataFrame
        Columns :data:`DISAGREEMENT_COLUMNS`: supplied indicator values of this county that
        disagree with the values computed from its raw counts (the computed value is used).
    withheld : DataFrame
        Columns :data:`WITHHELD_COLUMNS`: cells of this county (up to the year) withheld by
        the small-cell rule, with the raw columns that triggered it.
    disclosure_checked : bool
        False when the input had no raw counts, so small cells could not be checked.
    """

    issues: pd.DataFrame
    missing: pd.DataFrame
    disagreements: pd.DataFrame
    withheld: pd.DataFrame
    disclosure_checked: bool

    @property
    def n_notes(self) -> int:
        """Issues, missing indicators, disagreements and withheld cells in all."""
        return len(self.issues) + len(self.missing) + len(self.disagreements) + len(self.withheld)


def county_data_quality(
    data,
    publication,
    peer_rows: pd.DataFrame,
    county_code: str,
    year: int,
    dimensions: tuple[str, ...],
) -> DataQuality:
    """Collect the data-quality notes of one county and year.

    Parameters
    ----------
    data : AssessmentData
        The validated input (its ``issues`` and ``disagreements``).
    publication : Publication
        Disclosure control applied to the report.
    peer_rows : DataFrame
        Published long indicator table of the county's peer set (``county_code, year,
        indicator, value``).
    county_code : str
    year : int
    dimensions : tuple of str
        Catalogue dimensions the report covers.

    Returns
    -------
    DataQuality
    """
    withheld = publication.withheld
    own_withheld = withheld[
        (withheld["county_code"].astype(str) == county_code) & (withheld["year"] <= year)
    ]
    own_withheld = own_withheld.sort_values(["year", "indicator"], kind="stable")
    return DataQuality(
        issues=_issues(data, county_code),
        missing=_missing(peer_rows, own_withheld, county_code, year, dimensions),
        disagreements=_disagreements(data.disagreements, county_code, year),
        withheld=own_withheld[list(WITHHELD_COLUMNS)].reset_index(drop=True),
        disclosure_checked=bool(publication.checked),
    )


def _issues(data, county_code: str) -> pd.DataFrame:
    rows = [
        (issue.rule, issue.row, issue.column or "", issue.message_zh, issue.message_en)
        for issue in getattr(data, "issues", ())
        if issue.county_code in (None, county_code)
    ]
    frame = pd.DataFrame(rows, columns=list(ISSUE_COLUMNS))
    return frame.astype({"row": "Int64"})


def _missing(
    peer_rows: pd.DataFrame,
    withheld: pd.DataFrame,
    county_code: str,
    year: int,
    dimensions: tuple[str, ...],
) -> pd.DataFrame:
    from ylt_eval.metrics.catalogue import catalogue

    known = peer_rows.dropna(subset=["value"])
    in_year = known[known["year"] == year]
    others = set(in_year.loc[in_year["county_code"] != county_code, "indicator"])
    own = known[known["county_code"] == county_code]
    present = set(own.loc[own["year"] == year, "indicator"])
    withheld_now = set(withheld.loc[withheld["year"] == year, "indicator"])
    rows = []
    for item in catalogue():
        if item.dimension not in dimensions or item.code in present:
            continue
        if item.code not in others and item.code not in withheld_now:
            continue
        earlier = own.loc[(own["indicator"] == item.code) & (own["year"] < year), "year"]
        rows.append(
            (
                item.dimension,
                item.code,
                "withheld" if item.code in withheld_now else "not_supplied",
                int(earlier.max()) if len(earlier) else None,
            )
        )
    frame = pd.DataFrame(rows, columns=list(MISSING_COLUMNS)).astype({"last_year": "Int64"})
    order = {dimension: position for position, dimension in enumerate(dimensions)}
    frame = frame.assign(_order=frame["dimension"].map(order))
    return frame.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


def _disagreements(table: pd.DataFrame, county_code: str, year: int) -> pd.DataFrame:
    if table is None or table.empty or "county_code" not in table.columns:
        return pd.DataFrame(
            {
                "year": pd.Series(dtype="int64"),
                "indicator": pd.Series(dtype="object"),
                "computed": pd.Series(dtype="float64"),
                "supplied": pd.Series(dtype="float64"),
            }
        )
    own = table[(table["county_code"].astype(str) == county_code) & (table["year"] <= year)]
    own = own.sort_values(["year", "indicator"], kind="stable")
    return own[list(DISAGREEMENT_COLUMNS)].astype({"year": "int64"}).reset_index(drop=True)
