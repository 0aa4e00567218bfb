"""Validated parameters of the report notebooks.

A notebook's ``parameters`` cell holds literals only; the next cell passes the kernel namespace
to :func:`county_parameters` / :func:`province_parameters`, which refuse unknown names (a
misspelt papermill ``-p`` option would otherwise be ignored silently), missing required values
and malformed county codes, before any data are read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from ylt_eval.errors import ParameterError

_COUNTY_CODE = re.compile(r"[1-9][0-9]{5}")  # ASCII only: \d also matches other scripts
LANGUAGES = ("zh", "en")

#: County codes starting with these digits are reserved for synthetic data (no real province
#: uses them); reports rendered from them carry the synthetic-data banner on every page.
SYNTHETIC_CODE_PREFIX = "99"


def normalise_county_code(value: object, *, name: str = "county_code") -> str:
    """Return a county code as a validated 6-digit string.

    Integers are accepted because papermill's ``-p county_code 990101`` passes one; real codes
    never start with 0, so no digit can have been lost.

    Raises
    ------
    ParameterError
        If the value is not a 6-digit administrative division code.
    """
    if isinstance(value, bool) or value is None:
        raise ParameterError(f"{name} is required: a 6-digit county code such as '350125'")
    text = str(value).strip() if isinstance(value, str | int) else None
    if text is None or not _COUNTY_CODE.fullmatch(text):
        raise ParameterError(
            f"{name} must be a 6-digit county-level administrative division code "
            f"(for example '350125'), got {value!r}"
        )
    return text


def _check_year(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ParameterError(f"year must be a calendar year such as 2024, got {value!r}")
    try:
        year = int(value)
    except ValueError:
        raise ParameterError(f"year must be a calendar year such as 2024, got {value!r}") from None
    if not 1949 <= year <= 2100:
        raise ParameterError(f"year {year} is outside 1949–2100")
    return year


def _check_lang(value: object) -> str:
    if value not in LANGUAGES:
        raise ParameterError(f"lang must be one of {', '.join(LANGUAGES)}, got {value!r}")
    return str(value)


def _check_data_path(value: object) -> Path:
    if not isinstance(value, str | Path) or not str(value):
        raise ParameterError("data_path is required: the panel file (CSV, XLSX or Parquet)")
    path = Path(value)
    if not path.is_file():
        raise ParameterError(f"data_path {str(path)!r} does not exist or is not a file")
    return path


def _check_checklist_path(value: object) -> Path | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str | Path):
        raise ParameterError(f"checklist_path must be a file path or None, got {value!r}")
    path = Path(value)
    if not path.is_file():
        raise ParameterError(
            f"checklist_path {str(path)!r} does not exist or is not a file "
            "(write a blank one with: ylt-eval template --checklist --out checklist.xlsx)"
        )
    if path.suffix.lower() not in {".csv", ".xlsx"}:
        raise ParameterError(f"checklist_path must be a .csv or .xlsx file, got {path.name!r}")
    return path


@dataclass(frozen=True)
class CountyReportParameters:
    """Parameters of ``notebooks/county_report.ipynb``.

    Attributes
    ----------
    county_code : str
        6-digit code of the county the report is about.
    year : int
        Assessment year.
    data_path : Path
        Input file (raw panel or indicator-level long format).
    lang : str
        ``"zh"`` (default) or ``"en"``.
    synthetic : bool
        Whether to show the synthetic-data banner; forced on for codes starting ``99``.
    checklist_path : Path or None
        Filled integration checklist (CSV or XLSX, see
        :func:`ylt_eval.metrics.integration.read_checklist`); without it the integration
        section says how to supply one.
    """

    county_code: str
    year: int
    data_path: Path
    lang: str = "zh"
    synthetic: bool = False
    checklist_path: Path | None = None


@dataclass(frozen=True)
class ProvinceReportParameters:
    """Parameters of ``notebooks/province_summary.ipynb``.

    Attributes
    ----------
    province : str
        Province name as written in the data.
    year : int
    data_path : Path
    lang : str
    report_links : dict
        County code → relative link of its rendered report (shown in the summary).
    synthetic : bool
    """

    province: str
    year: int
    data_path: Path
    lang: str = "zh"
    report_links: Mapping[str, str] | None = None
    synthetic: bool = False


_KERNEL_NAMES = frozenset({"In", "Out", "get_ipython", "exit", "quit", "open"})


def _user_values(namespace: Mapping[str, object], allowed: set[str]) -> dict[str, object]:
    """Pick parameters out of a kernel namespace and reject names nobody declared."""
    hidden = set(_KERNEL_NAMES)
    try:  # names IPython defines itself (in a kernel only)
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            hidden |= set(shell.user_ns_hidden)
    except ImportError:  # pragma: no cover - IPython is a dependency of ipykernel
        pass
    values: dict[str, object] = {}
    unknown: list[str] = []
    for name, value in namespace.items():
        if name.startswith("_") or name in hidden or callable(value) or _is_module(value):
            continue
        if name in allowed:
            values[name] = value
        else:
            unknown.append(name)
    if unknown:
        raise ParameterError(
            f"unknown parameter(s): {', '.join(sorted(unknown))}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )
    return values


def _is_module(value: object) -> bool:
    return type(value).__name__ == "module"


def county_parameters(namespace: Mapping[str, object]) -> CountyReportParameters:
    """Validate the county notebook's parameters.

    Parameters
    ----------
    namespace : mapping
        ``globals()`` of the notebook after the parameters (and papermill's injected) cell, or
        any mapping of parameter names to values.

    Returns
    -------
    CountyReportParameters

    Raises
    ------
    ParameterError
        On unknown names, missing required values or invalid values.
    """
    allowed = {f.name for f in fields(CountyReportParameters)}
    values = _user_values(namespace, allowed)
    code = normalise_county_code(values.get("county_code"))
    synthetic = bool(values.get("synthetic", False)) or code.startswith(SYNTHETIC_CODE_PREFIX)
    return CountyReportParameters(
        county_code=code,
        year=_check_year(values.get("year")),
        data_path=_check_data_path(values.get("data_path")),
        lang=_check_lang(values.get("lang", "zh")),
        synthetic=synthetic,
        checklist_path=_check_checklist_path(values.get("checklist_path")),
    )


def province_parameters(namespace: Mapping[str, object]) -> ProvinceReportParameters:
    """Validate the province summary notebook's parameters (see :func:`county_parameters`)."""
    allowed = {f.name for f in fields(ProvinceReportParameters)}
    values = _user_values(namespace, allowed)
    province = values.get("province")
    if not isinstance(province, str) or not province.strip():
        raise ParameterError("province is required: the province name as written in the data")
    links = values.get("report_links") or {}
    if not isinstance(links, Mapping):
        raise ParameterError("report_links must be a mapping of county code to link")
    from ylt_eval.report.elements import SAFE_HREF

    for target in links.values():
        if not isinstance(target, str) or not SAFE_HREF.fullmatch(target):
            raise ParameterError(f"report_links: {target!r} is not a relative file name")
    checked_links = {
        normalise_county_code(k, name="report_links key"): str(v) for k, v in links.items()
    }
    return ProvinceReportParameters(
        province=province.strip(),
        year=_check_year(values.get("year")),
        data_path=_check_data_path(values.get("data_path")),
        lang=_check_lang(values.get("lang", "zh")),
        report_links=checked_links,
        synthetic=bool(values.get("synthetic", False)),
    )
