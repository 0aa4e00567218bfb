"""End to end: demo data → notebooks → HTML and PDF, checked in Chromium and with pdftotext."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_tool
from ylt_eval.cli import main

pytestmark = pytest.mark.e2e

YEAR = 2024


@pytest.fixture(scope="module")
def two_counties(demo_panel_path) -> list[str]:
    from ylt_eval.demo import demo_counties_for_report

    return list(demo_counties_for_report())[:2]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, demo_panel_path, two_counties) -> Path:
    out = tmp_path_factory.mktemp("reports")
    args = ["render", str(demo_panel_path), "--year", str(YEAR), "--out", str(out)]
    for code in two_counties:
        args += ["--county", code]
    assert main(args) == 0
    return out


def test_outputs_are_named_by_county_code(rendered, two_counties):
    names = sorted(p.name for p in rendered.iterdir())
    for code in two_counties:
        assert f"county_{code}_zh.html" in names
        assert f"county_{code}_zh.pdf" in names
    assert "index.html" in names
    assert "manifest.json" in names
    assert not [n for n in names if n.endswith(".part")]
    manifest = json.loads((rendered / "manifest.json").read_text(encoding="utf-8"))
    assert {r["status"] for r in manifest["reports"]} == {"ok"}


def test_html_has_no_code_and_loads_nothing_from_a_host(rendered, two_counties):
    html = (rendered / f"county_{two_counties[0]}_zh.html").read_text(encoding="utf-8")
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html
    assert "<script" not in html
    assert "analyse_county" not in html  # no code cells
    assert "示例数据（合成）" in html


def _open_in_chromium(path: Path, screenshot: Path):
    chromium = require_tool("chromium", "chromium")
    from playwright.sync_api import sync_playwright

    console, requests = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: console.append((m.type, m.text)))
        page.on("pageerror", lambda e: console.append(("pageerror", str(e))))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        text = page.inner_text("body")
        page.evaluate("document.fonts.ready")
        # The embedded subset must cover the Chinese the page shows (else: empty boxes).
        han = "".join(sorted({c for c in text if "\u4e00" <= c <= "\u9fff"}))[:200]
        covered = page.evaluate("([s]) => document.fonts.check('16px ReportSans', s)", [han or "a"])
        images = page.eval_on_selector_all("img", "els => els.map(e => [e.naturalWidth, e.alt])")
        page.screenshot(path=str(screenshot), full_page=False)
        browser.close()
    assert covered, "embedded font does not cover the page's Chinese characters"
    return console, requests, text, images


def test_county_html_in_chromium(rendered, two_counties, tmp_path):
    page = rendered / f"county_{two_counties[0]}_zh.html"
    console, requests, text, images = _open_in_chromium(page, tmp_path / "shot.png")
    errors = [c for c in console if c[0] in {"error", "pageerror"}]
    assert errors == []
    external = [u for u in requests if not u.startswith(("file://", "data:"))]
    assert external == []
    assert "基层" in text and len(text) > 500
    assert images and all(width > 0 and alt for width, alt in images)


def test_index_html_in_chromium(rendered, tmp_path):
    console, requests, text, _ = _open_in_chromium(rendered / "index.html", tmp_path / "i.png")
    assert [c for c in console if c[0] in {"error", "pageerror"}] == []
    assert [u for u in requests if not u.startswith(("file://", "data:"))] == []
    assert "county_" not in text  # links show labels, not file names


def test_pdf_text_contains_chinese_indicator_names(rendered, two_counties):
    require_tool("pdftotext", "poppler-utils")
    from ylt_eval.analysis.config import report_config
    from ylt_eval.metrics.catalogue import indicator

    pdf = rendered / f"county_{two_counties[0]}_zh.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    flat = "".join(text.split())
    for code in report_config().headline[:6]:
        assert "".join(indicator(code).name_zh.split()) in flat
    assert "示例数据（合成）" in flat
    assert "目录" in flat  # table of contents


def test_province_summary_rendered(rendered, two_counties):
    summaries = sorted(rendered.glob("province_*_zh.html"))
    assert len(summaries) == 1
    html = summaries[0].read_text(encoding="utf-8")
    for code in two_counties:
        assert f"county_{code}_zh.html" in html


def test_county_template_runs_standalone_with_papermill_cli(tmp_path, demo_panel_path, repo_root):
    from ylt_eval.demo import demo_counties_for_report

    code = demo_counties_for_report()[0]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            str(repo_root / "notebooks" / "county_report.ipynb"),
            str(tmp_path / "out.ipynb"),
            "-p",
            "county_code",
            code,  # papermill turns this into an int: must be accepted
            "-p",
            "year",
            str(YEAR),
            "-p",
            "data_path",
            str(demo_panel_path),
            "--no-progress-bar",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_unknown_notebook_parameter_fails_with_clear_message(tmp_path, demo_panel_path, repo_root):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            str(repo_root / "notebooks" / "county_report.ipynb"),
            str(tmp_path / "out.ipynb"),
            "-r",
            "county_code",
            "990101",
            "-p",
            "year",
            str(YEAR),
            "-p",
            "data_path",
            str(demo_panel_path),
            "-p",
            "langg",
            "en",
            "--no-progress-bar",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode != 0
    assert "unknown parameter(s): langg" in result.stderr + result.stdout


def test_rerun_in_another_time_zone_and_hash_seed_is_byte_identical(
    rendered, two_counties, demo_panel_path, tmp_path
):
    import os

    code = two_counties[0]
    env = {**os.environ, "TZ": "America/New_York", "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ylt_eval.cli",
            "render",
            str(demo_panel_path),
            "--year",
            str(YEAR),
            "--county",
            code,
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    for name in (f"county_{code}_zh.html", f"county_{code}_zh.pdf"):
        assert (tmp_path / name).read_bytes() == (rendered / name).read_bytes(), name


# ---------------------------------------------------------------------------------------------
# The report standard, rendered straight from the notebooks (papermill + exporters, no CLI)
# ---------------------------------------------------------------------------------------------

DIRECT_COUNTY = "990126"


def _render_direct(out: Path, code: str, lang: str, data_path: Path) -> Path:
    """Execute the county notebook and write its HTML, PDF, JSON and CSV into ``out``."""
    import nbformat
    import papermill

    from ylt_eval.report.html_export import notebook_to_html
    from ylt_eval.report.pdf_export import notebook_to_pdf
    from ylt_eval.report.results import results_from_notebook, write_results

    repo = Path(__file__).resolve().parent.parent
    stem = out / f"county_{code}_{lang}"
    papermill.execute_notebook(
        str(repo / "notebooks" / "county_report.ipynb"),
        str(stem.with_suffix(".ipynb")),
        parameters={"county_code": code, "year": YEAR, "data_path": str(data_path), "lang": lang},
        progress_bar=False,
        cwd=str(out),
    )
    notebook = nbformat.read(stem.with_suffix(".ipynb"), as_version=4)
    stem.with_suffix(".html").write_text(notebook_to_html(notebook), encoding="utf-8")
    stem.with_suffix(".pdf").write_bytes(notebook_to_pdf(notebook))
    results = results_from_notebook(notebook)
    assert results is not None, "the notebook displayed no results"
    write_results(results, stem.with_suffix(".json"), stem.with_suffix(".csv"))
    return stem


@pytest.fixture(scope="module")
def direct(tmp_path_factory, demo_panel_path) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("direct")
    return {
        lang: _render_direct(out, DIRECT_COUNTY, lang, demo_panel_path) for lang in ("zh", "en")
    }


def _pdf_text(path: Path) -> str:
    require_tool("pdftotext", "poppler-utils")
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    return "".join(text.split())


def _headings(stem: Path) -> list[str]:
    import nbformat

    from ylt_eval.report.notebook_content import element_payloads

    payloads = element_payloads(nbformat.read(stem.with_suffix(".ipynb"), as_version=4))
    return [p["text"] for p in payloads if p["kind"] == "heading"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pdf_text_contains_every_section_heading(direct, lang):
    stem = direct[lang]
    flat = _pdf_text(stem.with_suffix(".pdf"))
    headings = _headings(stem)
    assert len(headings) > 20
    missing = [h for h in headings if "".join(h.split()) not in flat]
    assert missing == []
    assert ("目录" if lang == "zh" else "Contents") in flat


def test_english_html_in_chromium_is_complete_and_translated(direct, tmp_path, demo_panel_path):
    import re

    from ylt_eval.analysis.inputs import load_assessment_data

    console, requests, text, images = _open_in_chromium(
        direct["en"].with_suffix(".html"), tmp_path / "en.png"
    )
    assert [c for c in console if c[0] in {"error", "pageerror"}] == []
    assert [u for u in requests if not u.startswith(("file://", "data:"))] == []
    assert len(text) > 5000 and "Executive summary" in text and "Data quality" in text
    assert images and all(width > 0 and alt for width, alt in images)
    names = set(load_assessment_data(demo_panel_path).counties["county_name"].dropna())
    names |= {"示范省", "云岫县总医院", "示例数据（合成）"}
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, "")
    assert re.findall(r"[\u3400-\u9fff]+", text) == []


def test_results_files_are_named_by_county_code(direct):
    for lang, stem in direct.items():
        assert DIRECT_COUNTY in stem.name
        results = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
        assert results["county_code"] == DIRECT_COUNTY and results["lang"] == lang
        assert stem.with_suffix(".csv").read_bytes().startswith("\ufeffsection,".encode())


def test_direct_rerun_in_another_time_zone_and_hash_seed_is_identical(
    direct, tmp_path, demo_panel_path
):
    import os

    env = {
        **os.environ,
        "TZ": "Pacific/Auckland",
        "PYTHONHASHSEED": "987",
        "OPENBLAS_NUM_THREADS": "1",
    }
    script = (
        "import sys; from pathlib import Path; from tests.test_end_to_end import _render_direct; "
        "_render_direct(Path(sys.argv[1]), sys.argv[2], 'zh', Path(sys.argv[3]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path), DIRECT_COUNTY, str(demo_panel_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    again = tmp_path / f"county_{DIRECT_COUNTY}_zh"
    for suffix in (".html", ".json", ".csv"):
        first = direct["zh"].with_suffix(suffix).read_bytes()
        assert again.with_suffix(suffix).read_bytes() == first, suffix
    assert _pdf_text(again.with_suffix(".pdf")) == _pdf_text(direct["zh"].with_suffix(".pdf"))
