"""Time of one rendered report, by phase: python benchmarks/bench_render.py [N_COUNTIES]

Executes the county template with papermill for N demo counties (default 4), then exports each
executed notebook to HTML (nbconvert) and PDF (typst), and prints per-phase medians. Nothing is
asserted.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table

REPO = Path(__file__).resolve().parent.parent


def main(n_counties: int = 4) -> None:
    import papermill

    from ylt_eval.batch.execute import COUNTY_TEMPLATE, packaged_template
    from ylt_eval.demo import generate_demo_panel
    from ylt_eval.report.html_export import notebook_to_html
    from ylt_eval.report.pdf_export import notebook_to_pdf

    data = REPO / "data" / "demo" / "panel.csv"
    codes = sorted(set(generate_demo_panel()["county_code"]))[:n_counties]
    phases: dict[str, list[float]] = {"execute (kernel)": [], "HTML export": [], "PDF export": []}
    sizes = {"HTML KB": [], "PDF KB": []}
    with tempfile.TemporaryDirectory() as tmp:
        for code in codes:
            out = Path(tmp) / f"{code}.ipynb"
            started = time.perf_counter()
            papermill.execute_notebook(
                str(packaged_template(COUNTY_TEMPLATE)),
                str(out),
                parameters={"county_code": code, "year": 2024, "data_path": str(data)},
                progress_bar=False,
                cwd=tmp,
                kernel_manager_class="ylt_eval.batch.kernel.IpcKernelManager",
            )
            phases["execute (kernel)"].append(time.perf_counter() - started)
            notebook = nbformat.read(out, as_version=4)
            started = time.perf_counter()
            html = notebook_to_html(notebook)
            phases["HTML export"].append(time.perf_counter() - started)
            started = time.perf_counter()
            pdf = notebook_to_pdf(notebook)
            phases["PDF export"].append(time.perf_counter() - started)
            sizes["HTML KB"].append(len(html.encode()) / 1e3)
            sizes["PDF KB"].append(len(pdf) / 1e3)
    total = [sum(values) for values in zip(*phases.values(), strict=True)]
    rows = [(name, f"{statistics.median(v):.2f}") for name, v in phases.items()]
    rows.append(("total per county report", f"{statistics.median(total):.2f}"))
    rows.append(("county reports per minute (1 process)", f"{60 / statistics.median(total):.1f}"))
    print_table(f"county report render, {n_counties} demo counties (median)", ("phase", "s"), rows)
    print_table(
        "output size (median)",
        ("file", "KB"),
        [(name, f"{statistics.median(v):.0f}") for name, v in sizes.items()],
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4)
