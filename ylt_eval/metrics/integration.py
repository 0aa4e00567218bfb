"""The integration (紧密型) scorecard: qualitative checklist items scored per community.

Counties report each checklist item every year with a status and evidence (a long table
``county_code, year, item, status, evidence``, from CSV or XLSX). Items come from
``resources/integration_checklist.toml``: the three qualitative items of the 2024 national
monitoring set and the 八统一 / 十个统一 of the seeds, each in one of the four communities
(责任 / 管理 / 服务 / 利益共同体) with a weight.

Scoring
    有制度且已落实 (``met``) = 1 point, 有制度未落实 (``partial``) = 0.5, 无 (``not_met``) = 0,
    未填报 (``missing``, also an item left out of the table) = 0 and counted in ``n_missing``.
    A community's score is ``100 × Σ weight × points / Σ weight`` over its items; the overall
    score is the same sum over all items (not the mean of the four community scores).
"""

from __future__ import annotations

import difflib
import os
import tempfile
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from ylt_eval.errors import DataValidationError, ParameterError
from ylt_eval.metrics.catalogue import PROVENANCES, catalogue
from ylt_eval.readers import normalize_header, read_table
from ylt_eval.resources import resource_path

#: Canonical status codes, best first.
STATUS_CODES: tuple[str, ...] = ("met", "partial", "not_met", "missing")

#: Chinese label of each status code (the wording of the input form).
STATUS_LABELS_ZH: dict[str, str] = {
    "met": "有制度且已落实",
    "partial": "有制度未落实",
    "not_met": "无",
    "missing": "未填报",
}

#: English label of each status code.
STATUS_LABELS_EN: dict[str, str] = {
    "met": "rules exist and are implemented",
    "partial": "rules exist, not implemented",
    "not_met": "none",
    "missing": "not reported",
}

#: Points of each status (times the item's weight).
STATUS_POINTS: dict[str, float] = {"met": 1.0, "partial": 0.5, "not_met": 0.0, "missing": 0.0}

#: Columns of the checklist input.
CHECKLIST_COLUMNS: tuple[str, ...] = ("county_code", "year", "item", "status", "evidence")

#: Columns of the blank template (the input columns, then guidance for the person filling it).
TEMPLATE_COLUMNS: tuple[str, ...] = (
    *CHECKLIST_COLUMNS,
    "item_name_zh",
    "community_zh",
    "criterion_zh",
    "item_name_en",
    "criterion_en",
)

#: Columns of :attr:`IntegrationScorecard.items`.
ITEM_COLUMNS: tuple[str, ...] = (
    "county_code",
    "year",
    "item",
    "name_zh",
    "name_en",
    "community",
    "weight",
    "status",
    "status_zh",
    "status_en",
    "points",
    "evidence",
    "provenance",
)

#: Columns of :attr:`IntegrationScorecard.communities`.
COMMUNITY_COLUMNS: tuple[str, ...] = (
    "county_code",
    "year",
    "community",
    "name_zh",
    "name_en",
    "score",
    "n_items",
    "n_met",
    "n_partial",
    "n_not_met",
    "n_missing",
)

_STATUS_ALIASES: dict[str, tuple[str, ...]] = {
    "met": ("有制度且已落实", "有制度已落实", "有制度且落实", "已落实", "达标", "met", "yes"),
    "partial": ("有制度未落实", "有制度但未落实", "有制度尚未落实", "partial", "partly met"),
    "not_met": ("无", "无制度", "未达标", "not_met", "not met", "no", "none"),
    "missing": ("未填报", "missing", "not reported", ""),
}

_HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "county_code": ("county_code", "县级行政区划代码", "县区代码", "区划代码", "County code"),
    "year": ("year", "年份", "年度", "Year"),
    "item": ("item", "条目", "条目代码", "评价条目", "项目", "Item"),
    "status": ("status", "状态", "落实情况", "评价结果", "Status"),
    "evidence": ("evidence", "佐证材料", "佐证", "证明材料", "Evidence"),
}


