"""Deterministic generator of a fictional province (示范省) for demos, tutorials and tests.

Everything produced here is synthetic: the province, the county names, the 6-digit codes (all
under the prefix ``99``, which no real province uses) and every number. The data-generating
process, including the reform effects planted on purpose so that estimators can be checked
against a known truth, is documented in ``data/demo/README.md``; keep the two in step.

Reproducibility rules followed here: the only source of randomness is
``numpy.random.default_rng(seed)``, draws happen in a fixed order, no set or dict ordering that
depends on hashing is used, and apart from numpy's own Poisson sampler (maternal deaths) only
IEEE basic arithmetic (``+ - * /``, ``sqrt``, rounding) turns draws into values, so the same seed
gives the same bytes whatever the hash seed, time zone or date.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ylt_eval.errors import ParameterError
from ylt_eval.schema import data_dictionary

#: Name of the fictional province.
PROVINCE_NAME = "示范省"

#: Years covered by the demo panel.
DEMO_YEARS: tuple[int, ...] = tuple(range(2014, 2025))

#: Seed of the committed ``data/demo/panel.csv``.
DEFAULT_SEED = 2024

#: Reform cohorts (reform year, number of counties); ``None`` means never reformed.
COHORT_SIZES: tuple[tuple[int | None, int], ...] = (
    (2017, 8),
    (2019, 16),
    (2021, 12),
    (2022, 16),
    (2023, 14),
    (None, 14),
)

#: Share of the full effect reached at event time 0, 1, 2 and 3 or later (years since reform).
EFFECT_RAMP: tuple[float, ...] = (0.3, 0.6, 0.8, 1.0)

#: Full (event time ≥ 3) planted effect on the primary-care visit share, percentage points.
PRIMARY_VISIT_SHARE_EFFECT_PP: dict[int, float] = {
    2017: 12.0,
    2019: 10.0,
    2021: 8.0,
    2022: 7.0,
    2023: 6.0,
}

# Full planted effects of the other indicators, by cohort (2017, 2019, 2021, 2022, 2023).
# Units: "pp" = percentage points of the share; "rel" = relative change of the level;
# "growth" = annual growth rate lowered by this fraction from the reform year on.
_COHORT_YEARS: tuple[int, ...] = (2017, 2019, 2021, 2022, 2023)
_EFFECTS: dict[str, tuple[float, ...]] = {
    "primary_visit_share_pp": tuple(PRIMARY_VISIT_SHARE_EFFECT_PP[g] for g in _COHORT_YEARS),
    "in_county_admission_share_pp": (5.0, 4.0, 3.0, 3.0, 2.0),
    "resident_in_county_visit_rate_pp": (3.0, 2.0, 2.0, 2.0, 1.0),
    "primary_admission_share_pp": (3.0, 3.0, 2.0, 2.0, 2.0),
    "fund_in_county_share_pp": (5.0, 4.0, 3.0, 3.0, 2.0),
    "fund_primary_share_pp": (4.0, 3.0, 3.0, 2.0, 2.0),
    "drug_share_township_pp": (-14.0, -12.0, -10.0, -8.0, -8.0),
    "service_share_township_pp": (10.0, 8.0, 6.0, 5.0, 5.0),
    "drug_share_county_pp": (-3.0, -3.0, -2.0, -2.0, -2.0),
    "service_share_county_pp": (6.0, 5.0, 4.0, 3.0, 3.0),
    "cost_per_admission_growth": (0.025, 0.020, 0.020, 0.015, 0.015),
    "oop_per_discharge_rel": (-0.10, -0.08, -0.06, -0.06, -0.05),
    "pay_county_rel": (0.10, 0.08, 0.08, 0.06, 0.06),
    "pay_township_rel": (0.15, 0.12, 0.10, 0.10, 0.08),
    "referrals_down_rel": (2.0, 1.5, 1.2, 1.0, 1.0),
    "referrals_up_rel": (0.2, 0.2, 0.15, 0.15, 0.1),
    "physicians_stationed_per_10k": (2.0, 1.5, 1.5, 1.2, 1.2),
    "ecg_coverage_pp": (30.0, 30.0, 25.0, 25.0, 25.0),
    "general_contract_rate_pp": (5.0, 4.0, 4.0, 3.0, 3.0),
    "key_pop_contract_rate_pp": (6.0, 5.0, 5.0, 4.0, 4.0),
    "htn_dm_standard_rate_pp": (3.0, 3.0, 2.0, 2.0, 2.0),
    "chronic_admission_rate_pp": (-1.5, -1.2, -1.0, -1.0, -0.8),
    "grade34_surgery_share_pp": (4.0, 3.0, 3.0, 2.0, 2.0),
    "weak_discipline_progress": (0.25, 0.25, 0.2, 0.2, 0.2),
}

#: Largest deviation of a county's reform intensity from its cohort mean (which is exactly 1).
COUNTY_INTENSITY_SPREAD = 0.2

# Fictional county names (two characters, chosen not to match real counties). The last two of
# every prefecture are county-level cities (市, codes ..81, ..82), the others counties (..21-28).
_NAME_STEMS: tuple[str, ...] = (
    "霁川", "枫澜", "桐溪", "苇塘", "澄沙", "云岫", "青岚", "鹭汀", "松湾", "竹屿",
    "柳陂", "兰皋", "杉源", "榕岗", "梧桥", "棠阴", "芦洲", "蒲湾", "菱溪", "莲屿",
    "苍澜", "碧泉", "翠岭", "丹枫", "金滩", "银溪", "玉汀", "石湍", "岩桂", "峪川",
    "泓源", "湄溪", "漪川", "沁岚", "潆洲", "汀兰", "洄溪", "浣溪", "渚川", "沚水",
    "朔岭", "东皋", "南汀", "西岫", "中泓", "上渚", "下湾", "前溪", "后岭", "安澜",
    "宁澄", "康埠", "泰岫", "裕汀", "丰澜", "兴屿", "昌湍", "盛皋", "嘉陂", "和枫",
    "瑞榕", "祥梧", "禾湾", "麦川", "粟原", "黍岭", "茶屿", "桑汀", "葵川", "荻洲",
    "藜原", "蓼湾", "蘅皋", "芸溪", "蕙川", "茗岭", "苕源", "荇洲", "萱屿", "菖湖",
)  # fmt: skip
_PREFECTURES = 8
_COUNTIES_PER_PREFECTURE = 10
_COUNTY_SUFFIXES: tuple[str, ...] = (
    "21", "22", "23", "24", "25", "26", "27", "28", "81", "82",
)  # fmt: skip

_N_YEARS = len(DEMO_YEARS)
_T = np.arange(_N_YEARS, dtype=float)  # years since 2014

# Common (province-wide) year effects, one value per year 2014..2024.
_VISITS_PER_CAPITA_INDEX = np.array(
    [1.00, 1.03, 1.06, 1.09, 1.12, 1.15, 0.97, 1.08, 1.05, 1.20, 1.22]
)
_ADMISSIONS_PER_INSURED_INDEX = np.array(
    [1.00, 1.04, 1.08, 1.13, 1.18, 1.22, 1.05, 1.15, 1.10, 1.28, 1.30]
)
_PRIMARY_VISIT_SHARE_YEAR_PP = np.array(
    [0.0, -0.3, -0.6, -0.8, -1.0, -1.1, 0.5, 0.0, 0.2, -0.4, -0.5]
)
_IN_COUNTY_ADMISSION_SHARE_YEAR_PP = np.array(
    [0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.6, 1.5, 2.0, 1.4, 1.6]
)
_RESIDENT_IN_COUNTY_RATE_YEAR_PP = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 1.0, 0.8, 0.9, 0.6, 0.7])
_FUND_IN_COUNTY_SHARE_YEAR_PP = np.array([0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.8, 1.5, 2.0, 1.5, 1.6])
_DRUG_SHARE_COUNTY_YEAR_PP = np.array(
    [0.0, -0.6, -1.2, -2.2, -2.6, -2.9, -3.1, -3.3, -3.5, -3.7, -3.9]
)
_COST_PER_ADMISSION_GROWTH = np.array(
    [0.0, 0.060, 0.055, 0.050, 0.050, 0.045, 0.060, 0.035, 0.030, 0.025, 0.020]
)
_CHRONIC_ADMISSION_RATE_YEAR_PP = np.array(
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.5, -0.8, -1.0, 0.0, 0.0]
)
_BIRTHS_PER_1000 = np.array([12.0, 11.5, 13.0, 12.5, 11.0, 10.5, 8.5, 7.5, 6.8, 6.4, 6.6])
_MATERNAL_DEATHS_PER_100K_BIRTHS = np.array(
    [22.0, 21.0, 20.0, 19.5, 19.0, 18.0, 17.5, 17.0, 16.0, 15.5, 15.0]
)


@dataclass(frozen=True)
class _Design:
    """Who is reformed when, and how strongly (arrays of shape counties × years)."""

    cohort: np.ndarray  # reform year per county, 0 = never reformed
    cohort_index: np.ndarray  # position in _COHORT_YEARS, -1 = never reformed
    intensity: np.ndarray  # county multiplier of the cohort effect, mean exactly 1 per cohort
    ramp: np.ndarray  # EFFECT_RAMP value at each county-year, 0 before reform / never
    treated: np.ndarray  # bool: county-year at or after the reform year

    def effect(self, name: str) -> np.ndarray:
        """Planted effect ``name`` at every county-year (full effect × intensity × ramp)."""
        full = np.array((*_EFFECTS[name], 0.0))[self.cohort_index]
        return (full * self.intensity)[:, None] * self.ramp

    def yearly_factor(self, name: str, sign: float) -> np.ndarray:
        """Cumulated per-year factor ``(1 + sign × effect × intensity)`` from the reform year on."""
        full = np.array((*_EFFECTS[name], 0.0))[self.cohort_index]
        step = 1.0 + sign * (full * self.intensity)[:, None] * self.treated
        return np.cumprod(step, axis=1)


def _uniform(rng: np.random.Generator, low: float, high: float, n: int) -> np.ndarray:
    return low + (high - low) * rng.random(n)


def _noise(rng: np.random.Generator, half_width: float, shape: tuple[int, int]) -> np.ndarray:
    # Irwin-Hall (mean of four uniforms): bell-shaped yet bounded, so plausibility ranges can be
    # guaranteed by construction; sd = 0.2887 × half_width.
    u = rng.random((4, *shape))
    return half_width * ((u[0] + u[1] + u[2] + u[3]) - 2.0) / 2.0


def _compound(growth: np.ndarray) -> np.ndarray:
    """Index equal to 1 in 2014 and growing by ``growth[t]`` in year t (cumulated product)."""
    return np.cumprod(1.0 + growth, axis=-1)


def _count(values: np.ndarray) -> np.ndarray:
    return np.rint(values).astype(np.int64)


def _cents(values_wan_yuan: np.ndarray) -> np.ndarray:
    return np.rint(values_wan_yuan * 100.0).astype(np.int64)


def _part(whole: np.ndarray, share_percent: np.ndarray) -> np.ndarray:
    """Integer part of an integer whole for a share in percent, between 0 and the whole."""
    share = np.clip(share_percent, 0.0, 100.0)
    return np.minimum(whole, np.rint(whole * share / 100.0).astype(np.int64))


def _counties() -> tuple[list[str], list[str]]:
    codes, names = [], []
    for prefecture in range(_PREFECTURES):
        for position, suffix in enumerate(_COUNTY_SUFFIXES):
            stem = _NAME_STEMS[prefecture * _COUNTIES_PER_PREFECTURE + position]
            codes.append(f"99{prefecture + 1:02d}{suffix}")
            names.append(stem + ("市" if suffix.startswith("8") else "县"))
    return codes, names


def _design(rng: np.random.Generator, n: int) -> _Design:
    order = rng.permutation(n)
    cohort = np.zeros(n, dtype=np.int64)
    cohort_index = np.full(n, -1, dtype=np.int64)
    start = 0
    for reform_year, size in COHORT_SIZES:
        members = order[start : start + size]
        start += size
        if reform_year is not None:
            cohort[members] = reform_year
            cohort_index[members] = _COHORT_YEARS.index(reform_year)
    raw = rng.random(n) - 0.5
    intensity = np.ones(n)
    for index in range(len(_COHORT_YEARS)):
        members = cohort_index == index
        centred = raw[members] - raw[members].mean()
        scale = COUNTY_INTENSITY_SPREAD / np.max(np.abs(centred))
        intensity[members] = 1.0 + centred * scale
        # Re-centre so that the cohort mean is 1 up to rounding of the last bit.
        intensity[members] += 1.0 - intensity[members].mean()
    years = np.array(DEMO_YEARS)
    event_time = years[None, :] - cohort[:, None]
    treated = (cohort[:, None] > 0) & (event_time >= 0)
    ramp_table = np.array(EFFECT_RAMP)
    ramp = np.where(treated, ramp_table[np.clip(event_time, 0, len(EFFECT_RAMP) - 1)], 0.0)
    return _Design(cohort, cohort_index, intensity, ramp, treated)


def _generate_columns(seed: int) -> tuple[dict[str, np.ndarray], _Design, list[str], list[str]]:
    rng = np.random.default_rng(seed)
    codes, names = _counties()
    n = len(codes)
    shape = (n, _N_YEARS)
    design = _design(rng, n)
    cols: dict[str, np.ndarray] = {}

    # Population: 2014 level (skewed towards small counties) and a county-specific drift.
    pop_2014 = _uniform(rng, np.sqrt(170_000.0), np.sqrt(1_080_000.0), n) ** 2
    drift = _uniform(rng, -0.008, 0.005, n)
    pop = pop_2014[:, None] * _compound(np.where(_T > 0, drift[:, None], 0.0))
    cols["pop_resident"] = _count(pop)
    insured_ratio = _uniform(rng, 0.95, 1.12, n)
    cols["pop_insured"] = _count(pop * insured_ratio[:, None] * (1.0 + _noise(rng, 0.01, shape)))

    # Visits: volume × primary-care share (the indicator with the documented true ATT).
    visits_per_capita = _uniform(rng, 3.0, 5.5, n)
    visits_total = _count(
        pop * visits_per_capita[:, None] * _VISITS_PER_CAPITA_INDEX * (1 + _noise(rng, 0.03, shape))
    )
    primary_fe = _uniform(rng, 38.5, 48.0, n)
    primary_share = (
        primary_fe[:, None]
        + _PRIMARY_VISIT_SHARE_YEAR_PP
        + design.effect("primary_visit_share_pp")
        + _noise(rng, 1.5, shape)
    )
    visits_primary = _part(visits_total, primary_share)
    township_fraction = _uniform(rng, 50.0, 68.0, n)[:, None] + _noise(rng, 2.0, shape)
    county_fraction = _uniform(rng, 80.0, 92.0, n)[:, None] + _noise(rng, 1.0, shape)
    tcm_share = _uniform(rng, 12.0, 22.0, n)[:, None] + 0.25 * _T + _noise(rng, 1.0, shape)
    oe_fraction = _uniform(rng, 86.0, 94.0, n)[:, None] + _noise(rng, 1.0, shape)
    oe_gap = _uniform(rng, 0.5, 1.5, n)
    oe_visits_total = _part(visits_total, oe_fraction)
    cols["visits_total"] = visits_total
    cols["visits_primary"] = visits_primary
    cols["visits_township"] = _part(visits_primary, township_fraction)
    cols["visits_county"] = _part(visits_total - visits_primary, county_fraction)
    cols["visits_tcm"] = _part(visits_total, tcm_share)
    cols["oe_visits_total"] = oe_visits_total
    cols["oe_visits_primary"] = _part(oe_visits_total, primary_share - oe_gap[:, None])
    resident_fraction = _uniform(rng, 93.0, 98.0, n)
    in_county_rate = (
        _uniform(rng, 84.0, 91.0, n)[:, None]
        + _RESIDENT_IN_COUNTY_RATE_YEAR_PP
        + design.effect("resident_in_county_visit_rate_pp")
        + _noise(rng, 0.5, shape)
    )
    resident_in = _part(visits_total, np.broadcast_to(resident_fraction[:, None], shape))
    cols["resident_visits_in_county"] = resident_in
    cols["resident_visits_out_county"] = _count(
        resident_in * (100.0 - in_county_rate) / in_county_rate
    )

    # Admissions of the county's insured, in and out of the county.
    admissions_per_insured = _uniform(rng, 0.12, 0.17, n)
    admissions_all = _count(
        cols["pop_insured"]
        * admissions_per_insured[:, None]
        * _ADMISSIONS_PER_INSURED_INDEX
        * (1 + _noise(rng, 0.03, shape))
    )
    in_county_share = (
        _uniform(rng, 72.5, 82.0, n)[:, None]
        + _IN_COUNTY_ADMISSION_SHARE_YEAR_PP
        + design.effect("in_county_admission_share_pp")
        + _noise(rng, 1.0, shape)
    )
    admissions_in = _part(admissions_all, in_county_share)
    cols["admissions_in_county"] = admissions_in
    cols["admissions_out_county"] = admissions_all - admissions_in
    primary_admission_share = (
        _uniform(rng, 12.0, 28.0, n)[:, None]
        - 0.4 * _T
        + design.effect("primary_admission_share_pp")
        + _noise(rng, 1.0, shape)
    )
    admissions_primary = _part(admissions_in, primary_admission_share)
    cols["admissions_primary"] = admissions_primary

    # Cost per admission (元): common growth, slower growth after the reform.
    cost_per_admission = (
        _uniform(rng, 4000.0, 6500.0, n)[:, None]
        * _compound(_COST_PER_ADMISSION_GROWTH)
        * design.yearly_factor("cost_per_admission_growth", -1.0)
        * (1 + _noise(rng, 0.03, shape))
    )
    inpatient_cost = _cents(admissions_in * cost_per_admission / 10_000.0)
    cols["inpatient_cost_in_county"] = inpatient_cost

    # Insurance fund.
    fund_ratio = _uniform(rng, 0.72, 0.85, n)[:, None] * (1 + _noise(rng, 0.02, shape))
    fund_in = _cents(inpatient_cost / 100.0 * fund_ratio)
    fund_in_share = (
        _uniform(rng, 52.0, 80.0, n)[:, None]
        + _FUND_IN_COUNTY_SHARE_YEAR_PP
        + design.effect("fund_in_county_share_pp")
        + _noise(rng, 1.5, shape)
    )
    fund_primary_share = (
        _uniform(rng, 7.0, 20.0, n)[:, None]
        - np.minimum(0.2 * _T, 1.5)
        + design.effect("fund_primary_share_pp")
        + _noise(rng, 1.0, shape)
    )
    cols["fund_in_county"] = fund_in
    cols["fund_out_county"] = np.rint(fund_in * (100.0 - fund_in_share) / fund_in_share).astype(
        np.int64
    )
    cols["fund_primary"] = _part(fund_in, fund_primary_share)

    # Discharges and out-of-pocket payments by insurance scheme.
    resident_scheme_fraction = _uniform(rng, 78.0, 90.0, n)[:, None] + _noise(rng, 1.0, shape)
    discharges_resident = _part(admissions_all, resident_scheme_fraction)
    discharges_employee = admissions_all - discharges_resident
    oop_growth = _compound(np.where(_T > 0, 0.03, 0.0))
    for scheme, discharges, low, high in (
        ("resident", discharges_resident, 1300.0, 1900.0),
        ("employee", discharges_employee, 1100.0, 1700.0),
    ):
        oop_per_discharge = (
            _uniform(rng, low, high, n)[:, None]
            * oop_growth
            * (1.0 + design.effect("oop_per_discharge_rel"))
            * (1 + _noise(rng, 0.03, shape))
        )
        cols[f"discharges_{scheme}_scheme"] = discharges
        cols[f"oop_{scheme}_scheme"] = _cents(discharges * oop_per_discharge / 10_000.0)

    # Revenue by level: volumes × unit prices, then service and drug shares.
    discharges_county = _count(
        (admissions_in - admissions_primary)
        * _uniform(rng, 0.85, 0.95, n)[:, None]
        * 1.05
        * (1 + _noise(rng, 0.01, shape))
    )
    discharges_township = _count(
        admissions_primary * _uniform(rng, 1.00, 1.04, n)[:, None] * (1 + _noise(rng, 0.01, shape))
    )
    outpatient_price_county = (
        _uniform(rng, 140.0, 220.0, n)[:, None]
        * _compound(np.where(_T > 0, 0.05, 0.0))
        * (1 + _noise(rng, 0.02, shape))
    )
    outpatient_price_township = (
        _uniform(rng, 45.0, 75.0, n)[:, None]
        * _compound(np.where(_T > 0, 0.04, 0.0))
        * (1 + _noise(rng, 0.02, shape))
    )
    inpatient_price_township = _uniform(rng, 0.30, 0.40, n)[:, None] * cost_per_admission
    revenue = {
        "county": (
            _cents(cols["visits_county"] * outpatient_price_county / 10_000.0),
            _cents(
                discharges_county
                * cost_per_admission
                * 1.15
                * (1 + _noise(rng, 0.02, shape))
                / 10_000.0
            ),
        ),
        "township": (
            _cents(cols["visits_township"] * outpatient_price_township / 10_000.0),
            _cents(discharges_township * inpatient_price_township / 10_000.0),
        ),
    }
    service_share = {
        "county": _uniform(rng, 20.0, 27.0, n)[:, None]
        + 0.3 * _T
        + design.effect("service_share_county_pp")
        + _noise(rng, 1.0, shape),
        "township": _uniform(rng, 11.0, 19.0, n)[:, None]
        + 0.3 * _T
        + design.effect("service_share_township_pp")
        + _noise(rng, 1.0, shape),
    }
    drug_share = {
        "county": _uniform(rng, 33.0, 41.0, n)[:, None]
        + _DRUG_SHARE_COUNTY_YEAR_PP
        + design.effect("drug_share_county_pp")
        + _noise(rng, 1.0, shape),
        "township": _uniform(rng, 56.0, 72.0, n)[:, None]
        - 0.4 * _T
        + design.effect("drug_share_township_pp")
        + _noise(rng, 1.5, shape),
    }
    for level in ("county", "township"):
        outpatient, inpatient = revenue[level]
        medical = outpatient + inpatient
        cols[f"medical_revenue_{level}"] = medical
        cols[f"service_revenue_{level}"] = _part(medical, service_share[level])
        cols[f"drug_revenue_{level}"] = _part(medical, drug_share[level])
        cols[f"outpatient_revenue_{level}"] = outpatient
        cols[f"inpatient_revenue_{level}"] = inpatient
    cols["discharges_county"] = discharges_county
    cols["discharges_township"] = discharges_township

    # Workforce and pay (pay per head in 万元 a year).
    # County staff follow the 2014 workload (not the COVID-hit yearly volumes) and grow 3 % a year.
    workload_2014 = (
        discharges_county[:, :1] * _uniform(rng, 2.0, 3.0, n)[:, None] / 100.0
        + cols["visits_county"][:, :1] * _uniform(rng, 0.3, 0.5, n)[:, None] / 1000.0
    )
    staff_county = _count(
        workload_2014 * _compound(np.where(_T > 0, 0.03, 0.0)) * (1 + _noise(rng, 0.01, shape))
    )
    staff_township = _count(
        np.sqrt(pop)
        * _uniform(rng, 0.68, 1.0, n)[:, None]
        * _compound(np.where(_T > 0, 0.02, 0.0))
        * (1 + _noise(rng, 0.01, shape))
    )
    pay_county = (
        _uniform(rng, 7.0, 9.5, n)[:, None]
        * _compound(np.where(_T > 0, 0.06, 0.0))
        * (1.0 + design.effect("pay_county_rel"))
        * (1 + _noise(rng, 0.03, shape))
    )
    pay_township = (
        _uniform(rng, 5.0, 6.8, n)[:, None]
        * _compound(np.where(_T > 0, 0.055, 0.0))
        * (1.0 + design.effect("pay_township_rel"))
        * (1 + _noise(rng, 0.03, shape))
    )
    cols["staff_county"] = staff_county
    cols["pay_total_county"] = _cents(staff_county * pay_county)
    cols["staff_township"] = staff_township
    cols["pay_total_township"] = _cents(staff_township * pay_township)
    cols["staff_expense_county"] = np.rint(
        cols["pay_total_county"] * _uniform(rng, 1.20, 1.30, n)[:, None]
    ).astype(np.int64)
    # Business expenditure = staff expenditure + other operating costs tied to medical revenue.
    cols["business_expense_county"] = cols["staff_expense_county"] + np.rint(
        cols["medical_revenue_county"]
        * _uniform(rng, 0.55, 0.70, n)[:, None]
        * (1 + _noise(rng, 0.02, shape))
    ).astype(np.int64)

    # Referrals within the consortium.
    up_rate = _uniform(rng, 0.3, 0.8, n)[:, None] * (1 + 0.03 * _T)
    cols["referrals_up"] = _count(
        visits_primary
        * up_rate
        / 100.0
        * (1.0 + design.effect("referrals_up_rel"))
        * (1 + _noise(rng, 0.05, shape))
    )
    down_rate = _uniform(rng, 1.0, 3.0, n)[:, None] * _compound(np.where(_T > 0, 0.04, 0.0))
    cols["referrals_down"] = _count(
        discharges_county
        * down_rate
        / 100.0
        * (1.0 + design.effect("referrals_down_rel"))
        * (1 + _noise(rng, 0.05, shape))
    )

    # Homogeneity: stationed physicians and ECG coverage of village clinics.
    stationed_per_10k = (
        _uniform(rng, 0.5, 1.0, n)[:, None]
        + 0.05 * _T
        + design.effect("physicians_stationed_per_10k")
        + _noise(rng, 0.05, shape)
    )
    cols["physicians_stationed"] = _count(pop / 10_000.0 * stationed_per_10k)
    village_clinics = _count(
        pop_2014[:, None]
        / 1000.0
        * _uniform(rng, 0.6, 1.0, n)[:, None]
        * _compound(np.where(_T > 0, -0.01, 0.0))
    )
    ecg_coverage = (
        _uniform(rng, 8.0, 18.0, n)[:, None]
        + 3.0 * _T
        + design.effect("ecg_coverage_pp")
        + _noise(rng, 1.0, shape)
    )
    cols["village_clinics"] = village_clinics
    cols["village_clinics_ecg"] = _part(village_clinics, ecg_coverage)

    # Chronic disease management.
    htn_managed = _count(
        pop
        * _uniform(rng, 0.06, 0.09, n)[:, None]
        * (1 + 0.01 * _T)
        * (1 + _noise(rng, 0.02, shape))
    )
    dm_managed = _count(
        pop
        * _uniform(rng, 0.02, 0.03, n)[:, None]
        * (1 + 0.015 * _T)
        * (1 + _noise(rng, 0.02, shape))
    )
    for disease, managed in (("htn", htn_managed), ("dm", dm_managed)):
        standard_rate = (
            _uniform(rng, 62.0, 75.0, n)[:, None]
            + 0.5 * _T
            + design.effect("htn_dm_standard_rate_pp")
            + _noise(rng, 1.5, shape)
        )
        control_of_standard = _uniform(rng, 70.0, 85.0, n)[:, None] + _noise(rng, 2.0, shape)
        standard = _part(managed, standard_rate)
        cols[f"{disease}_managed"] = managed
        cols[f"{disease}_standard_managed"] = standard
        cols[f"{disease}_controlled"] = _part(standard, control_of_standard)
    chronic_managed = htn_managed + dm_managed - _count(0.3 * dm_managed)
    chronic_admission_rate = (
        _uniform(rng, 9.0, 14.0, n)[:, None]
        + 0.2 * _T
        + _CHRONIC_ADMISSION_RATE_YEAR_PP
        + design.effect("chronic_admission_rate_pp")
        + _noise(rng, 0.5, shape)
    )
    cols["chronic_managed"] = chronic_managed
    cols["chronic_managed_admitted"] = _part(chronic_managed, chronic_admission_rate)
    cols["premature_ncd_mortality"] = np.round(
        _uniform(rng, 14.3, 19.5, n)[:, None] - 0.18 * _T + _noise(rng, 0.3, shape), 2
    )

    # Surgery at county hospitals.
    surgeries = _part(
        discharges_county, _uniform(rng, 22.0, 32.0, n)[:, None] + _noise(rng, 1.0, shape)
    )
    grade34_share = (
        _uniform(rng, 28.0, 40.0, n)[:, None]
        + 1.0 * _T
        + design.effect("grade34_surgery_share_pp")
        + _noise(rng, 1.5, shape)
    )
    cols["surgeries_total_county"] = surgeries
    cols["surgeries_grade34_county"] = _part(surgeries, grade34_share)

    # Family-doctor contracts (key populations are a subset of all contracted residents).
    key_pop = _count(pop * (_uniform(rng, 25.0, 32.0, n)[:, None] + 0.5 * _T) / 100.0)
    key_rate = (
        _uniform(rng, 55.0, 72.0, n)[:, None]
        + 0.8 * _T
        + design.effect("key_pop_contract_rate_pp")
        + _noise(rng, 1.0, shape)
    )
    general_rate = (
        _uniform(rng, 10.0, 20.0, n)[:, None]
        + 0.5 * _T
        + design.effect("general_contract_rate_pp")
        + _noise(rng, 1.0, shape)
    )
    key_contracted = _part(key_pop, key_rate)
    cols["key_pop_total"] = key_pop
    cols["key_pop_contracted"] = key_contracted
    cols["contracted_residents"] = key_contracted + _part(
        cols["pop_resident"] - key_pop, general_rate
    )

    # Maternal deaths and live births (no planted effect).
    live_births = _count(pop * _BIRTHS_PER_1000 / 1000.0 * _uniform(rng, 0.85, 1.15, n)[:, None])
    maternal_rate = _MATERNAL_DEATHS_PER_100K_BIRTHS * _uniform(rng, 0.7, 1.3, n)[:, None]
    cols["live_births"] = live_births
    cols["maternal_deaths"] = rng.poisson(live_births * maternal_rate / 100_000.0).astype(np.int64)

    # Weak primary-care disciplines: a fixed plan, built progressively.
    planned = rng.integers(4, 11, n)
    progress = np.clip(
        _uniform(rng, 0.05, 0.15, n)[:, None]
        + 0.07 * _T
        + design.effect("weak_discipline_progress"),
        0.0,
        1.0,
    )
    cols["weak_disciplines_planned"] = np.broadcast_to(planned[:, None], shape).astype(np.int64)
    cols["weak_disciplines_built"] = np.floor(planned[:, None] * progress).astype(np.int64)

    return cols, design, codes, names


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def _consortium_name(county_name: str, reform_year: int) -> str:
    if reform_year == 2017:
        return f"{county_name}总医院"
    if county_name.endswith("市"):
        return f"{county_name}医疗健康集团"
    return f"{county_name}医共体"


def generate_demo_panel(seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Generate the fictional province's county × year panel.

    Parameters
    ----------
    seed : int, default 2024
        Seed of ``numpy.random.default_rng``; the committed ``data/demo/panel.csv`` uses 2024.

    Returns
    -------
    pandas.DataFrame
        One row per county × year (80 counties, 2014–2024), with exactly the columns of the data
        dictionary in dictionary order, sorted by ``county_code`` then ``year``. Counts are
        ``int64``; amounts (万元) and the rate are ``float64`` rounded to 2 decimals;
        ``reform_year`` is ``float64`` with NaN for never-reformed counties (what ``read_csv``
        gives for the CSV); ``consortium_name`` is missing for those counties.

    Raises
    ------
    ParameterError
        If ``seed`` is not a non-negative integer.
    """
    cols, design, codes, names = _generate_columns(_check_seed(seed))
    n = len(codes)
    county_index = np.repeat(np.arange(n), _N_YEARS)
    reform = design.cohort[county_index]
    data: dict[str, object] = {
        "county_code": pd.array([codes[i] for i in county_index], dtype="str"),
        "county_name": pd.array([names[i] for i in county_index], dtype="str"),
        "province": pd.array([PROVINCE_NAME] * len(county_index), dtype="str"),
        "year": np.tile(np.array(DEMO_YEARS, dtype=np.int64), n),
        "reform_year": np.where(reform > 0, reform, np.nan).astype(float),
        "consortium_name": pd.array(
            [
                _consortium_name(names[i], int(design.cohort[i])) if design.cohort[i] else None
                for i in county_index
            ],
            dtype="str",
        ),
    }
    for spec in data_dictionary():
        if spec.column in data:
            continue
        values = cols[spec.column].reshape(-1)
        if spec.kind == "amount":
            data[spec.column] = values / 100.0
        elif spec.kind == "count":
            data[spec.column] = values.astype(np.int64)
        else:
            data[spec.column] = np.round(values.astype(float), 2)
    order = [spec.column for spec in data_dictionary()]
    return pd.DataFrame({column: data[column] for column in order})


