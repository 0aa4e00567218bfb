"""Machine-readable results: every number a report shows, as deterministic JSON and CSV."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys

import nbformat
import pytest

from ylt_eval.analysis.county import analyse_county
from ylt_eval.analysis.inputs import load_assessment_data
from ylt_eval.analysis.province import analyse_province
from ylt_eval.report.county_sections import CountyReport
from ylt_eval.report.elements import iter_elements
from ylt_eval.report.formatting import format_value
from ylt_eval.report.parameters import county_parameters, province_parameters
from ylt_eval.report.results import (
    RESULT_COLUMNS,
    RESULTS_MIME,
    county_results,
    province_results,
    results_from_notebook,
    results_to_csv_bytes,
    results_to_json_bytes,
    write_results,
)


@pytest.fixture(scope="module")
def demo_data(demo_panel_path):
    return load_assessment_data(demo_panel_path)


@pytest.fixture(scope="module")
def county(demo_panel_path, demo_data):
    params = county_parameters(
        {"county_code": "990126", "year": 2024, "data_path": demo_panel_path}
    )
    return analyse_county(params, data=demo_data)


def _index(results: dict) -> dict:
    return {
        (r["section"], r["indicator"], r["year"], r["group"], r["measure"]): r["value"]
        for r in results["values"]
    }


def test_county_results_layout_and_known_values(county):
    results = county_results(county)
    assert results["schema"] == "ylt-eval.results/1" and results["county_code"] == "990126"
    assert all(tuple(row) == RESULT_COLUMNS for row in results["values"])
    assert all(row["value"] is not None for row in results["values"])
    values = _index(results)
    assert values[("summary", "", 2024, "", "grade")] == "优"
    assert values[("summary", "", 2024, "", "rank")] == 4
    card = county.assessment.scorecard.set_index("indicator")
    visits = card.loc["primary_visit_share"]
    assert values[("scorecard", "primary_visit_share", 2024, "", "value")] == pytest.approx(
        visits["value"], rel=1e-11
    )
    assert values[("scorecard", "primary_visit_share", 2024, "", "status")] == "not_met"
    assert values[("outcomes", "dm_control_rate", 2024, "", "better_than_share")] == 100
    assert values[("impact", "primary_visit_share", "", "", "seed")] == 20240101
    assert values[("county_effect", "primary_visit_share", "", "", "att")] == pytest.approx(
        county.counterfactual.att, rel=1e-11
    )
    withheld = [r for r in results["values"] if r["measure"] == "withheld"]
    assert [(r["indicator"], r["year"]) for r in withheld] == [
        ("maternal_mortality", 2014),
        ("maternal_mortality", 2019),
        ("maternal_mortality", 2022),
    ]
    assert results["provenance"]["data_sha256"] == county.data.sha256
    assert results["summary"]["findings"][0]["kind"] == "targets"


def test_every_number_of_the_referral_and_headline_tables_is_in_the_results(county):
    values = _index(county_results(county))
    leaves = iter_elements(CountyReport(county).referrals().to_json())
    table = next(leaf for leaf in leaves if leaf["kind"] == "table")
    for row, direction in zip(table["rows"], ("up", "down"), strict=True):
        assert row[1] == format_value(values[("referrals", "", 2024, direction, "count")], "人次")
        assert row[2] == format_value(values[("referrals", "", 2023, direction, "count")], "人次")
        growth = values[("referrals", "", 2024, direction, "growth")]
        assert row[3] == format_value(growth, "%", signed=True)
        assert row[6] == format_value(values[("referrals", "", 2024, direction, "rate")], "%")
    for row in county.headline.itertuples():
        shown = values[("headline", row.indicator, 2024, "", "value")]
        assert shown == pytest.approx(row.value, rel=1e-11)


def test_json_and_csv_bytes_are_deterministic_and_parse_back(county, tmp_path):
    first, second = county_results(county), county_results(county)
    assert results_to_json_bytes(first) == results_to_json_bytes(second)
    assert json.loads(results_to_json_bytes(first)) == first
    data = results_to_csv_bytes(first)
    assert data.startswith("\ufeff".encode()) and data.endswith(b"\n") and b"\r" not in data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == len(first["values"]) and tuple(rows[0]) == RESULT_COLUMNS
    write_results(first, tmp_path / "r.json", tmp_path / "r.csv")
    assert (tmp_path / "r.csv").read_bytes() == data


def test_csv_neutralises_text_that_looks_like_a_formula():
    row = dict.fromkeys(RESULT_COLUMNS, "")
    row.update(section="x", measure="note", value="=HYPERLINK(1)")
    negative = {**row, "value": -3.5}
    data = results_to_csv_bytes({"values": [row, negative]}).decode("utf-8-sig")
    lines = data.splitlines()
    assert lines[1].endswith(",'=HYPERLINK(1),") and lines[2].endswith(",-3.5,")


def test_results_travel_in_the_notebook_under_their_own_mime_type(county):
    output = CountyReport(county).results()
    bundle = output._repr_mimebundle_()
    assert list(bundle) == [RESULTS_MIME]  # nothing the page or the PDF would show
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("report.results()")
    cell.outputs = [nbformat.v4.new_output("display_data", data=bundle)]
    notebook.cells = [nbformat.v4.new_code_cell("x"), cell]
    assert results_from_notebook(notebook) == output.results
    assert results_from_notebook(nbformat.v4.new_notebook()) is None


def test_province_results(demo_panel_path, demo_data):
    params = province_parameters({"province": "示范省", "year": 2024, "data_path": demo_panel_path})
    results = province_results(analyse_province(params, data=demo_data))
    values = _index(results)
    assert results["report"] == "province" and results["n_counties"] == 80
    assert values[("grades", "", 2024, "优", "counties")] == 20
    assert values[("county_warnings", "", 2024, "990126", "n_warnings")] == 17
    assert values[("composite", "", 2024, "990126", "rank_equal")] == 4
    json.loads(results_to_json_bytes(results))


_SCRIPT = """
import hashlib, sys
from ylt_eval.analysis.county import analyse_county
from ylt_eval.report.parameters import county_parameters
from ylt_eval.report.results import county_results, results_to_csv_bytes, results_to_json_bytes
params = county_parameters({"county_code": "990122", "year": 2024, "data_path": sys.argv[1]})
results = county_results(analyse_county(params))
digest = hashlib.sha256(results_to_json_bytes(results) + results_to_csv_bytes(results))
print(digest.hexdigest())
"""


def test_results_bytes_do_not_depend_on_hash_seed_or_time_zone(demo_panel_path):
    digests = set()
    for tz, seed in (("UTC", "0"), ("Asia/Shanghai", "4242")):
        env = {**os.environ, "TZ": tz, "PYTHONHASHSEED": seed, "OPENBLAS_NUM_THREADS": "1"}
        done = subprocess.run(
            [sys.executable, "-c", _SCRIPT, str(demo_panel_path)],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        digests.add(done.stdout.strip())
    assert len(digests) == 1 and len(hashlib.sha256().hexdigest()) == len(digests.pop())
