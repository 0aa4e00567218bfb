"""The API reference builds from the docstrings (docs/build_api.py, pdoc)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _builder():
    spec = importlib.util.spec_from_file_location("build_api", DOCS / "build_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


builder = _builder()


def test_public_modules_are_found_on_disk():
    modules = builder.public_modules()
    assert modules == sorted(set(modules))
    for name in (
        "ylt_eval",
        "ylt_eval.metrics.catalogue",
        "ylt_eval.models",
        "ylt_eval.models.callaway_santanna",
        "ylt_eval.analysis.county",
        "ylt_eval.report.elements",
    ):
        assert name in modules
    assert not [name for name in modules if any(p.startswith("_") for p in name.split("."))]


def test_specs_name_each_module_once():
    modules = builder.public_modules()
    specs = builder.pdoc_specs(modules)
    # ylt_eval.models has __all__ without its submodules: pdoc needs them named...
    assert "ylt_eval.models.callaway_santanna" in specs
    # ...while a package without __all__ is walked by pdoc itself.
    assert "ylt_eval.analysis.county" in specs  # namespace package: nothing walks into it
    assert len(specs) == len(set(specs)) and set(specs) <= set(modules)


def test_one_module_renders(tmp_path):
    pytest.importorskip("pdoc", reason='pdoc is in the docs extra: pip install -e ".[docs]"')
    builder.build(tmp_path, ["ylt_eval.errors"])
    page = (tmp_path / "ylt_eval" / "errors.html").read_text(encoding="utf-8")
    assert "DataValidationError" in page


@pytest.mark.slow
def test_full_reference_builds(tmp_path):
    pytest.importorskip("pdoc", reason='pdoc is in the docs extra: pip install -e ".[docs]"')
    # In a separate process: pdoc imports every module with subprocess.Popen mocked, and a
    # library first imported then (jupyter_client) would keep the mock and break later tests.
    script = DOCS / "build_api.py"
    done = subprocess.run(
        [sys.executable, str(script), "--out", str(tmp_path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "index.html").exists()
    for name in builder.public_modules():
        page = tmp_path / (name.replace(".", "/") + ".html")
        assert page.exists(), f"no page for {name}"
    catalogue = (tmp_path / "ylt_eval" / "metrics" / "catalogue.html").read_text(encoding="utf-8")
    assert "Read and validate an indicator catalogue file." in catalogue