def primary_visit_share_true_att() -> pd.DataFrame:
    """Planted average effect on the primary-care visit share, by cohort and event time.

    The share is ``visits_primary / visits_total × 100``; the effect is the unweighted mean over
    the cohort's counties (county intensities average exactly 1 within a cohort), in percentage
    points. Event times before 0 have no effect (no anticipation) and are not listed.

    Returns
    -------
    pandas.DataFrame
        Columns ``cohort``, ``event_time``, ``year``, ``att_pp`` for every post-reform
        cohort × year inside 2014–2024.
    """
    rows = []
    for cohort in _COHORT_YEARS:
        for year in DEMO_YEARS:
            if year < cohort:
                continue
            event_time = year - cohort
            ramp = EFFECT_RAMP[min(event_time, len(EFFECT_RAMP) - 1)]
            rows.append((cohort, event_time, year, PRIMARY_VISIT_SHARE_EFFECT_PP[cohort] * ramp))
    return pd.DataFrame(rows, columns=["cohort", "event_time", "year", "att_pp"])


def primary_visit_share_county_effects(seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Planted effect on the primary-care visit share of every county × year.

    Useful to check single-county methods (synthetic control) against the truth.

    Parameters
    ----------
    seed : int, default 2024
        Same seed as given to :func:`generate_demo_panel`.

    Returns
    -------
    pandas.DataFrame
        Columns ``county_code``, ``year``, ``effect_pp`` (0 before the reform and for
        never-reformed counties), sorted by ``county_code`` then ``year``.
    """
    _, design, codes, _ = _generate_columns(_check_seed(seed))
    effect = design.effect("primary_visit_share_pp")
    return pd.DataFrame(
        {
            "county_code": pd.array(np.repeat(codes, _N_YEARS).tolist(), dtype="str"),
            "year": np.tile(np.array(DEMO_YEARS, dtype=np.int64), len(codes)),
            "effect_pp": effect.reshape(-1),
        }
    )


def demo_counties_for_report(seed: int = DEFAULT_SEED) -> tuple[str, ...]:
    """Three county codes for the demo reports: an early, a late and a never reformer.

    The lowest code of the 2017 cohort, of the 2023 cohort and of the never-reformed group.

    Parameters
    ----------
    seed : int, default 2024
        Same seed as given to :func:`generate_demo_panel`.

    Returns
    -------
    tuple of str
        ``(early_reformer, late_reformer, never_reformed)`` 6-digit codes.
    """
    _, design, codes, _ = _generate_columns(_check_seed(seed))
    chosen = []
    for reform_year in (2017, 2023, 0):
        members = [codes[i] for i in range(len(codes)) if design.cohort[i] == reform_year]
        chosen.append(min(members))
    return tuple(chosen)


def _format_cell(value: object, kind: str) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if kind in {"count", "period", "reform"}:
        return str(int(value))
    if kind in {"amount", "rate"}:
        return f"{float(value):.2f}"
    return str(value)


def demo_panel_csv_text(seed: int = DEFAULT_SEED) -> str:
    """The demo panel as CSV text, exactly as :func:`write_demo_panel` writes it.

    Parameters
    ----------
    seed : int, default 2024
        Seed passed to :func:`generate_demo_panel`.

    Returns
    -------
    str
        Header plus one line per county × year, ``\\n`` line endings, counts as integers, amounts
        and rates with exactly 2 decimals, an empty cell for a missing value.
    """
    panel = generate_demo_panel(seed)
    specs = data_dictionary()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([spec.column for spec in specs])
    columns = [(panel[spec.column].tolist(), spec.kind) for spec in specs]
    for row in range(len(panel)):
        writer.writerow([_format_cell(values[row], kind) for values, kind in columns])
    return buffer.getvalue()


def write_demo_panel(path: str | os.PathLike[str], seed: int = DEFAULT_SEED) -> Path:
    """Write the demo panel to a CSV file (UTF-8 without BOM), atomically.

    Parameters
    ----------
    path : str or path-like
        Destination file; missing parent folders are created.
    seed : int, default 2024
        Seed passed to :func:`generate_demo_panel`.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    target = Path(path)
    payload = demo_panel_csv_text(seed).encode("utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write to a temporary name in the same folder, then rename: no half-written file remains.
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        # mkstemp creates the file private (0600); give it the usual mode of a data file.
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
