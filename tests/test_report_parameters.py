"""Notebook parameter validation."""

from __future__ import annotations

import pytest

from ylt_eval.errors import ParameterError
from ylt_eval.report.parameters import (
    county_parameters,
    normalise_county_code,
    province_parameters,
)


@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "panel.csv"
    path.write_text("county_code\n", encoding="utf-8")
    return path


def test_valid_county_parameters(data_file):
    params = county_parameters(
        {"county_code": "350125", "year": 2024, "data_path": str(data_file), "lang": "en"}
    )
    assert (params.county_code, params.year, params.lang) == ("350125", 2024, "en")
    assert params.synthetic is False


def test_synthetic_prefix_forces_banner(data_file):
    params = county_parameters({"county_code": "990101", "year": 2024, "data_path": data_file})
    assert params.synthetic is True


def test_integer_code_from_papermill_cli_is_accepted(data_file):
    params = county_parameters({"county_code": 350125, "year": "2024", "data_path": data_file})
    assert params.county_code == "350125"
    assert params.year == 2024


@pytest.mark.parametrize(
    "code", [None, "", "35012", "0350125", "3501250", "35012a", 35012, "../etc", True, 3.5e5]
)
def test_bad_county_codes_are_refused(code):
    with pytest.raises(ParameterError, match="county_code"):
        normalise_county_code(code)


def test_unknown_parameter_is_refused(data_file):
    with pytest.raises(ParameterError, match=r"unknown parameter.*county_cod"):
        county_parameters(
            {"county_cod": "350125", "county_code": "350125", "year": 2024, "data_path": data_file}
        )


def test_missing_required_parameter_is_refused(data_file):
    with pytest.raises(ParameterError, match="year"):
        county_parameters({"county_code": "350125", "year": None, "data_path": data_file})
    with pytest.raises(ParameterError, match="data_path"):
        county_parameters({"county_code": "350125", "year": 2024, "data_path": None})


def test_missing_data_file_is_refused(tmp_path):
    with pytest.raises(ParameterError, match="does not exist"):
        county_parameters(
            {"county_code": "350125", "year": 2024, "data_path": str(tmp_path / "nope.csv")}
        )


def test_bad_language_is_refused(data_file):
    with pytest.raises(ParameterError, match="lang"):
        county_parameters(
            {"county_code": "350125", "year": 2024, "data_path": data_file, "lang": "fr"}
        )


def test_modules_and_functions_in_namespace_are_ignored(data_file):
    import math

    namespace = {
        "math": math,
        "county_parameters": county_parameters,
        "county_code": "350125",
        "year": 2024,
        "data_path": data_file,
        "_": None,
    }
    assert county_parameters(namespace).county_code == "350125"


def test_province_parameters_validate_link_keys(data_file):
    params = province_parameters(
        {
            "province": "示范省",
            "year": 2024,
            "data_path": data_file,
            "report_links": {"990101": "county_990101_zh.html"},
        }
    )
    assert params.report_links == {"990101": "county_990101_zh.html"}
    with pytest.raises(ParameterError):
        province_parameters(
            {
                "province": "示范省",
                "year": 2024,
                "data_path": data_file,
                "report_links": {"../x": "y"},
            }
        )
    with pytest.raises(ParameterError, match="province is required"):
        province_parameters({"province": " ", "year": 2024, "data_path": data_file})


def test_checklist_path_is_optional_and_checked(data_file, tmp_path):
    base = {"county_code": "350125", "year": 2024, "data_path": data_file}
    assert county_parameters(base).checklist_path is None
    assert county_parameters({**base, "checklist_path": ""}).checklist_path is None
    checklist = tmp_path / "checklist.xlsx"
    checklist.write_bytes(b"")
    assert county_parameters({**base, "checklist_path": str(checklist)}).checklist_path == checklist
    with pytest.raises(ParameterError, match="template --checklist"):
        county_parameters({**base, "checklist_path": str(tmp_path / "missing.csv")})
    text_file = tmp_path / "checklist.txt"
    text_file.write_text("x", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"\.csv or \.xlsx"):
        county_parameters({**base, "checklist_path": str(text_file)})
