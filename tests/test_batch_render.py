"""Batch runs of the package's own reports: same bytes as standalone papermill renders, on
local report processes and on a Dask cluster over loopback; a run killed with SIGKILL leaves
only complete files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_batch import small_panel
from ylt_eval.cli import main

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
COUNTY = "990122"
PROVINCE = "示范省"


@pytest.fixture(scope="module")
def local_run(tmp_path_factory, demo_panel_path):
    out = tmp_path_factory.mktemp("local")
    arguments = ["render", str(demo_panel_path), "--year", "2024", "--out", str(out)]
    assert main([*arguments, "--county", COUNTY, "--jobs", "2"]) == 0
    return out


def test_batch_outputs_are_byte_identical_to_standalone_papermill_renders(
    local_run, demo_panel_path
):
    from ylt_eval.batch.execute import (
        COUNTY_TEMPLATE,
        PROVINCE_TEMPLATE,
        execute_report,
        packaged_template,
    )

    data = str(demo_panel_path.resolve())
    common = {"year": 2024, "data_path": data, "lang": "zh", "synthetic": False}
    county = execute_report(packaged_template(COUNTY_TEMPLATE), {"county_code": COUNTY, **common})
    assert (local_run / f"county_{COUNTY}_zh.html").read_text(encoding="utf-8") == county.html
    assert (local_run / f"county_{COUNTY}_zh.pdf").read_bytes() == county.pdf
    links = {COUNTY: f"county_{COUNTY}_zh.html"}
    province = execute_report(
        packaged_template(PROVINCE_TEMPLATE),
        {"province": PROVINCE, "report_links": links, **common},
    )
    assert (local_run / "province_01_zh.html").read_text(encoding="utf-8") == province.html
    assert (local_run / "province_01_zh.pdf").read_bytes() == province.pdf


def _start(arguments: list, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        arguments, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs
    )


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_for(path: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            pytest.fail(f"{path} did not appear within {seconds} s")
        time.sleep(0.2)


def test_dask_cluster_on_loopback_gives_the_same_reports(local_run, demo_panel_path, tmp_path):
    scheduler_file = tmp_path / "scheduler.json"
    scheduler = _start(
        [
            *(BIN / "dask", "scheduler", "--host", "127.0.0.1", "--port", "0"),
            *("--no-dashboard", "--scheduler-file", scheduler_file),
        ]
    )
    worker = None
    try:
        _wait_for(scheduler_file, 60)
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        worker = _start(
            [
                *(BIN / "dask", "worker", address, "--nworkers", "2", "--nthreads", "1"),
                *("--no-dashboard", "--host", "127.0.0.1", "--local-directory", tmp_path / "w"),
            ],
            cwd=tmp_path,
        )
        out = tmp_path / "dask"
        arguments = ["render", str(demo_panel_path), "--year", "2024", "--out", str(out)]
        assert main([*arguments, "--county", COUNTY, "--scheduler", address]) == 0
    finally:
        if worker is not None:
            _stop(worker)
        _stop(scheduler)
    for name in (f"county_{COUNTY}_zh.html", f"county_{COUNTY}_zh.pdf", "province_01_zh.pdf"):
        assert (out / name).read_bytes() == (local_run / name).read_bytes(), name


def test_dask_local_cluster_gives_the_same_reports(local_run, demo_panel_path, tmp_path):
    out = tmp_path / "cluster"
    arguments = ["render", str(demo_panel_path), "--year", "2024", "--out", str(out)]
    arguments += ["--county", COUNTY, "--scheduler", "local", "--jobs", "2"]
    assert main(arguments) == 0
    for name in (f"county_{COUNTY}_zh.html", "province_01_zh.html"):
        assert (out / name).read_bytes() == (local_run / name).read_bytes(), name


def _assert_only_complete_files(out: Path) -> None:
    for path in out.iterdir():
        if path.name.startswith("."):
            assert path.name == ".ylt-staging", path.name
            continue
        assert not path.name.endswith(".part"), path.name
        if path.suffix == ".html":
            assert path.read_text(encoding="utf-8").rstrip().endswith("</html>"), path.name
        elif path.suffix == ".pdf":
            assert path.read_bytes().rstrip().endswith(b"%%EOF"), path.name
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))


def test_sigkill_mid_run_leaves_only_complete_files_and_a_rerun_finishes(tmp_path, demo_panel_path):
    data = small_panel(demo_panel_path, tmp_path / "panel.csv")
    out = tmp_path / "out"
    command = [BIN / "ylt-eval", "render", data, "--year", "2024", "--out", out, "--jobs", "2"]
    run = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its report processes share its process group
    )
    try:
        deadline = time.monotonic() + 180
        while not list(out.glob("county_*.pdf")):
            assert run.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "no report appeared"
            time.sleep(0.05)
        time.sleep(0.5)  # let more files be written: kill in the middle of things
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    assert run.returncode == -signal.SIGKILL
    _assert_only_complete_files(out)
    assert len(list(out.glob("county_*.html"))) < 8  # really interrupted

    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    _assert_only_complete_files(out)
    assert not (out / ".ylt-staging").exists()
    assert len(list(out.glob("county_*.html"))) == len(list(out.glob("county_*.pdf"))) == 8
