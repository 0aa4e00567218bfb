"""``ylt-eval did``: JSON contract and reference numbers (R did 2.5.1, fixest 0.12.2).

Reference values are copied from ../shared/reference/reference.json (computed by R on
tests/data/mpdta.csv). Tolerance 1e-6 as the issue requires; the estimators themselves are
tested to 1e-9 in their own test files.
"""

from __future__ import annotations

import json

import pytest

from ylt_eval.cli import EXIT_OK, EXIT_USAGE, main

TOL = 1e-6
MPDTA = ["--yname", "lemp", "--tname", "year", "--idname", "countyreal", "--gname", "first.treat"]

# config → (cli options, simple overall, dynamic overall, dynamic rows e/estimate/se)
REFERENCE = {
    "A_nocov_never_reg": (
        ["--est-method", "reg"],
        (-0.039951275155177, 0.0120340127701854),
        (-0.0772398214573161, 0.0199649890618492),
        [
            (-3, 0.0305066555832921, 0.0150335602801301),
            (0, -0.0199318167892598, 0.0118263640580582),
            (3, -0.100811363085405, 0.034359225834673),
        ],
    ),
    "D_nocov_notyet_dr": (
        ["--control-group", "notyettreated"],
        (-0.0397636256230444, 0.0120524247873419),
        (-0.0773993139705857, 0.0195601769463942),
        [(-3, 0.0297593647610305, 0.0145335416386515)],
    ),
}
GROUP_A = [
    (2004, -0.0797491265747306, 0.026367799435027),
    (2006, -0.0229095392495403, 0.0167033302551621),
    (2007, -0.0260544107191972, 0.0166554353492522),
]


def run_did(capsys, mpdta_path, *options):
    code = main(["did", str(mpdta_path), *MPDTA, *options, "--format", "json"])
    assert code == EXIT_OK
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def mpdta_path(repo_root):
    return repo_root / "tests" / "data" / "mpdta.csv"


@pytest.mark.parametrize("config", sorted(REFERENCE))
def test_cs_simple_and_dynamic_match_r(capsys, mpdta_path, config):
    options, simple, dynamic, rows = REFERENCE[config]
    out = run_did(capsys, mpdta_path, "--estimator", "cs", *options)
    assert out["overall"]["estimate"] == pytest.approx(simple[0], abs=TOL)
    assert out["overall"]["std_error"] == pytest.approx(simple[1], abs=TOL)
    assert "by" not in out
    assert len(out["att_gt"]) == 12
    assert set(out["att_gt"][0]) == {"group", "time", "estimate", "std_error"}
    out = run_did(capsys, mpdta_path, "--estimator", "cs", *options, "--aggregate", "dynamic")
    assert out["overall"]["estimate"] == pytest.approx(dynamic[0], abs=TOL)
    assert out["overall"]["std_error"] == pytest.approx(dynamic[1], abs=TOL)
    by = {row["e"]: row for row in out["by"]}
    for e, estimate, std_error in rows:
        assert by[e]["estimate"] == pytest.approx(estimate, abs=TOL)
        assert by[e]["std_error"] == pytest.approx(std_error, abs=TOL)


def test_cs_group_aggregation_keys(capsys, mpdta_path):
    out = run_did(capsys, mpdta_path, "--est-method", "reg", "--aggregate", "group")
    assert [r["group"] for r in out["by"]] == [g for g, _, _ in GROUP_A]
    for row, (_, estimate, std_error) in zip(out["by"], GROUP_A, strict=True):
        assert row["estimate"] == pytest.approx(estimate, abs=TOL)
        assert row["std_error"] == pytest.approx(std_error, abs=TOL)
    out = run_did(capsys, mpdta_path, "--aggregate", "calendar")
    assert [r["time"] for r in out["by"]] == [2004, 2005, 2006, 2007]


def test_twfe_overall_is_post_coefficient_with_unit_clustered_se(capsys, mpdta_path):
    out = run_did(capsys, mpdta_path, "--estimator", "twfe")
    assert out["overall"]["estimate"] == pytest.approx(-0.0365489366740674, abs=TOL)
    assert out["overall"]["std_error"] == pytest.approx(0.013265155429339, abs=TOL)


def test_string_ids_and_semicolon_csv(capsys, tmp_path, mpdta_path):
    import pandas as pd

    data = pd.read_csv(mpdta_path)
    data["countyreal"] = "c" + data["countyreal"].astype(str)
    data["first.treat"] = data["first.treat"].astype(str)
    path = tmp_path / "semi.csv"
    data.to_csv(path, sep=";", index=False)
    out = run_did(capsys, path, "--est-method", "reg")
    assert out["overall"]["estimate"] == pytest.approx(-0.039951275155177, abs=TOL)


