"""Batch rendering: naive loop vs ``ylt-eval render`` vs the in-process floor.

    python benchmarks/bench_batch.py [--counties 40] [--naive-counties N] [--jobs 2]
    python benchmarks/bench_batch.py --national [--national-provinces 1]

(a) naive: per county, the papermill CLI then ``jupyter nbconvert --to html``, one after another;
(b) ``ylt-eval render --jobs 2 --format html`` on the same counties (cold output folder);
(c) floor: the same notebooks' code in one warm Python process, no kernel, no fork (data loaded
and the province model estimated once, then per county: execute the cells, export HTML).
``--naive-counties N`` times (a) on N counties only and scales it to all (said in the table).

``--national`` writes a synthetic national panel (35 provinces × 80 counties = 2,800 counties,
12 years) by copying the demo province, renders ``--national-provinces`` provinces of it with
HTML + PDF from the full national file, samples the resident memory of the whole process tree
and scales the time to 2,800 counties (said in the table). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
YEAR = 2024
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}


class Clock:
    """Wall time and CPU time (user + system) of the child processes run meanwhile."""

    def __enter__(self) -> Clock:
        self.started = time.perf_counter()
        self.cpu_started = self._children_cpu()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.started
        self.cpu = self._children_cpu() - self.cpu_started

    @staticmethod
    def _children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime


def _codes(n: int) -> list[str]:
    from ylt_eval.demo import generate_demo_panel

    return sorted(set(generate_demo_panel()["county_code"]))[:n]


def naive_loop(data: Path, codes: list[str], scratch: Path) -> Clock:
    """(a): papermill CLI, then nbconvert CLI, county after county."""
    from ylt_eval.batch.execute import COUNTY_TEMPLATE, packaged_template

    template = packaged_template(COUNTY_TEMPLATE)
    with Clock() as clock:
        for code in codes:
            _naive_one(template, data, code, scratch)
    return clock


def _naive_one(template: Path, data: Path, code: str, scratch: Path) -> None:
    executed = scratch / f"county_{code}.ipynb"
    subprocess.run(
        [
            *(BIN / "papermill", template, executed, "-p", "county_code", code),
            *("-p", "year", str(YEAR), "-p", "data_path", str(data), "--log-level", "ERROR"),
        ],
        check=True,
        env=ENV,
        capture_output=True,
    )
    subprocess.run(
        [BIN / "jupyter", "nbconvert", "--to", "html", str(executed)],
        check=True,
        env=ENV,
        capture_output=True,
    )


def batch_render(data: Path, codes: list[str], out: Path, *, jobs: int, formats: str) -> Clock:
    """(b): the ``ylt-eval render`` command, as a user runs it."""
    arguments = [BIN / "ylt-eval", "render", data, "--year", str(YEAR), "--out", out]
    arguments += ["--jobs", str(jobs), "--format", formats]
    for code in codes:
        arguments += ["--county", code]
    with Clock() as clock:
        subprocess.run(arguments, check=True, env=ENV, capture_output=True)
    return clock


_FLOOR = """
import sys, time
from pathlib import Path
data_path, year, codes = Path(sys.argv[1]).resolve(), int(sys.argv[2]), sys.argv[3:]
import ylt_eval.analysis.county, ylt_eval.report.county_sections, ylt_eval.report.html_export
from ylt_eval.analysis.inputs import load_assessment_data
from ylt_eval.batch.execute import COUNTY_TEMPLATE, packaged_template
from ylt_eval.batch.handover import Precomputed, install_precomputed
from ylt_eval.batch.precompute import province_models
from ylt_eval.batch.shell import execute_in_shell, parameterised_notebook
from ylt_eval.report.html_export import notebook_to_html
started = time.perf_counter()
data = load_assessment_data(data_path)
impacts = {}
template = packaged_template(COUNTY_TEMPLATE)
for code in codes:
    province = data.counties.set_index("county_code").loc[code, "province"]
    if province not in impacts:
        impacts[province] = province_models(data, province, year)
    install_precomputed(Precomputed(data_path, year, "zh", data, impacts[province]))
    parameters = {"county_code": code, "year": year, "data_path": str(data_path)}
    html = notebook_to_html(execute_in_shell(parameterised_notebook(template, parameters)))