class ChecklistError(ParameterError):
    """The checklist definition file breaks its format."""


@dataclass(frozen=True)
class Community:
    """One of the four communities (责任/管理/服务/利益共同体)."""

    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class ChecklistItem:
    """One item of the integration checklist.

    Attributes
    ----------
    code : str
        Stable snake_case code (the ``item`` of the input table).
    name_zh, name_en : str
    community : str
        Code of the community the item counts toward.
    weight : float
        Relative weight (> 0).
    criterion_zh, criterion_en : str
        What evidence makes the item "met".
    source : str
        Where the item comes from.
    provenance : str
        ``S``, ``C`` or ``R``.
    catalogue_indicator : str or None
        Qualitative catalogue indicator the item feeds (value 1 = met, 0 = not met).
    """

    code: str
    name_zh: str
    name_en: str
    community: str
    weight: float
    criterion_zh: str
    criterion_en: str
    source: str
    provenance: str
    catalogue_indicator: str | None = None


@dataclass(frozen=True)
class Checklist:
    """The communities and items of a checklist definition.

    Attributes
    ----------
    communities : tuple of Community
    items : tuple of ChecklistItem
        In file order.
    """

    communities: tuple[Community, ...]
    items: tuple[ChecklistItem, ...]

    def item(self, code: str) -> ChecklistItem:
        """Return the item with this code.

        Raises
        ------
        ParameterError
            If no item has this code.
        """
        for candidate in self.items:
            if candidate.code == code:
                return candidate
        raise ParameterError(f"unknown checklist item {code!r}")


@dataclass(frozen=True, eq=False)
class IntegrationScorecard:
    """Scores of every county and year.

    Attributes
    ----------
    items : pandas.DataFrame
        Columns :data:`ITEM_COLUMNS`: one row per county × year × item (items not reported
        included, status ``missing``); ``points`` is 1 / 0.5 / 0 before weighting.
    communities : pandas.DataFrame
        Columns :data:`COMMUNITY_COLUMNS`: score (0–100) and item counts per community.
    overall : pandas.DataFrame
        ``county_code, year, score, n_items, n_met, n_partial, n_not_met, n_missing`` and one
        ``score_<community>`` column per community.
    checklist : Checklist
        The checklist definition scored against.
    """

    items: pd.DataFrame
    communities: pd.DataFrame
    overall: pd.DataFrame
    checklist: Checklist