def test_bootstrap_is_reproducible_with_seed(capsys, mpdta_path):
    a = run_did(capsys, mpdta_path, "--bootstrap", "199", "--seed", "3")
    b = run_did(capsys, mpdta_path, "--bootstrap", "199", "--seed", "3")
    assert a == b
    assert a["overall"]["std_error"] == pytest.approx(0.012, rel=0.3)


def test_missing_column_is_a_clear_usage_error(capsys, mpdta_path):
    code = main(["did", str(mpdta_path), *MPDTA[:-1], "nope", "--format", "json"])
    assert code == EXIT_USAGE
    assert "no column(s) nope" in capsys.readouterr().err


def test_sunab_matches_fixest(capsys, mpdta_path):
    out = run_did(capsys, mpdta_path, "--estimator", "sunab", "--aggregate", "dynamic")
    assert out["overall"]["estimate"] == pytest.approx(-0.0399512751551743, abs=TOL)
    assert out["overall"]["std_error"] == pytest.approx(0.011796277441754, abs=TOL)
    by = {row["e"]: row for row in out["by"]}
    assert by[-4]["estimate"] == pytest.approx(0.00330635669251135, abs=TOL)
    assert by[-4]["std_error"] == pytest.approx(0.024555095531865, abs=TOL)


def test_bacon_types_weights_and_twfe(capsys, tmp_path, repo_root):
    import pandas as pd

    castle = pd.read_csv(repo_root / "tests" / "data" / "castle.csv")
    castle["effyear"] = castle["effyear"].fillna(0)
    path = tmp_path / "castle.csv"
    castle.to_csv(path, index=False)
    code = main(
        [
            "did",
            str(path),
            "--yname",
            "l_homicide",
            "--tname",
            "year",
            "--idname",
            "state",
            "--gname",
            "effyear",
            "--estimator",
            "bacon",
            "--format",
            "json",
        ]
    )
    assert code == EXIT_OK
    out = json.loads(capsys.readouterr().out)
    assert out["overall"]["estimate"] == pytest.approx(0.0818116, abs=1e-6)
    rows = {row["type"]: row for row in out["by"]}
    expected = {  # R bacondecomp 0.1.3 prints 5 decimals
        "earlier_vs_later": (0.05976, -0.00554),
        "later_vs_earlier": (0.0319, 0.07032),
        "treated_vs_untreated": (0.90834, 0.08796),
    }
    for name, (weight, estimate) in expected.items():
        assert rows[name]["weight"] == pytest.approx(weight, abs=5e-5)
        assert rows[name]["estimate"] == pytest.approx(estimate, abs=5e-5)
    assert sum(row["weight"] for row in out["by"]) == pytest.approx(1.0, abs=1e-12)


# --- synthetic DiD and synthetic control (one treated unit) ---------------------------------

# R synthdid 0.0.9 on california_prop99 (reference.json["prop99_sdid"]; see test_synthetic.py).
PROP99 = {"sdid": -15.603828, "sc": -19.619663}
PROP99_ARGS = ["--yname", "PacksPerCapita", "--tname", "Year", "--idname", "State", "--gname", "g"]


def prop99_with_cohorts(repo_root, **cohorts):
    import pandas as pd

    data = pd.read_csv(repo_root / "tests" / "data" / "california_prop99.csv", sep=";")
    data["g"] = data["State"].map({"California": 1989, **cohorts}).fillna(0).astype(int)
    return data


@pytest.fixture(scope="module")
def prop99_path(repo_root, tmp_path_factory):
    path = tmp_path_factory.mktemp("prop99") / "prop99.csv"
    prop99_with_cohorts(repo_root).to_csv(path, index=False)
    return path


def run_synthetic(path, estimator, *options):
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["did", str(path), *PROP99_ARGS, "--estimator", estimator, *options])
    assert code == EXIT_OK
    return json.loads(buffer.getvalue())


@pytest.fixture(scope="module")
def prop99_cli(prop99_path):
    return {
        "sdid": run_synthetic(prop99_path, "sdid", "--aggregate", "dynamic"),
        "sc": run_synthetic(prop99_path, "sc"),
    }


