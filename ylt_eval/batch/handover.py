"""Inputs a batch run computed once, handed to the report notebook it executes.

A batch run loads the input file once and estimates each province's model once; the process
that executes one report notebook receives them through :func:`install_precomputed` before
the notebook runs. The notebook asks :func:`precomputed_inputs` for them: in a batch process it
gets the shared objects, anywhere else (papermill, JupyterLab) an empty mapping, so the
analysis functions load and estimate what they need themselves and give the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ylt_eval.analysis.inputs import AssessmentData
from ylt_eval.batch.precompute import ProvinceModels


@dataclass(frozen=True)
class Precomputed:
    """What one report process receives.

    Attributes
    ----------
    data_path : Path
        Resolved input file the objects were computed from.
    year : int
    lang : str
        Language the data's warning texts were loaded in.
    data : AssessmentData
    models : ProvinceModels or None
        The province's estimates for ``year`` (None: the notebook estimates them itself).
    """

    data_path: Path
    year: int
    lang: str
    data: AssessmentData
    models: ProvinceModels | None = None


_installed: Precomputed | None = None


def install_precomputed(precomputed: Precomputed | None) -> None:
    """Make ``precomputed`` available to the notebook run next in this process."""
    global _installed
    _installed = precomputed


def precomputed_inputs(params: object) -> dict[str, object]:
    """Keyword arguments for ``analyse_county`` / ``analyse_province``.

    Parameters
    ----------
    params : CountyReportParameters or ProvinceReportParameters
        The notebook's validated parameters; the installed objects are used only if they were
        computed from the same file, year and language.

    Returns
    -------
    dict
        ``data`` and whichever province estimates were made (``impact``, ``bacon``,
        ``counterfactual``, as the analysis function of ``params`` accepts them), or ``{}``
        outside a batch run.
    """
    found = _installed
    if found is None:
        return {}
    same = (
        Path(params.data_path).resolve() == found.data_path
        and params.year == found.year
        and params.lang == found.lang
    )
    if not same:
        return {}
    inputs: dict[str, object] = {"data": found.data}
    if found.models is not None:
        county_code = getattr(params, "county_code", None)
        if county_code is None:
            inputs.update(found.models.province_inputs())
        else:
            inputs.update(found.models.county_inputs(county_code))
    return inputs
