"""Batch rendering: fault isolation, retry, resume, manifest, parameter checks before any run.

Most tests use a tiny county template (``--template``) so that what is tested (the batch
machinery) runs in seconds; the package's own reports are compared byte for byte with
standalone papermill renders in ``test_batch_render.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from ylt_eval.batch.runner import RenderJob, _select
from ylt_eval.batch.state import report_hash
from ylt_eval.cli import main

OK, KILLED, SLOW, BLOCKED = "990121", "990122", "990123", "990124"
FAULTS = "YLT_TEST_FAULTS"

#: A county notebook that shows a cover, or (when $YLT_TEST_FAULTS is set) kills its own
#: process for KILLED and outlives any time limit for SLOW.
_FAULTY_CELL = f"""
import os, signal, time
from ylt_eval.report.elements import Document

if os.environ.get("{FAULTS}") and str(county_code) == "{KILLED}":
    os.kill(os.getpid(), signal.SIGKILL)
if os.environ.get("{FAULTS}") and str(county_code) == "{SLOW}":
    time.sleep(300)
Document(title=f"County {{county_code}}", subtitle=str(year), lang=lang)
"""


def write_template(path: Path, extra: str = "") -> Path:
    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell(
        'county_code = None\nyear = None\ndata_path = None\nlang = "zh"\nsynthetic = False'
    )
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [parameters, nbformat.v4.new_code_cell(_FAULTY_CELL + extra)]
    nbformat.write(notebook, path)
    return path


def small_panel(demo_panel_path: Path, path: Path, *, block: str | None = None) -> Path:
    """Eight demo counties; ``block``'s data get a blocking error (a negative count)."""
    panel = pd.read_csv(demo_panel_path, dtype={"county_code": str})
    panel = panel[panel["county_code"].isin(sorted(set(panel["county_code"]))[:8])].copy()
    if block:
        panel.loc[(panel["county_code"] == block) & (panel["year"] == 2024), "visits_primary"] = -5
    panel.to_csv(path, index=False)
    return path


def render(data: Path, out: Path, *codes: str, extra: tuple[str, ...] = ()) -> int:
    arguments = ["render", str(data), "--year", "2024", "--out", str(out), "--format", "html"]
    for code in codes:
        arguments += ["--county", code]
    return main([*arguments, "--jobs", "2", *extra])


def manifest_rows(out: Path) -> dict[str, dict]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {row["key"]: row for row in manifest["reports"]}


def log_entries(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "render_log.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory, demo_panel_path):
    """A run with a healthy, a killed, a too-slow and a blocked county."""
    folder = tmp_path_factory.mktemp("faulty")
    data = small_panel(demo_panel_path, folder / "panel.csv", block=BLOCKED)
    template = write_template(folder / "faulty.ipynb")
    out = folder / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(FAULTS, "1")
        code = render(
            data,
            out,
            OK,
            KILLED,
            SLOW,
            BLOCKED,
            extra=("--template", str(template), "--timeout", "4"),
        )
    return code, data, template, out


def test_failures_are_isolated_and_recorded_with_reasons(faulty_run):
    code, _, _, out = faulty_run
    assert code == 1
    rows = manifest_rows(out)
    assert rows[OK]["status"] == "ok"
    assert (
        (out / rows[OK]["outputs"]["html"]).read_text(encoding="utf-8").rstrip().endswith("</html>")
    )
    assert rows[KILLED]["status"] == "failed"
    assert "died" in rows[KILLED]["error"]
    assert rows[SLOW]["status"] == "failed"
    assert "wall-clock limit of 4 s" in rows[SLOW]["error"]
    assert rows[BLOCKED]["status"] == "failed"
    assert BLOCKED in rows[BLOCKED]["error"] and "value.negative" in rows[BLOCKED]["error"]
    for key in (KILLED, SLOW, BLOCKED):
        assert not (out / rows[key]["outputs"]["html"]).exists()


def test_manifest_has_one_row_per_report_and_durations_go_to_the_log(faulty_run):
    _, _, _, out = faulty_run
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    rows = manifest["reports"]
    assert [r["key"] for r in rows if r["kind"] == "county"] == [OK, KILLED, SLOW, BLOCKED]
    assert [r["kind"] for r in rows].count("province") == 1
    for row in rows:
        assert set(row) >= {"status", "outputs", "input_hash", "error"}
        assert len(row["input_hash"]) == 64
        assert "seconds" not in json.dumps(row)
    assert len(manifest["input_sha256"]) == 64
    entries = log_entries(out)
    assert {e["key"] for e in entries} >= {OK, KILLED, SLOW, BLOCKED}
    assert all(e["seconds"] >= 0 for e in entries)
    slow = next(e for e in entries if e["key"] == SLOW)
    assert slow["seconds"] == pytest.approx(4, abs=0.01)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "✗ 失败" in index and "✓ 已生成" in index
    assert not (out / ".ylt-staging").exists()


def test_retry_failed_redoes_only_the_failed_reports(faulty_run):
    _, data, template, out = faulty_run
    kept = (out / f"county_{OK}_zh.html").stat().st_mtime_ns
    before = len(log_entries(out))
    code = render(data, out, OK, KILLED, SLOW, BLOCKED, extra=("--template", str(template)))
    assert code == 1  # the blocked county's data are still wrong
    rows = manifest_rows(out)
    assert rows[KILLED]["status"] == rows[SLOW]["status"] == "ok"
    assert rows[BLOCKED]["status"] == "failed"
    assert (out / f"county_{OK}_zh.html").stat().st_mtime_ns == kept
    redone = {e["key"] for e in log_entries(out)[before:]}
    assert OK not in redone
    assert {KILLED, SLOW, BLOCKED} <= redone


def test_rerun_skips_unchanged_reports_and_redoes_changed_ones(tmp_path, demo_panel_path):
    data = small_panel(demo_panel_path, tmp_path / "panel.csv")
    template = write_template(tmp_path / "plain.ipynb")
    out = tmp_path / "out"
    extra = ("--template", str(template))
    assert render(data, out, OK, KILLED, extra=extra) == 0
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file()}
    manifest = (out / "manifest.json").read_bytes()

    assert render(data, out, OK, KILLED, extra=extra) == 0
    assert (out / "manifest.json").read_bytes() == manifest
    for name, stamp in stamps.items():
        if name not in {"render_log.jsonl", "index.html", "manifest.json"}:
            assert (out / name).stat().st_mtime_ns == stamp, name

    write_template(template, extra="\n# changed template")
    (out / f"county_{KILLED}_zh.html").unlink()
    assert render(data, out, OK, KILLED, extra=extra) == 0
    last = {e["key"] for e in log_entries(out) if e["run"] == log_entries(out)[-1]["run"]}
    assert {OK, KILLED} <= last
    assert (out / f"county_{KILLED}_zh.html").is_file()