@pytest.mark.parametrize("method", ["sdid", "sc"])
def test_synthetic_estimates_match_synthdid_and_the_library(repo_root, prop99_cli, method):
    from ylt_eval.models import synthetic_did

    out = prop99_cli[method]
    assert out["estimator"] == method
    assert out["overall"]["estimate"] == pytest.approx(PROP99[method], abs=TOL)
    fit = synthetic_did(
        prop99_with_cohorts(repo_root),
        "PacksPerCapita",
        "Year",
        "State",
        "California",
        1989,
        method=method,
    )
    assert out["overall"]["estimate"] == pytest.approx(fit.att, abs=1e-12)
    assert out["overall"]["std_error"] == pytest.approx(fit.placebo.standard_error, abs=1e-12)
    assert out["placebo"]["p_value"] == pytest.approx(fit.placebo.p_value, abs=1e-12)
    # 38 placebo states: the rank p-value lies on the grid k / 39.
    p_value = out["placebo"]["p_value"]
    assert 1 / 39 <= p_value <= 1
    assert p_value * 39 == pytest.approx(round(p_value * 39), abs=1e-9)
    assert out["placebo"]["n_placebos"] == 38 and out["n_donors"] == 38
    weights = {row["unit"]: row["weight"] for row in out["unit_weights"]}
    assert weights == pytest.approx(fit.unit_weights.to_dict(), abs=1e-12)
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-9)
    assert out["pre_fit"]["rmspe"] == pytest.approx(fit.fit_statistics["pre_rmspe"], abs=1e-12)
    assert out["pre_fit"]["n_pre_periods"] == 19
    assert (out["treated_unit"], out["treatment_time"]) == ("California", 1989)
    assert [row["time"] for row in out["path"]] == list(range(1970, 2001))


def test_synthetic_json_keys(prop99_cli):
    sdid, sc = prop99_cli["sdid"], prop99_cli["sc"]
    common = {
        "estimator",
        "settings",
        "overall",
        "treated_unit",
        "treatment_time",
        "n_donors",
        "excluded_treated_units",
        "pre_fit",
        "placebo",
        "unit_weights",
        "path",
        "notes",
    }
    assert set(sc) == common
    assert set(sdid) == common | {"by", "time_weights"}
    assert set(sdid["overall"]) == {"estimate", "std_error"}
    assert set(sdid["placebo"]) >= {"p_value", "rmspe_ratio_p_value", "n_placebos"}
    assert set(sdid["pre_fit"]) == {"rmspe", "r2", "n_pre_periods"}
    assert [row["time"] for row in sdid["by"]] == list(range(1989, 2001))
    assert all({"time", "estimate", "std_error"} <= set(row) for row in sdid["by"])
    # The overall effect is the mean of the per-period effects.
    mean = sum(row["estimate"] for row in sdid["by"]) / len(sdid["by"])
    assert mean == pytest.approx(sdid["overall"]["estimate"], abs=1e-9)
    assert sum(row["weight"] for row in sdid["time_weights"]) == pytest.approx(1.0, abs=1e-9)
    assert sdid["settings"]["donor_pool"].startswith("never treated")


def test_synthetic_donor_pool_is_never_and_not_yet_treated(repo_root, tmp_path):
    from ylt_eval.models import synthetic_did

    # Nevada treated after the panel ends: a donor. Utah treated in 1995: not a donor.
    data = prop99_with_cohorts(repo_root, Nevada=2005, Utah=1995)
    path = tmp_path / "staggered.csv"
    data.to_csv(path, index=False)
    out = run_synthetic(path, "sdid", "--treated-unit", "California")
    assert out["n_donors"] == 37 and out["excluded_treated_units"] == ["Utah"]
    assert "Nevada" in {row["unit"] for row in out["unit_weights"]}
    donors = sorted(set(data["State"]) - {"California", "Utah"})
    fit = synthetic_did(data, "PacksPerCapita", "Year", "State", "California", 1989, donors=donors)
    assert out["overall"]["estimate"] == pytest.approx(fit.att, abs=1e-12)


def test_synthetic_refusals_are_clear(capsys, repo_root, tmp_path, prop99_path):
    data = prop99_with_cohorts(repo_root, Utah=1995)
    path = tmp_path / "two.csv"
    data.to_csv(path, index=False)
    code = main(["did", str(path), *PROP99_ARGS, "--estimator", "sc"])
    assert code == EXIT_USAGE
    err = capsys.readouterr().err
    assert "one treated unit" in err and "2 units are treated" in err and "--treated-unit" in err
    code = main(["did", str(path), *PROP99_ARGS, "--estimator", "sc", "--treated-unit", "Texas"])
    assert code == EXIT_USAGE
    assert "--treated-unit Texas is not treated within the panel" in capsys.readouterr().err
    code = main(
        ["did", str(prop99_path), *PROP99_ARGS, "--estimator", "sdid", "--aggregate", "group"]
    )
    assert code == EXIT_USAGE
    assert "simple or dynamic" in capsys.readouterr().err
    code = main(["did", str(prop99_path), *PROP99_ARGS, "--treated-unit", "California"])
    assert code == EXIT_USAGE
    assert "--treated-unit is available for --estimator sdid and sc" in capsys.readouterr().err
    never = prop99_with_cohorts(repo_root, California=0)
    path = tmp_path / "never.csv"
    never.to_csv(path, index=False)
    code = main(["did", str(path), *PROP99_ARGS, "--estimator", "sdid"])
    assert code == EXIT_USAGE
    assert "no unit of 'State' is treated" in capsys.readouterr().err
