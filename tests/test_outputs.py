"""Output paths stay inside the output folder; writes are atomic."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ylt_eval.batch.outputs import county_output_path, named_output_path, write_atomic
from ylt_eval.errors import ParameterError


def test_county_path_contains_code(tmp_path):
    path = county_output_path(tmp_path, "350125", "zh", ".html")
    assert path == tmp_path.resolve() / "county_350125_zh.html"


#: Near-codes: ASCII and other-script digits mixed with path characters and whitespace.
_NEAR_CODES = st.text(
    alphabet=st.characters(categories=["Nd"]) | st.sampled_from("0123456789./\\ \n\t"),
    min_size=5,
    max_size=8,
)


@settings(max_examples=1000, deadline=None)
@given(
    st.one_of(
        st.text(max_size=20),
        st.integers(),
        st.binary(max_size=10).map(repr),
        _NEAR_CODES,
        st.from_regex(r"[1-9][0-9]{5}", fullmatch=True),
    )
)
def test_fuzzed_identifiers_never_escape_the_output_folder(identifier):
    root = Path("/tmp/ylt-out-root")
    try:
        path = county_output_path(root, identifier, "zh", ".html")
    except ParameterError:
        return
    assert path.parent == root.resolve()
    assert path.name == f"county_{str(identifier).strip()}_zh.html"
    assert re.fullmatch(r"[1-9][0-9]{5}", str(identifier).strip())


def test_non_ascii_digits_never_reach_a_file_name(tmp_path):
    with pytest.raises(ParameterError):
        county_output_path(tmp_path, "1\u0661\u0662\u0663\u0664\u0665", "zh", ".html")


@pytest.mark.parametrize("name", ["../x.html", "a/b.html", "/etc/passwd", ".."])
def test_named_paths_cannot_leave_folder(tmp_path, name):
    with pytest.raises(ParameterError):
        named_output_path(tmp_path, name)


def test_write_atomic_replaces_whole_file_and_leaves_no_temporaries(tmp_path):
    target = tmp_path / "sub" / "report.html"
    write_atomic(target, "old")
    write_atomic(target, "新内容")
    assert target.read_text(encoding="utf-8") == "新内容"
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]


def test_write_atomic_failure_keeps_old_file(tmp_path, monkeypatch):
    import os

    target = tmp_path / "report.pdf"
    write_atomic(target, b"old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


def test_write_atomic_through_a_staging_folder_leaves_nothing_beside_the_file(tmp_path):
    from ylt_eval.batch.outputs import STAGING, staging_folder

    staging = staging_folder(tmp_path)
    (staging / ".left-by-a-killed-run.part").write_text("half")
    staging = staging_folder(tmp_path)  # a new run starts with an empty staging folder
    assert list(staging.iterdir()) == []
    write_atomic(tmp_path / "county_350125_zh.html", "<html></html>", staging=staging)
    assert sorted(p.name for p in tmp_path.iterdir()) == [STAGING, "county_350125_zh.html"]
    assert list(staging.iterdir()) == []
