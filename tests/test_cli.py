"""The ylt-eval command line: exit codes and messages of template and validate."""

from __future__ import annotations

import json

import pytest

from ylt_eval.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main


def test_template_csv_and_xlsx(tmp_path, capsys):
    for name in ("t.csv", "t.xlsx"):
        assert main(["template", "--out", str(tmp_path / name)]) == EXIT_OK
        assert (tmp_path / name).stat().st_size > 0
    header = (tmp_path / "t.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "县级行政区划代码" in header


def test_template_refuses_unknown_extension(tmp_path, capsys):
    assert main(["template", "--out", str(tmp_path / "t.txt")]) == EXIT_USAGE
    assert "ylt-eval:" in capsys.readouterr().err


def test_validate_demo_panel_is_clean(demo_panel_path, capsys):
    assert main(["validate", str(demo_panel_path)]) == EXIT_OK


def test_validate_reports_every_problem_with_location(tmp_path, demo_panel_path, capsys):
    lines = demo_panel_path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    code_col, visits_col = header.index("county_code"), header.index("visits_primary")
    row3 = lines[2].split(",")
    row3[code_col] = "99012"  # lost leading digit
    row5 = lines[4].split(",")
    row5[visits_col] = "-5"  # negative count
    lines[2], lines[4] = ",".join(row3), ",".join(row5)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")

    assert main(["validate", str(bad), "--format", "json"]) == EXIT_FAILED
    issues = json.loads(capsys.readouterr().out)["issues"]
    located = {(i["rule"], i["row"], i["column"]) for i in issues if i["severity"] == "error"}
    assert ("county_code.format", 3, "county_code") in located
    assert ("value.negative", 5, "visits_primary") in located


def test_validate_table_output_names_file_row_and_column(tmp_path, capsys):
    bad = tmp_path / "坏数据.csv"
    bad.write_text(
        "county_code,county_name,province,year\n12345,甲县,乙省,2024\n", encoding="utf-8"
    )
    assert main(["validate", str(bad)]) == EXIT_FAILED
    out = capsys.readouterr().out
    assert "坏数据.csv" in out and "county_code" in out


def test_render_of_unreadable_file_exits_without_traceback(tmp_path, capsys):
    garbage = tmp_path / "x.csv"
    garbage.write_bytes(b"\x00\xff\x00garbage")
    code = main(["render", str(garbage), "--year", "2024", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == EXIT_FAILED
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv", [["render"], ["validate"], ["nonsense"]])
def test_usage_errors_exit_2(argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