def load_checklist(path: str | Path | None = None) -> Checklist:
    """Read and validate a checklist definition.

    Parameters
    ----------
    path : str or Path, optional
        TOML file; the packaged ``integration_checklist.toml`` by default.

    Returns
    -------
    Checklist

    Raises
    ------
    ChecklistError
        Unreadable file, unknown or missing fields, unknown community, duplicate code,
        non-positive weight, bad provenance, unknown or non-qualitative catalogue indicator.
    """
    source = Path(path) if path is not None else resource_path("integration_checklist.toml")
    try:
        with source.open("rb") as handle:
            document = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ChecklistError(f"{source.name}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ChecklistError(f"cannot read checklist {source}: {exc}") from exc
    unknown = sorted(set(document) - {"community", "item"})
    if unknown:
        raise ChecklistError(f"{source.name}: unknown top-level key(s) {unknown}")

    communities = []
    for entry in document.get("community", []):
        fields = _text_fields(entry, ("code", "name_zh", "name_en"), (), "community")
        communities.append(Community(**fields))
    community_codes = [c.code for c in communities]
    if not communities or len(set(community_codes)) != len(community_codes):
        raise ChecklistError(f"{source.name}: communities missing or repeated")

    qualitative = {item.code for item in catalogue() if item.kind == "qualitative"}
    items: list[ChecklistItem] = []
    for entry in document.get("item", []):
        required = (
            "code",
            "name_zh",
            "name_en",
            "community",
            "criterion_zh",
            "criterion_en",
            "source",
            "provenance",
        )
        fields = _text_fields(entry, required, ("catalogue_indicator",), "item")
        label = f"item {fields['code']!r}"
        allowed = {*required, "catalogue_indicator", "weight"}
        extra = sorted(set(entry) - allowed)
        if extra:
            raise ChecklistError(f"{label}: unknown field(s) {extra}")
        if fields["community"] not in community_codes:
            raise ChecklistError(f"{label}: community {fields['community']!r} is not defined")
        if fields["provenance"] not in PROVENANCES:
            raise ChecklistError(f"{label}: provenance must be one of {sorted(PROVENANCES)}")
        weight = entry.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight > 0:
            raise ChecklistError(f"{label}: weight must be a positive number")
        linked = fields.get("catalogue_indicator")
        if linked is not None and linked not in qualitative:
            raise ChecklistError(f"{label}: {linked!r} is not a qualitative catalogue indicator")
        if any(existing.code == fields["code"] for existing in items):
            raise ChecklistError(f"{label}: duplicate code")
        items.append(ChecklistItem(weight=float(weight), **fields))
    if not items:
        raise ChecklistError(f"{source.name}: no [[item]] tables found")
    return Checklist(tuple(communities), tuple(items))


@cache
def default_checklist() -> Checklist:
    """Return the packaged checklist (validated once, then cached)."""
    return load_checklist()


def normalise_status(values: Iterable[object]) -> np.ndarray:
    """Map status entries to :data:`STATUS_CODES`.

    Parameters
    ----------
    values : iterable
        Chinese labels (有制度且已落实 / 有制度未落实 / 无 / 未填报), English codes (met /
        partial / not_met / missing) and a few common variants; blank or missing = missing.

    Returns
    -------
    numpy.ndarray
        object array of status codes.

    Raises
    ------
    DataValidationError
        If an entry is not recognised; the message lists the accepted wording.
    """
    lookup = _status_lookup()
    result = []
    unknown = []
    for value in values:
        key = "" if value is None or (isinstance(value, float) and np.isnan(value)) else value
        code = lookup.get(_fold(str(key)))
        if code is None:
            unknown.append(str(value))
        result.append(code)
    if unknown:
        shown = ", ".join(repr(v) for v in sorted(set(unknown))[:5])
        accepted = " / ".join(STATUS_LABELS_ZH.values())
        raise DataValidationError(
            f"unknown checklist status {shown}: use {accepted} (or met / partial / not_met / "
            "missing)"
        )
    return np.asarray(result, dtype=object)


def read_checklist(path: str | Path, *, sheet: str | None = None) -> pd.DataFrame:
    """Read a filled checklist from CSV or XLSX.

    Parameters
    ----------
    path : str or Path
        ``.csv`` or ``.xlsx``; headers in English (``county_code, year, item, status,
        evidence``) or Chinese (县级行政区划代码, 年份, 条目, 落实情况, 佐证材料). Other columns
        (the template's guidance) are ignored.
    sheet : str, optional
        Worksheet to read.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CHECKLIST_COLUMNS`, every cell as text.

    Raises
    ------
    DataValidationError
        If the file cannot be read (see :func:`ylt_eval.readers.read_table`) or a column is
        missing.
    """
    table = read_table(path, sheet=sheet)
    aliases = {
        normalize_header(alias): column
        for column, names in _HEADER_ALIASES.items()
        for alias in names
    }
    renamed: dict[str, str] = {}
    for label, header in zip(table.frame.columns, table.headers, strict=True):
        column = aliases.get(normalize_header(header))
        if column is not None and column not in renamed.values():
            renamed[label] = column
    frame = table.frame.rename(columns=renamed)
    missing = [c for c in CHECKLIST_COLUMNS if c not in frame.columns and c != "evidence"]
    if missing:
        raise DataValidationError(f"{Path(path).name}: checklist lacks column(s) {missing}")
    if "evidence" not in frame.columns:
        frame["evidence"] = ""
    return frame[list(CHECKLIST_COLUMNS)].reset_index(drop=True)


def score_integration(
    checklist_df: pd.DataFrame, *, checklist: Checklist | None = None
) -> IntegrationScorecard:
    """Score the integration checklist of every county and year.

    Parameters
    ----------
    checklist_df : pandas.DataFrame
        Columns ``county_code, year, item, status`` and optionally ``evidence``; ``item`` is an
        item code or its Chinese name. Not modified.
    checklist : Checklist, optional
        Defaults to the packaged checklist.

    Returns
    -------
    IntegrationScorecard

    Raises
    ------
    DataValidationError
        Missing column, missing county code or year, non-integer year, unknown item or status,
        or a county × year × item reported twice.
    """
    definition = checklist if checklist is not None else default_checklist()
    frame = _validated_input(checklist_df, definition)
    units = frame[["county_code", "year"]].drop_duplicates()
    units = units.sort_values(["county_code", "year"], kind="stable").reset_index(drop=True)
    grid = units.merge(
        pd.DataFrame({"item": [item.code for item in definition.items]}), how="cross"
    )
    grid = grid.merge(frame, on=["county_code", "year", "item"], how="left")
    grid["status"] = grid["status"].fillna("missing")
    grid["evidence"] = grid["evidence"].fillna("")

    by_code = {item.code: item for item in definition.items}
    items = grid["item"].to_numpy(dtype=object)
    grid["name_zh"] = [by_code[c].name_zh for c in items]
    grid["name_en"] = [by_code[c].name_en for c in items]
    grid["community"] = [by_code[c].community for c in items]
    grid["weight"] = np.array([by_code[c].weight for c in items], dtype=np.float64)
    grid["provenance"] = [by_code[c].provenance for c in items]
    grid["status_zh"] = grid["status"].map(STATUS_LABELS_ZH)
    grid["status_en"] = grid["status"].map(STATUS_LABELS_EN)
    grid["points"] = grid["status"].map(STATUS_POINTS).astype(np.float64)
    for name in ("item", "name_zh", "name_en", "community", "status", "status_zh", "status_en"):
        grid[name] = grid[name].astype("str")
    grid["provenance"] = grid["provenance"].astype("str")
    grid["evidence"] = grid["evidence"].astype("str")
    item_table = grid[list(ITEM_COLUMNS)]

    communities = _community_scores(item_table, definition)
    overall = _overall_scores(item_table, communities, definition)
    return IntegrationScorecard(item_table, communities, overall, definition)


def qualitative_indicator_values(scorecard: IntegrationScorecard) -> pd.DataFrame:
    """Values of the qualitative catalogue indicators fed by checklist items.

    Parameters
    ----------
    scorecard : IntegrationScorecard

    Returns
    -------
    pandas.DataFrame
        Long table ``county_code, year, indicator, value``: 1 when the item is met (rules
        exist and are implemented), 0 when partial or not met, NaN when not reported.
    """
    linked = {
        item.code: item.catalogue_indicator
        for item in scorecard.checklist.items
        if item.catalogue_indicator is not None
    }
    rows = scorecard.items[scorecard.items["item"].isin(list(linked))]
    status = rows["status"].to_numpy(dtype=object)
    value = np.where(status == "met", 1.0, np.where(status == "missing", np.nan, 0.0))
    return pd.DataFrame(
        {
            "county_code": rows["county_code"].to_numpy(dtype=object),
            "year": rows["year"].to_numpy(dtype=np.int64),
            "indicator": [linked[c] for c in rows["item"]],
            "value": value,
        }
    ).astype({"county_code": "str", "indicator": "str"})


def write_checklist_template(
    path: str | Path,
    *,
    county_code: str = "",
    year: int | None = None,
    checklist: Checklist | None = None,
) -> Path:
    """Write a blank checklist to fill in: one row per item, status 未填报.

    Parameters
    ----------
    path : str or Path
        ``.csv`` (UTF-8 with BOM, so spreadsheet programs show Chinese) or ``.xlsx`` (with a
        drop-down list of the four statuses).
    county_code : str, optional
        Pre-filled county code.
    year : int, optional
        Pre-filled year.
    checklist : Checklist, optional
        Defaults to the packaged checklist.

    Returns
    -------
    pathlib.Path
        The file written (written to a temporary name, then renamed).

    Raises
    ------
    ParameterError
        If the extension is neither ``.csv`` nor ``.xlsx``.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in {".csv", ".xlsx"}:
        raise ParameterError(f"checklist template must be .csv or .xlsx, got {target.name!r}")
    definition = checklist if checklist is not None else default_checklist()
    names = {c.code: c.name_zh for c in definition.communities}
    frame = pd.DataFrame(
        [
            {
                "county_code": county_code,
                "year": "" if year is None else str(int(year)),
                "item": item.code,
                "status": STATUS_LABELS_ZH["missing"],
                "evidence": "",
                "item_name_zh": item.name_zh,
                "community_zh": names[item.community],
                "criterion_zh": item.criterion_zh,
                "item_name_en": item.name_en,
                "criterion_en": item.criterion_en,
            }
            for item in definition.items
        ],
        columns=list(TEMPLATE_COLUMNS),
        dtype=object,
    )
    from ylt_eval.batch.outputs import readable_mode

    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=target.parent)
    os.close(handle)
    try:
        if suffix == ".csv":
            frame.to_csv(temporary, index=False, encoding="utf-8-sig")
        else:
            _write_xlsx(frame, Path(temporary))
        os.chmod(temporary, readable_mode())
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return target


def _write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = "checklist"
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append(list(row))
    choices = ",".join(STATUS_LABELS_ZH.values())
    validation = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
    sheet.add_data_validation(validation)
    validation.add(f"D2:D{len(frame) + 1}")
    for column, width in zip("ABCDEFGHIJ", (12, 8, 30, 16, 40, 24, 12, 60, 40, 60), strict=True):
        sheet.column_dimensions[column].width = width
    book.save(path)


def _validated_input(checklist_df: pd.DataFrame, definition: Checklist) -> pd.DataFrame:
    if not isinstance(checklist_df, pd.DataFrame):
        raise DataValidationError("the checklist must be a pandas DataFrame")
    missing = [c for c in ("county_code", "year", "item", "status") if c not in checklist_df]
    if missing:
        raise DataValidationError(f"the checklist lacks column(s) {missing}")
    frame = pd.DataFrame(index=checklist_df.index)
    county = checklist_df["county_code"]
    blank_county = county.isna() | (county.astype("str").str.strip() == "")
    if blank_county.any():
        raise DataValidationError("the checklist has rows without county_code")
    if pd.api.types.is_float_dtype(county):
        county = county.astype("Int64")
    frame["county_code"] = county.astype("str").str.strip()
    years = pd.to_numeric(checklist_df["year"], errors="coerce").astype("Float64")
    if years.isna().any() or (years != years.round()).any():
        raise DataValidationError("the checklist's 'year' must be a whole year in every row")
    frame["year"] = years.astype(np.int64)
    frame["item"] = _item_codes(checklist_df["item"], definition)
    frame["status"] = normalise_status(checklist_df["status"].to_numpy(dtype=object))
    if "evidence" in checklist_df:
        frame["evidence"] = checklist_df["evidence"].astype("str").fillna("").str.strip()
    else:
        frame["evidence"] = ""
    repeated = frame.duplicated(["county_code", "year", "item"], keep=False)
    if repeated.any():
        first = frame.loc[repeated].iloc[0]
        raise DataValidationError(
            f"the checklist reports an item twice, e.g. "
            f"{first['county_code']}/{first['year']}/{first['item']}"
        )
    return frame.reset_index(drop=True)


def _item_codes(column: pd.Series, definition: Checklist) -> np.ndarray:
    known = {item.code: item.code for item in definition.items}
    known.update({_fold(item.name_zh): item.code for item in definition.items})
    codes = []
    unknown = []
    for value in column.astype("str").fillna("").to_numpy(dtype=object):
        text = str(value).strip()
        code = known.get(text) or known.get(_fold(text))
        if code is None:
            unknown.append(text)
        codes.append(code)
    if unknown:
        first = unknown[0]
        close = difflib.get_close_matches(first, [i.code for i in definition.items], n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise DataValidationError(
            f"unknown checklist item(s) {sorted(set(unknown))[:5]}{hint} "
            "(use the item codes of the template)"
        )
    return np.asarray(codes, dtype=object)


def _community_scores(items: pd.DataFrame, definition: Checklist) -> pd.DataFrame:
    frame = items.assign(
        _weighted=items["weight"] * items["points"],
        **{f"_n_{code}": items["status"] == code for code in STATUS_CODES},
    )
    grouped = frame.groupby(["county_code", "year", "community"], sort=False)
    sums = grouped[["_weighted", "weight", *[f"_n_{c}" for c in STATUS_CODES]]].sum()
    sums["n_items"] = grouped.size()
    sums = sums.reset_index()
    order = {c.code: position for position, c in enumerate(definition.communities)}
    names = {c.code: c for c in definition.communities}
    table = pd.DataFrame(
        {
            "county_code": sums["county_code"],
            "year": sums["year"].astype(np.int64),
            "community": sums["community"],
            "name_zh": [names[c].name_zh for c in sums["community"]],
            "name_en": [names[c].name_en for c in sums["community"]],
            "score": 100.0 * sums["_weighted"] / sums["weight"],
            "n_items": sums["n_items"].astype(np.int64),
            **{f"n_{c}": sums[f"_n_{c}"].astype(np.int64) for c in STATUS_CODES},
            "_order": sums["community"].map(order),
        }
    )
    table = table.sort_values(["county_code", "year", "_order"], kind="stable")
    table = table.drop(columns="_order").reset_index(drop=True)
    for name in ("county_code", "community", "name_zh", "name_en"):
        table[name] = table[name].astype("str")
    return table[list(COMMUNITY_COLUMNS)]


def _overall_scores(
    items: pd.DataFrame, communities: pd.DataFrame, definition: Checklist
) -> pd.DataFrame:
    frame = items.assign(
        _weighted=items["weight"] * items["points"],
        **{f"n_{code}": items["status"] == code for code in STATUS_CODES},
    )
    grouped = frame.groupby(["county_code", "year"], sort=True)
    sums = grouped[["_weighted", "weight", *[f"n_{c}" for c in STATUS_CODES]]].sum()
    table = pd.DataFrame(
        {
            "score": 100.0 * sums["_weighted"] / sums["weight"],
            "n_items": grouped.size().astype(np.int64),
            **{f"n_{c}": sums[f"n_{c}"].astype(np.int64) for c in STATUS_CODES},
        }
    )
    wide = communities.pivot(index=["county_code", "year"], columns="community", values="score")
    for community in definition.communities:
        table[f"score_{community.code}"] = wide[community.code].reindex(table.index)
    table = table.reset_index()
    table["county_code"] = table["county_code"].astype("str")
    table["year"] = table["year"].astype(np.int64)
    return table


def _text_fields(
    entry: object, required: Iterable[str], optional: Iterable[str], what: str
) -> dict[str, str]:
    if not isinstance(entry, dict):
        raise ChecklistError(f"{what}: expected a table")
    fields: dict[str, str] = {}
    for name in required:
        value = entry.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ChecklistError(f"{what} {entry.get('code')!r}: field {name!r} is required")
        fields[name] = value.strip()
    for name in optional:
        if name in entry:
            value = entry[name]
            if not isinstance(value, str) or not value.strip():
                raise ChecklistError(f"{what} {entry.get('code')!r}: {name!r} must be text")
            fields[name] = value.strip()
    return fields


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).strip().casefold()
    return " ".join(folded.replace("_", " ").split())


@cache
def _status_lookup() -> dict[str, str]:
    return {_fold(alias): code for code, aliases in _STATUS_ALIASES.items() for alias in aliases}