print(time.perf_counter() - started)
"""


def warm_floor(data: Path, codes: list[str]) -> Clock:
    """(c): one warm process; wall time counted after imports (CPU time includes them)."""
    with Clock() as clock:
        result = subprocess.run(
            [sys.executable, "-c", _FLOOR, str(data), str(YEAR), *codes],
            check=True,
            env=ENV,
            capture_output=True,
            text=True,
        )
    clock.wall = float(result.stdout.strip().splitlines()[-1])
    return clock


def compare(args) -> None:
    data = REPO / "data" / "demo" / "panel.csv"
    codes = _codes(args.counties)
    naive_codes = codes[: args.naive_counties or len(codes)]
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        c = warm_floor(data, codes)
        b = batch_render(data, codes, scratch / "b", jobs=args.jobs, formats="html")
        a = naive_loop(data, naive_codes, scratch)
    scale = len(codes) / len(naive_codes)
    a.wall, a.cpu = a.wall * scale, a.cpu * scale
    scaled = "" if scale == 1 else f" (measured {len(naive_codes)}, scaled)"
    n = len(codes)
    rows = [
        (f"(a) papermill CLI + nbconvert CLI loop{scaled}", a),
        (f"(b) ylt-eval render --jobs {args.jobs} --format html (+ province summary)", b),
        ("(c) floor: same code, one warm process, no kernel", c),
    ]
    print_table(
        f"{n} demo county reports, HTML; {os.cpu_count()} cores; load average "
        f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after",
        ("variant", "wall s", "s/county", "CPU s", "wall vs (a)"),
        [
            (name, f"{t.wall:.1f}", f"{t.wall / n:.2f}", f"{t.cpu:.1f}", f"{a.wall / t.wall:.1f}×")
            for name, t in rows
        ],
    )
    print(
        f"\n(a)/(b) wall = {a.wall / b.wall:.1f} (target ≥ 4);  (b)/(c) wall = "
        f"{b.wall / c.wall:.2f} (target ≤ 2);  CPU per county: (a) {a.cpu / n:.1f} s, "
        f"(b) {b.cpu / n:.1f} s, (c) {c.cpu / n:.1f} s"
    )


def national_panel(path: Path, provinces: int = 35) -> int:
    """Write 35 copies of the demo province (12 years: 2013 added) as one national file."""
    import pandas as pd

    from ylt_eval.demo import generate_demo_panel

    demo = generate_demo_panel()
    first = demo[demo["year"] == demo["year"].min()].copy()
    numeric = first.select_dtypes("number").columns.difference(["year", "reform_year"])
    first[numeric] = (first[numeric] * 0.97).round(2)
    first["year"] -= 1
    demo = pd.concat([first, demo], ignore_index=True)
    local = {code: f"{i:02d}" for i, code in enumerate(sorted(set(demo["county_code"])), 1)}
    frames = []
    for p in range(1, provinces + 1):
        copy = demo.copy()
        copy["county_code"] = [f"99{p:02d}{local[c]}" for c in copy["county_code"]]
        copy["province"] = f"示范省{p:02d}"
        frames.append(copy)
    panel = pd.concat(frames, ignore_index=True)
    panel.to_csv(path, index=False)
    return panel["county_code"].nunique()


class TreeMemory:
    """Peak memory of a process and all its descendants (sampled; proportional set size, so
    pages that forked report processes share with their server are counted once)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                root = psutil.Process(self.pid)
                tree = [root, *root.children(recursive=True)]
                total = 0
                for process in tree:
                    with contextlib.suppress(psutil.Error):
                        total += process.memory_full_info().pss
                self.peak = max(self.peak, total)
            except psutil.Error:
                pass
            self._stop.wait(0.2)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak / 2**30


def national(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "national_panel.csv"
        n_counties = national_panel(data)
        chosen = [f"示范省{p:02d}" for p in range(1, args.national_provinces + 1)]
        arguments = [BIN / "ylt-eval", "render", data, "--year", str(YEAR)]
        arguments += ["--out", Path(tmp) / "out", "--jobs", str(args.jobs)]
        arguments += ["--format", "html,pdf"]
        for province in chosen:
            arguments += ["--province", province]
        started = time.perf_counter()
        process = subprocess.Popen(
            arguments, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        memory = TreeMemory(process.pid)
        process.wait()
        seconds = time.perf_counter() - started
        peak = memory.stop()
        rendered = 80 * len(chosen)
        size = data.stat().st_size / 1e6
    per_county = seconds / rendered
    rows = [
        ("input file", f"{n_counties} counties × 12 years, {size:.0f} MB"),
        (
            f"measured: {len(chosen)} province(s), {rendered} counties + summaries",
            f"{seconds:.0f} s",
        ),
        ("measured peak memory (PSS), whole process tree", f"{peak:.2f} GiB"),
        (
            "scaled to 2,800 counties (× measured per-county time)",
            f"{per_county * 2800 / 60:.0f} min",
        ),
    ]
    print_table(f"synthetic national run, HTML + PDF, --jobs {args.jobs}", ("", "value"), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=40)
    parser.add_argument("--naive-counties", type=int, default=None)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--national", action="store_true")
    parser.add_argument("--national-provinces", type=int, default=1)
    args = parser.parse_args()
    national(args) if args.national else compare(args)


if __name__ == "__main__":
    main()
