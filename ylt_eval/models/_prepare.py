"""Validate a staggered-adoption panel and turn it into plain arrays for the estimators.

Rules (shared by every estimator so that they all accept and refuse the same data):

- Column names that do not exist, or a malformed ``xformla``, are :class:`ParameterError`.
- Bad data are :class:`DataValidationError`: non-numeric outcome, period, cohort or covariate;
  missing or non-integer periods; missing unit ids; a cohort (reform year) that changes within
  a unit; duplicated unit × period rows; infinite values.
- Rows with a missing outcome, covariate or cluster value are dropped (as R ``fixest`` does) and
  counted; the count is reported in ``glance()["n_dropped"]`` and in the notes of the result.
- A cohort of 0 or NaN means "never treated". Cohorts may be numeric or text holding numbers
  ("2019", "0", ""), as spreadsheets often store them; unit ids may be text or numbers.

Rows are sorted by (unit, period) so that results do not depend on the input's row order. The
caller's DataFrame is only read, never modified.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ylt_eval.errors import DataValidationError, ParameterError
from ylt_eval.models.results import PanelSpec, Provenance, SampleInfo

_COLUMN_NAME = re.compile(r"^[^\s~+*:()^|\-]+$")
_MAX_EXAMPLES = 5


@dataclass(frozen=True, eq=False)
class PreparedPanel:
    """A validated panel as arrays, rows sorted by (unit, period).

    Attributes
    ----------
    y : numpy.ndarray
        Outcome, shape (n,).
    covariates : numpy.ndarray
        Covariates, shape (n, p) (p may be 0).
    unit : numpy.ndarray
        Unit codes 0..n_units-1 (in sorted order of the unit labels).
    period : numpy.ndarray
        Period codes 0..n_periods-1 (in increasing order of time).
    time : numpy.ndarray
        Period values (integer-valued floats).
    cohort : numpy.ndarray
        First treated period of the row's unit; 0 for never treated.
    cluster : numpy.ndarray or None
        Cluster codes 0..n_clusters-1, None if no cluster column was requested.
    unit_labels : numpy.ndarray
        Unit label of each unit code.
    n_dropped : int
        Input rows dropped because of a missing outcome, covariate or cluster value.
    """

    y: NDArray[np.float64]
    covariates: NDArray[np.float64]
    unit: NDArray[np.intp]
    period: NDArray[np.intp]
    time: NDArray[np.float64]
    cohort: NDArray[np.float64]
    cluster: NDArray[np.intp] | None
    unit_labels: NDArray[np.object_]
    n_dropped: int

    @property
    def n_obs(self) -> int:
        """Number of rows."""
        return int(self.y.shape[0])

    @property
    def n_units(self) -> int:
        """Number of distinct units."""
        return int(self.unit.max()) + 1

    @property
    def n_periods(self) -> int:
        """Number of distinct periods."""
        return int(self.period.max()) + 1

    @property
    def n_clusters(self) -> int | None:
        """Number of distinct clusters (None without a cluster column)."""
        return None if self.cluster is None else int(self.cluster.max()) + 1

    @property
    def unit_cohort(self) -> NDArray[np.float64]:
        """Cohort of each unit code."""
        cohorts = np.zeros(self.n_units)
        cohorts[self.unit] = self.cohort
        return cohorts


def parse_xformla(xformla: str | None) -> tuple[str, ...]:
    """Read the covariate columns of an R-style one-sided formula.

    Only additive column names are supported: ``"~ x1 + x2"``; ``"~ 1"`` or None mean no
    covariates.

    Parameters
    ----------
    xformla : str or None
        The formula.

    Returns
    -------
    tuple of str
        Covariate column names in formula order, without duplicates.
    """
    if xformla is None:
        return ()
    if not isinstance(xformla, str):
        raise ParameterError(f"xformla must be a string such as '~ x1 + x2', got {xformla!r}")
    text = xformla.strip()
    if not text.startswith("~"):
        raise ParameterError(f"xformla must start with '~' (e.g. '~ x1 + x2'), got {xformla!r}")
    names: list[str] = []
    for part in text[1:].split("+"):
        name = part.strip()
        if name == "1":
            continue
        if not name or not _COLUMN_NAME.match(name):
            raise ParameterError(
                f"xformla {xformla!r}: {name!r} is not a plain column name. Only sums of column "
                "names are supported; add transformed or interacted columns to the data first."
            )
        if name not in names:
            names.append(name)
    return tuple(names)


def prepare_panel(data: object, spec: PanelSpec, *, cluster: str | None) -> PreparedPanel:
    """Validate ``data`` for the column roles in ``spec`` and return sorted arrays.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel, one row per unit × period. Not modified.
    spec : PanelSpec
        Column roles.
    cluster : str or None
        Cluster column (may equal ``spec.idname``), or None.

    Returns
    -------
    PreparedPanel

    Raises
    ------
    ParameterError
        ``data`` is not a DataFrame, a named column does not exist, or roles collide.
    DataValidationError
        The data break one of the rules listed in the module docstring.
    """
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    _check_columns(data, spec, cluster)
    if len(data) == 0:
        raise DataValidationError("data has no rows; pass the panel with one row per unit × period")

    y = _numeric_column(data, spec.yname, "outcome (yname)")
    time = _numeric_column(data, spec.tname, "period (tname)")
    cohort = _cohort_column(data, spec.gname)
    covariates = np.column_stack(
        [np.empty((len(data), 0))]
        + [_numeric_column(data, name, "covariate (xformla)") for name in spec.covariates]
    )

    unit_labels, unit_codes = _unit_codes(data[spec.idname], spec.idname)
    _check_time(time, unit_labels[unit_codes], spec.tname)
    cohort = _check_cohort(cohort, unit_codes, unit_labels, spec.gname)
    _check_duplicates(unit_codes, time, unit_labels, spec)
    _check_finite(y, spec.yname)
    for j, name in enumerate(spec.covariates):
        _check_finite(covariates[:, j], name)

    keep = ~np.isnan(y) & ~np.isnan(covariates).any(axis=1)
    if cluster is not None:
        keep &= ~data[cluster].isna().to_numpy()
    n_dropped = int((~keep).sum())
    if not keep.any():
        raise DataValidationError(
            f"no usable rows: every row has a missing {spec.yname!r}"
            + (", covariate" if spec.covariates else "")
            + (f" or {cluster!r}" if cluster is not None else "")
            + " value. Check that the outcome column is filled in."
        )

    # Canonical order: unit label, then period. Codes are re-numbered on the kept rows so
    # that units or periods that lost all their rows do not count.
    kept_units = unit_codes[keep]
    order = np.lexsort((time[keep], kept_units))
    kept_unit_values, unit_sorted = np.unique(kept_units[order], return_inverse=True)
    time_sorted = time[keep][order]
    _, period_sorted = np.unique(time_sorted, return_inverse=True)
    cluster_sorted = None
    if cluster is not None:
        cluster_sorted = _sorted_codes(data[cluster][keep], cluster)[order]
    return PreparedPanel(
        y=y[keep][order],
        covariates=covariates[keep][order],
        unit=unit_sorted.astype(np.intp),
        period=period_sorted.astype(np.intp),
        time=time_sorted,
        cohort=cohort[keep][order],
        cluster=cluster_sorted,
        unit_labels=unit_labels[kept_unit_values],
        n_dropped=n_dropped,
    )


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------


def _check_columns(data: pd.DataFrame, spec: PanelSpec, cluster: str | None) -> None:
    roles = {
        "yname": spec.yname,
        "tname": spec.tname,
        "idname": spec.idname,
        "gname": spec.gname,
    }
    for role, name in roles.items():
        if not isinstance(name, str) or not name:
            raise ParameterError(f"{role} must be a column name (a non-empty string), got {name!r}")
    if len(set(roles.values())) != len(roles):
        raise ParameterError(
            "yname, tname, idname and gname must be four different columns, got "
            + ", ".join(f"{role}={name!r}" for role, name in roles.items())
        )
    wanted = [*roles.values(), *spec.covariates]
    if cluster is not None:
        wanted.append(cluster)
    present = [str(column) for column in data.columns]
    missing = [name for name in dict.fromkeys(wanted) if name not in data.columns]
    if missing:
        hints = []
        for name in missing:
            close = difflib.get_close_matches(name, present, n=1)
            hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ParameterError(
            f"column(s) not found in data: {', '.join(hints)}. "
            f"Available columns: {', '.join(present[:30])}" + (" ..." if len(present) > 30 else "")
        )


def _numeric_column(data: pd.DataFrame, name: str, role: str) -> NDArray[np.float64]:
    series = data[name]
    if not pd.api.types.is_numeric_dtype(series.dtype):
        examples = series.dropna().astype(str).unique()[:3].tolist()
        raise DataValidationError(
            f"{role} column {name!r} must be numeric but has dtype {series.dtype} "
            f"(e.g. {examples}). Convert it first, e.g. pd.to_numeric(df[{name!r}]); "
            "numbers stored as text with thousands separators or '%' need cleaning."
        )
    return series.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)


def _cohort_column(data: pd.DataFrame, name: str) -> NDArray[np.float64]:
    """Cohorts may also come as text ("2019", "0", ""), as spreadsheets often store them."""
    series = data[name]
    if pd.api.types.is_numeric_dtype(series.dtype):
        return _numeric_column(data, name, "cohort (gname)")
    text = series.astype("string").str.strip()
    text = text.mask(text == "")
    values = pd.to_numeric(text, errors="coerce")
    unreadable = values.isna() & text.notna()
    if unreadable.any():
        examples = text[unreadable].unique()[:3].tolist()
        raise DataValidationError(
            f"cohort column (gname) {name!r} must hold the first treated period as a number, "
            f"0 or empty/NaN for never treated; cannot read {examples}."
        )
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


def _sorted_codes(series: pd.Series, name: str) -> NDArray[np.intp]:
    try:
        codes, _ = pd.factorize(series, sort=True)
    except TypeError:
        raise DataValidationError(
            f"column {name!r} mixes value types (e.g. numbers and text) and cannot be ordered; "
            f"convert it to one type, e.g. df[{name!r}].astype(str)"
        ) from None
    return codes.astype(np.intp)


def _unit_codes(series: pd.Series, name: str) -> tuple[NDArray[np.object_], NDArray[np.intp]]:
    missing = series.isna().to_numpy()
    if missing.any():
        rows = _row_labels(series.index, missing)
        raise DataValidationError(
            f"unit id column {name!r} has {int(missing.sum())} missing value(s) (rows {rows}); "
            "every row must say which unit it belongs to."
        )
    try:
        codes, uniques = pd.factorize(series, sort=True)
    except TypeError:
        raise DataValidationError(
            f"unit id column {name!r} mixes value types (e.g. numbers and text); "
            f"convert it to one type, e.g. df[{name!r}].astype(str)"
        ) from None
    return np.asarray(uniques, dtype=object), codes.astype(np.intp)


def _check_time(time: NDArray[np.float64], units: NDArray[np.object_], name: str) -> None:
    missing = np.isnan(time)
    if missing.any():
        examples = ", ".join(str(unit) for unit in units[missing][:_MAX_EXAMPLES])
        raise DataValidationError(
            f"period column {name!r} has {int(missing.sum())} missing value(s) "
            f"(units {examples}); fill in the period or remove those rows."
        )
    bad = ~np.isfinite(time) | (time != np.round(time))
    if bad.any():
        examples = ", ".join(f"{value:g}" for value in np.unique(time[bad])[:_MAX_EXAMPLES])
        raise DataValidationError(
            f"period column {name!r} must hold whole numbers such as years, got {examples}; "
            "code sub-annual periods as consecutive integers."
        )


def _check_cohort(
    cohort: NDArray[np.float64],
    unit: NDArray[np.intp],
    unit_labels: NDArray[np.object_],
    name: str,
) -> NDArray[np.float64]:
    never = np.isnan(cohort)
    cohort = np.where(never, 0.0, cohort)
    bad = ~np.isfinite(cohort) | (cohort < 0) | (cohort != np.round(cohort))
    if bad.any():
        examples = ", ".join(f"{value:g}" for value in np.unique(cohort[bad])[:_MAX_EXAMPLES])
        raise DataValidationError(
            f"cohort column {name!r} must hold the first treated period (a whole number) or "
            f"0 / NaN for never treated units, got {examples}."
        )
    n_units = int(unit.max()) + 1
    low = np.full(n_units, np.inf)
    high = np.full(n_units, -np.inf)
    np.minimum.at(low, unit, cohort)
    np.maximum.at(high, unit, cohort)
    changing = np.flatnonzero(low != high)
    if changing.size:
        examples = "; ".join(
            f"{unit_labels[code]}: {_cohort_text(low[code])} and {_cohort_text(high[code])}"
            for code in changing[:_MAX_EXAMPLES]
        )
        raise DataValidationError(
            f"cohort column {name!r} (first treated period) must be constant within each unit, "
            f"but it changes in {changing.size} unit(s): {examples}. Use one reform year per "
            "unit on every row (0 or NaN on every row if never treated)."
        )
    return cohort


def _cohort_text(value: float) -> str:
    return "never (0/NaN)" if value == 0 else f"{value:g}"


def _check_duplicates(
    unit: NDArray[np.intp],
    time: NDArray[np.float64],
    unit_labels: NDArray[np.object_],
    spec: PanelSpec,
) -> None:
    keys = pd.DataFrame({"unit": unit, "time": time})
    duplicated = keys.duplicated(keep=False).to_numpy()
    if duplicated.any():
        pairs = keys[duplicated].drop_duplicates().to_numpy()
        examples = ", ".join(
            f"({unit_labels[int(code)]}, {value:g})" for code, value in pairs[:_MAX_EXAMPLES]
        )
        raise DataValidationError(
            f"{len(pairs)} ({spec.idname}, {spec.tname}) pair(s) appear on more than one row, "
            f"e.g. {examples}. Keep one row per unit and period (aggregate or remove duplicates)."
        )


def _check_finite(values: NDArray[np.float64], name: str) -> None:
    infinite = np.isinf(values)
    if infinite.any():
        raise DataValidationError(
            f"column {name!r} has {int(infinite.sum())} infinite value(s); this often comes from "
            "log(0) or division by zero. Replace them with NaN (the rows are then dropped) or fix "
            "the transformation."
        )


def _row_labels(index: pd.Index, mask: NDArray[np.bool_]) -> str:
    labels: Sequence[object] = index[mask][:_MAX_EXAMPLES].tolist()
    text = ", ".join(str(label) for label in labels)
    return text + (" ..." if int(mask.sum()) > _MAX_EXAMPLES else "")


# --------------------------------------------------------------------------------------------
# Summaries of a prepared panel used by every estimator
# --------------------------------------------------------------------------------------------


def treated_post(panel: PreparedPanel) -> NDArray[np.bool_]:
    """Rows in or after their unit's first treated period: ``cohort > 0 and time >= cohort``.

    Parameters
    ----------
    panel : PreparedPanel
    """
    return (panel.cohort > 0) & (panel.time >= panel.cohort)


def sample_info(panel: PreparedPanel) -> SampleInfo:
    """Counts describing the estimation sample.

    Parameters
    ----------
    panel : PreparedPanel
    """
    treated_units = np.unique(panel.unit[treated_post(panel)]).size
    never_units = int((panel.unit_cohort == 0).sum())
    return SampleInfo(
        n_obs=panel.n_obs,
        n_units=panel.n_units,
        n_periods=panel.n_periods,
        n_dropped=panel.n_dropped,
        n_treated_units=int(treated_units),
        n_never_treated_units=never_units,
    )


def provenance(panel: PreparedPanel) -> Provenance:
    """Package version and a SHA-256 signature of the estimation sample.

    The panel is already in canonical order, so the signature does not depend on the input's
    row order.

    Parameters
    ----------
    panel : PreparedPanel
    """
    from ylt_eval import __version__  # at call time: the package may import this module

    digest = hashlib.sha256()
    parts: list[NDArray] = [
        panel.y,
        panel.covariates,
        panel.unit,
        panel.time,
        panel.cohort,
    ]
    if panel.cluster is not None:
        parts.append(panel.cluster)
    for part in parts:
        contiguous = np.ascontiguousarray(part)
        digest.update(str(contiguous.shape).encode())
        digest.update(contiguous.tobytes())
    digest.update("\x1f".join(str(label) for label in panel.unit_labels).encode())
    return Provenance(package_version=__version__, data_signature=digest.hexdigest())


def check_positive_int(value: object, name: str, example: int) -> int:
    """Validate a count argument (``reps``, ``permutations``) of a resampling estimator."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ParameterError(f"{name} must be a positive integer (e.g. {example}), got {value!r}")
    return int(value)


def check_seed(seed: object) -> int | None:
    """Validate the ``seed`` argument of a resampling estimator (None or an integer)."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        raise ParameterError(f"seed must be None or an integer, got {seed!r}")
    return None if seed is None else int(seed)
