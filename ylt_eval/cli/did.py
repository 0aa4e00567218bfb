"""``ylt-eval did``: difference-in-differences estimates from any CSV, as JSON.

Argument names follow R ``did``. Every estimator's result is turned into the same JSON shape:
``overall: {estimate, std_error}`` always; ``att_gt`` for Callaway–Sant'Anna; ``by`` for
aggregations other than simple (keyed ``e``, ``group`` or ``time``) and for the Bacon
decomposition (``type, weight, estimate``).

``sdid`` and ``sc`` (synthetic DiD and the synthetic control of R ``synthdid``) estimate the
effect on one treated unit: ``std_error`` is the placebo standard error over all donors, ``by``
(``--aggregate dynamic``) the effect in each post-treatment period, and ``treated_unit``,
``treatment_time``, ``pre_fit``, ``placebo``, ``unit_weights`` (and ``time_weights`` for sdid)
describe the fit. The donors are the units never treated or treated only after the last
period of the panel.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from ylt_eval.cli.exit_codes import EXIT_OK
from ylt_eval.errors import DataValidationError, ParameterError

ESTIMATORS = ("cs", "twfe", "sunab", "bacon", "sdid", "sc")
SYNTHETIC_ESTIMATORS = ("sdid", "sc")
AGGREGATIONS = ("simple", "dynamic", "group", "calendar")
_BY_KEY = {"dynamic": "e", "group": "group", "calendar": "time"}


def add_command(subparsers) -> None:
    """Register ``did``."""
    parser = subparsers.add_parser(
        "did",
        help="difference-in-differences estimates from a CSV (R did argument names)",
        description="Estimate the effect of a staggered reform. Any CSV with any column names; "
        "id and cohort columns may be strings or integers (cohort 0 or blank = never treated).",
    )
    parser.add_argument("file", type=Path, help="CSV file (delimiter detected)")
    parser.add_argument("--yname", required=True, help="outcome column")
    parser.add_argument("--tname", required=True, help="time (year) column")
    parser.add_argument("--idname", required=True, help="unit (county) column")
    parser.add_argument("--gname", required=True, help="first treated period (0 = never)")
    parser.add_argument("--xformla", default=None, help='covariates, e.g. "~x1+x2" (cs only)')
    parser.add_argument("--estimator", choices=ESTIMATORS, default="cs")
    parser.add_argument(
        "--control-group", choices=("nevertreated", "notyettreated"), default="nevertreated"
    )
    parser.add_argument("--est-method", choices=("dr", "reg", "ipw"), default="dr")
    parser.add_argument("--base-period", choices=("varying", "universal"), default="varying")
    parser.add_argument("--aggregate", choices=AGGREGATIONS, default="simple")
    parser.add_argument("--min-e", type=float, default=-math.inf, help="dynamic: first e")
    parser.add_argument("--max-e", type=float, default=math.inf, help="dynamic: last e")
    parser.add_argument(
        "--bootstrap",
        type=int,
        default=None,
        metavar="B",
        help="multiplier-bootstrap draws (cs); analytic standard errors otherwise",
    )
    parser.add_argument("--seed", type=int, default=None, help="bootstrap seed")
    parser.add_argument(
        "--treated-unit",
        default=None,
        metavar="ID",
        help="sdid/sc: the unit to estimate when several are treated in the panel (the others "
        "are left out of the donor pool)",
    )
    parser.add_argument("--format", choices=("json",), default="json")
    parser.add_argument("--out", type=Path, default=None, help="write JSON here, not stdout")
    parser.set_defaults(handler=run)


def read_csv(path: Path, columns: list[str]) -> pd.DataFrame:
    """Read a CSV with any delimiter and check the named columns exist."""
    if not path.is_file():
        raise ParameterError(f"{path} does not exist")
    try:
        data = pd.read_csv(path, sep=None, engine="python")
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
        raise ParameterError(f"{path.name} is not a readable CSV file: {error}") from None
    missing = [column for column in columns if column not in data.columns]
    if missing:
        raise ParameterError(
            f"{path.name} has no column(s) {', '.join(missing)}; "
            f"its columns are: {', '.join(map(str, data.columns))}"
        )
    return data


def run(args) -> int:
    """Estimate and print (or write) the JSON result."""
    if args.bootstrap is not None and args.estimator != "cs":
        raise ParameterError("--bootstrap is available for --estimator cs")
    if args.bootstrap is not None and args.bootstrap < 1:
        raise ParameterError("--bootstrap needs a positive number of draws")
    columns = [args.yname, args.tname, args.idname, args.gname]
    data = read_csv(args.file, columns)
    if args.estimator not in ESTIMATOR_RUNNERS:
        raise ParameterError(f"--estimator {args.estimator} is not available in this version")
    if args.xformla and args.estimator not in {"cs", "twfe"}:
        raise ParameterError("--xformla is available for --estimator cs and twfe")
    if args.treated_unit is not None and args.estimator not in SYNTHETIC_ESTIMATORS:
        raise ParameterError("--treated-unit is available for --estimator sdid and sc")
    result = ESTIMATOR_RUNNERS[args.estimator](data, args)
    payload = {
        "estimator": args.estimator,
        "settings": _settings(args),
        **result,
    }
    text = json.dumps(_clean(payload), ensure_ascii=False, indent=2) + "\n"
    if args.out is not None:
        from ylt_eval.batch.outputs import write_atomic

        write_atomic(args.out, text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _settings(args) -> dict:
    settings = {
        "yname": args.yname,
        "tname": args.tname,
        "idname": args.idname,
        "gname": args.gname,
        "xformla": args.xformla,
        "aggregate": args.aggregate,
    }
    if args.estimator in SYNTHETIC_ESTIMATORS:
        settings |= {
            "treated_unit": args.treated_unit,
            "donor_pool": "never treated, or first treated after the last period",
            "inference": "in-space placebos over all donors",
        }
    if args.estimator == "cs":
        settings |= {
            "control_group": args.control_group,
            "est_method": args.est_method,
            "base_period": args.base_period,
            "bootstrap": args.bootstrap,
            "seed": args.seed,
        }
    return settings


def _clean(value):
    """JSON-safe copy: NaN/inf → null, numpy scalars → Python numbers."""
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _overall(estimate: float, std_error: float) -> dict:
    return {"estimate": float(estimate), "std_error": float(std_error)}


def _run_cs(data: pd.DataFrame, args) -> dict:
    from ylt_eval.models import aggte, att_gt

    fit = att_gt(
        data,
        args.yname,
        args.tname,
        args.idname,
        args.gname,
        xformla=args.xformla,
        control_group=args.control_group,
        est_method=args.est_method,
        base_period=args.base_period,
        bstrap=args.bootstrap is not None,
        biters=args.bootstrap or 1000,
        cband=args.bootstrap is not None,
        seed=args.seed,
    )
    aggregated = aggte(fit, args.aggregate, min_e=args.min_e, max_e=args.max_e)
    att = fit.tidy()
    out = {
        "overall": _overall(aggregated.overall_att, aggregated.overall_se),
        "att_gt": [
            {
                "group": int(r.group),
                "time": int(r.time),
                "estimate": r.estimate,
                "std_error": r.std_error,
            }
            for r in att.itertuples()
        ],
        "pretest_wald_p_value": fit.wald_pvalue,
    }
    if args.aggregate != "simple":
        out["by"] = _by_rows(aggregated.tidy(), args.aggregate)
    return out


def _by_rows(tidy: pd.DataFrame, aggregate: str) -> list[dict]:
    key = _BY_KEY[aggregate]
    column = "group" if aggregate == "group" else "time"
    rows = tidy[tidy[column].notna()]
    return [
        {key: int(getattr(r, column)), "estimate": r.estimate, "std_error": r.std_error}
        for r in rows.itertuples()
    ]


def _run_twfe(data: pd.DataFrame, args) -> dict:
    from ylt_eval.models import event_study, twfe

    fit = twfe(data, args.yname, args.tname, args.idname, args.gname, xformla=args.xformla)
    row = fit.tidy().iloc[0]
    out = {"overall": _overall(row.estimate, row.std_error), "n_clusters": fit.n_clusters}
    if args.aggregate == "dynamic":
        dynamic = event_study(
            data,
            args.yname,
            args.tname,
            args.idname,
            args.gname,
            xformla=args.xformla,
            min_e=None if math.isinf(args.min_e) else int(args.min_e),
            max_e=None if math.isinf(args.max_e) else int(args.max_e),
        )
        out["by"] = _by_rows(dynamic.tidy(), "dynamic")
    elif args.aggregate != "simple":
        raise ParameterError("--estimator twfe supports --aggregate simple or dynamic")
    return out


def _run_sunab(data: pd.DataFrame, args) -> dict:
    from ylt_eval.models import sun_abraham

    if args.aggregate not in {"simple", "dynamic"}:
        raise ParameterError("--estimator sunab supports --aggregate simple or dynamic")
    fit = sun_abraham(data, args.yname, args.tname, args.idname, args.gname)
    tidy = fit.tidy()
    overall = tidy[tidy["term"] == "ATT"].iloc[0]
    out = {"overall": _overall(overall.estimate, overall.std_error)}
    if args.aggregate == "dynamic":
        out["by"] = _by_rows(tidy, "dynamic")
    return out


def _run_synthetic(data: pd.DataFrame, args) -> dict:
    from ylt_eval.models import synthetic_did

    if args.aggregate not in {"simple", "dynamic"}:
        raise ParameterError(f"--estimator {args.estimator} supports --aggregate simple or dynamic")
    design = synthetic_design(data, args.tname, args.idname, args.gname, args.treated_unit)
    fit = synthetic_did(
        data,
        args.yname,
        args.tname,
        args.idname,
        design.treated_unit,
        design.treatment_time,
        donors=design.donors,
        method=args.estimator,
        placebo=True,
    )
    return _synthetic_payload(fit, args.aggregate, design)


class SyntheticDesign(NamedTuple):
    """The treated unit, its first treated period and its donor pool."""

    treated_unit: object
    treatment_time: float
    donors: list
    other_treated: list


def synthetic_design(
    data: pd.DataFrame, tname: str, idname: str, gname: str, treated_unit: str | None
) -> SyntheticDesign:
    """Pick the treated unit and the donors (never treated or treated after the last period).

    Raises
    ------
    DataValidationError
        The cohort column is not numeric or not constant within a unit.
    ParameterError
        No unit, or (without ``treated_unit``) more than one unit, is treated within the panel;
        ``treated_unit`` is not a unit treated within the panel.
    """
    cohort = _cohorts(data, idname, gname)
    last = float(pd.to_numeric(data[tname], errors="coerce").max())
    treated = cohort[(cohort > 0) & (cohort <= last)]
    donors = sorted(cohort.index[~cohort.index.isin(treated.index)], key=_label_key)
    if treated.empty:
        raise ParameterError(
            f"no unit of {idname!r} is treated within the panel: {gname!r} is 0, blank or "
            f"after the last period ({last:g}) for every unit, so there is nothing to estimate"
        )
    if treated_unit is None:
        if len(treated) > 1:
            examples = ", ".join(str(unit) for unit in sorted(treated.index, key=_label_key)[:5])
            raise ParameterError(
                "synthetic DiD and synthetic control estimate the effect on one treated unit, "
                f"but {len(treated)} units are treated within the panel (e.g. {examples}). "
                "Choose one with --treated-unit ID (the other treated units are left out of "
                "the donor pool), or use --estimator cs for the average effect."
            )
        unit = treated.index[0]
    else:
        matches = [label for label in treated.index if str(label) == str(treated_unit)]
        if not matches:
            known = str(treated_unit) in map(str, cohort.index)
            state = "is not treated within the panel" if known else "is not a unit"
            raise ParameterError(f"--treated-unit {treated_unit} {state} of {idname!r}")
        unit = matches[0]
    others = sorted((label for label in treated.index if label != unit), key=_label_key)
    return SyntheticDesign(unit, float(treated[unit]), donors, others)


def _cohorts(data: pd.DataFrame, idname: str, gname: str) -> pd.Series:
    """First treated period per unit (0 = never treated)."""
    text = data[gname].astype("string").str.strip()
    numbers = pd.to_numeric(text.replace("", pd.NA), errors="coerce")
    bad = numbers.isna() & text.notna() & (text != "")
    if bad.any():
        example = data.loc[bad, gname].iloc[0]
        raise DataValidationError(
            f"{gname!r} must be the first treated period (a number; 0 or blank = never "
            f"treated), found {example!r}"
        )
    per_unit = numbers.fillna(0).groupby(data[idname].to_numpy(), sort=True)
    varying = per_unit.nunique() > 1
    if varying.any():
        raise DataValidationError(
            f"{gname!r} must be constant within each unit; it varies for "
            f"{', '.join(map(str, varying.index[varying][:5]))}"
        )
    return per_unit.first()


def _label_key(label: object) -> tuple[str, object]:
    return (type(label).__name__, label)


def _synthetic_payload(fit, aggregate: str, design: SyntheticDesign) -> dict:
    stats = fit.fit_statistics
    placebo = fit.placebo
    out: dict = {"overall": _overall(fit.att, placebo.standard_error)}
    if aggregate == "dynamic":
        tidy = fit.tidy()
        rows = tidy[tidy["time"].notna()]
        out["by"] = [
            {
                "time": int(r.time),
                "estimate": r.estimate,
                "std_error": r.std_error,
                "p_value": r.p_value,
            }
            for r in rows.itertuples()
        ]
    weights = fit.unit_weights
    order = sorted(range(weights.size), key=lambda i: (-weights.iloc[i], str(weights.index[i])))
    out |= {
        "treated_unit": design.treated_unit,
        "treatment_time": int(design.treatment_time),
        "n_donors": len(design.donors),
        "excluded_treated_units": design.other_treated,
        "pre_fit": {
            "rmspe": stats["pre_rmspe"],
            "r2": stats["pre_r2"],
            "n_pre_periods": int(stats["n_pre_periods"]),
        },
        "placebo": {
            "p_value": placebo.p_value,
            "rmspe_ratio_p_value": placebo.rmspe_ratio_p_value,
            "rmspe_ratio_rank": placebo.rmspe_ratio_rank,
            "n_placebos": int(placebo.units.size),
            "std_error_method": "placebo, all donors (Arkhangelsky et al. 2021, Algorithm 4)",
        },
        "unit_weights": [{"unit": weights.index[i], "weight": weights.iloc[i]} for i in order],
    }
    if fit.method == "sdid":
        out["time_weights"] = [
            {"time": int(time), "weight": weight} for time, weight in fit.time_weights.items()
        ]
    out["path"] = [
        {
            "time": int(r.time),
            "treated": r.treated,
            "synthetic": r.synthetic,
            "effect": r.effect,
            "post": bool(r.post),
        }
        for r in fit.path().itertuples()
    ]
    out["notes"] = list(fit.notes)
    return out


def _run_bacon(data: pd.DataFrame, args) -> dict:
    from ylt_eval.models import bacon

    fit = bacon(data, args.yname, args.tname, args.idname, args.gname)
    by_type = fit.by_type()
    return {
        "overall": {"estimate": float(fit.overall), "std_error": None},
        "by": [
            {"type": row.type, "weight": row.weight, "estimate": row.estimate}
            for row in by_type.itertuples()
        ],
    }


ESTIMATOR_RUNNERS = {
    "cs": _run_cs,
    "twfe": _run_twfe,
    "sunab": _run_sunab,
    "bacon": _run_bacon,
    "sdid": _run_synthetic,
    "sc": _run_synthetic,
}
