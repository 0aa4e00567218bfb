"""The methods documents: generated indicator tables are current, links resolve."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from ylt_eval.metrics.catalogue import catalogue

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _builder():
    spec = importlib.util.spec_from_file_location(
        "build_methods_tables", DOCS / "build_methods_tables.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


builder = _builder()


def test_methods_documents_are_current():
    assert (DOCS / "methods.md").exists()
    assert builder.stale_documents(DOCS) == [], "run: python docs/build_methods_tables.py"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_table_has_one_row_per_catalogue_indicator(lang):
    text = builder.indicator_tables(lang)
    rows = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
    codes = [re.search(r"`([a-z0-9_]+)`", row).group(1) for row in rows]
    assert codes == [item.code for item in catalogue()]


def test_row_shows_formula_direction_and_tag():
    text = builder.indicator_tables("en")
    row = next(line for line in text.splitlines() if "`pay_ratio_primary_county`" in line)
    assert row.split(" | ")[1:] == [
        "`pay_ratio_primary_county`",
        "Pay per head at primary care relative to the lead hospital",
        "Homogeneity of care",
        "`avg_pay_township / avg_pay_county`",
        "ratio",
        "toward 1",
        "S |",
    ]
    zh = builder.indicator_tables("zh")
    row = next(line for line in zh.splitlines() if "`primary_visit_share`" in line)
    cells = row.split(" | ")
    assert cells[0] == "| 7" and cells[3:] == [
        "促分工",
        "`visits_primary / visits_total × 100`",
        "%",
        "越高越好",
        "S |",
    ]


def test_stale_document_is_detected_and_rewritten(tmp_path):
    stale = f"# Methods\n\nbefore\n{builder.BEGIN_MARKER}\nold table\n{builder.END_MARKER}\nafter\n"
    (tmp_path / "methods.md").write_text(stale, encoding="utf-8")
    assert builder.stale_documents(tmp_path) == ["methods.md"]
    assert (tmp_path / "methods.md").read_text(encoding="utf-8") == stale  # check only
    assert builder.stale_documents(tmp_path, write=True) == ["methods.md"]
    fresh = (tmp_path / "methods.md").read_text(encoding="utf-8")
    assert fresh.startswith("# Methods\n\nbefore\n") and fresh.endswith("\nafter\n")
    assert "old table" not in fresh and "`primary_visit_share`" in fresh
    assert builder.stale_documents(tmp_path) == []


@pytest.mark.parametrize(
    "text",
    [
        "no markers at all",
        f"{builder.BEGIN_MARKER} only the beginning",
        f"{builder.END_MARKER} {builder.BEGIN_MARKER}",
        f"{builder.BEGIN_MARKER}{builder.BEGIN_MARKER}{builder.END_MARKER}",
    ],
)
def test_bad_markers_are_refused(text):
    with pytest.raises(ValueError, match="GENERATED"):
        builder.updated_document(text, "en")


def test_pipes_in_catalogue_text_cannot_break_the_table():
    assert builder._cell("a | b\nc") == "a \\| b c"


@pytest.mark.parametrize("name", ["methods.md", "methods.zh.md", "extending.md"])
def test_relative_links_resolve(name):
    path = DOCS / name
    if not path.exists():
        pytest.skip(f"{name} not written")
    targets = re.findall(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)", path.read_text(encoding="utf-8"))
    missing = [t for t in targets if not (path.parent / t).exists()]
    assert missing == []