def test_bad_parameters_are_refused_before_anything_runs(tmp_path, demo_panel_path, capsys):
    out = tmp_path / "out"
    code = main(["render", str(demo_panel_path), "--year", "1800", "--out", str(out)])
    assert code == 2
    assert "1949" in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())
    missing = tmp_path / "none.ipynb"
    code = main(
        [
            *("render", str(demo_panel_path), "--year", "2024", "--out", str(out)),
            *("--template", str(missing)),
        ]
    )
    assert code == 2
    for bad in (["--jobs", "0"], ["--timeout", "0"]):
        code = main(["render", str(demo_panel_path), "--year", "2024", "--out", str(out), *bad])
        assert code == 2
    assert not out.exists() or not any(out.iterdir())


def test_plain_progress_lines_when_not_a_terminal(tmp_path, demo_panel_path, capsys):
    data = small_panel(demo_panel_path, tmp_path / "panel.csv")
    template = write_template(tmp_path / "plain.ipynb")
    assert render(data, tmp_path / "out", OK, extra=("--template", str(template))) == 0
    err = capsys.readouterr().err
    assert "2 reports, 0 up to date" in err
    assert f"[1/2] county {OK} ok" in err or f"[2/2] county {OK} ok" in err
    assert "/min, ETA" in err


def _job(key: str, content_hash: str, outputs: dict[str, Path]) -> RenderJob:
    return RenderJob("county", key, key, "", Path("t.ipynb"), {}, outputs, content_hash)


def test_select_keeps_only_complete_unchanged_successes(tmp_path):
    present = tmp_path / "a.html"
    present.write_text("x")
    jobs = [
        _job("a", "h1", {"html": present}),
        _job("b", "h2", {"html": present}),
        _job("c", "h3", {"html": tmp_path / "missing.html"}),
        _job("d", "h4", {"html": present}),
        _job("e", "h5", {"html": present}),
    ]
    previous = {
        ("county", "a"): {"status": "ok", "input_hash": "h1"},
        ("county", "b"): {"status": "ok", "input_hash": "old"},
        ("county", "c"): {"status": "ok", "input_hash": "h3"},
        ("county", "d"): {"status": "failed", "input_hash": "h4"},
    }
    to_run, kept = _select(jobs, previous, retry_failed=False)
    assert [j.key for j in kept] == ["a"]
    assert [j.key for j in to_run] == ["b", "c", "d", "e"]
    to_run, kept = _select(jobs, previous, retry_failed=True)
    assert [j.key for j in to_run] == ["d", "e"]  # failed, and never rendered


def test_report_hash_covers_inputs_parameters_template_and_formats():
    base = dict(
        kind="county",
        parameters={"county_code": "990121", "year": 2024, "data_path": "/a/panel.csv"},
        formats={"html"},
        input_sha256="i" * 64,
        template_sha256="t" * 64,
    )
    reference = report_hash(**base)
    moved = {**base, "parameters": {**base["parameters"], "data_path": "/b/panel.csv"}}
    assert report_hash(**moved) == reference
    for change in (
        {"parameters": {**base["parameters"], "year": 2023}},
        {"formats": {"html", "pdf"}},
        {"input_sha256": "j" * 64},
        {"template_sha256": "u" * 64},
    ):
        assert report_hash(**{**base, **change}) != reference


def test_checklist_reaches_county_reports_and_its_content_is_hashed(tmp_path, demo_panel_path):
    from ylt_eval.batch.runner import plan_jobs
    from ylt_eval.errors import ParameterError

    checklist = tmp_path / "checklist.csv"
    checklist.write_text("county_code,year,item,status,evidence\n", encoding="utf-8")

    def plan(path):
        return plan_jobs(
            demo_panel_path,
            year=2024,
            counties=[("990126", "云岫县", "示范省")],
            provinces=["示范省"],
            out_dir=tmp_path / "out",
            formats=frozenset({"html"}),
            lang="zh",
            synthetic=True,
            checklist=path,
        )

    without = {job.kind: job for job in plan(None)}
    first = {job.kind: job for job in plan(checklist)}
    assert first["county"].parameters["checklist_path"] == str(checklist.resolve())
    assert "checklist_path" not in first["province"].parameters
    assert first["county"].content_hash != without["county"].content_hash
    assert first["province"].content_hash == without["province"].content_hash
    checklist.write_text(
        "county_code,year,item,status,evidence\n990126,2024,one_legal_representative,met,x\n",
        encoding="utf-8",
    )
    assert plan(checklist)[0].content_hash != first["county"].content_hash  # content, not path
    with pytest.raises(ParameterError, match="checklist file not found"):
        plan(tmp_path / "missing.csv")
