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
