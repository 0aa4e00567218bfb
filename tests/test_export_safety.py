"""Formula-injection neutralisation of exported CSV/XLSX cells (properties and examples)."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import openpyxl
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from ylt_eval.export_safety import (
    FORMULA_TRIGGERS,
    neutralise_cell,
    neutralise_frame,
    neutralise_text,
)

texts = st.text(max_size=30)
formula_like = st.builds(lambda first, rest: first + rest, st.sampled_from(FORMULA_TRIGGERS), texts)
numbers = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
)


@given(texts)
def test_result_never_starts_like_a_formula(text):
    assert not neutralise_text(text).startswith(FORMULA_TRIGGERS)


@given(texts)
def test_text_is_kept_or_prefixed_with_one_quote(text):
    result = neutralise_text(text)
    if text.startswith(FORMULA_TRIGGERS):
        assert result == "'" + text
    else:
        assert result == text


@given(st.one_of(texts, formula_like))
def test_neutralising_twice_changes_nothing_more(text):
    once = neutralise_text(text)
    assert neutralise_text(once) == once


@given(formula_like)
def test_every_formula_trigger_is_neutralised(text):
    assert neutralise_cell(text) == "'" + text


@given(numbers)
def test_numbers_are_returned_unchanged(number):
    result = neutralise_cell(number)
    assert type(result) is type(number)
    assert result == number or (math.isnan(result) and math.isnan(number))


def test_non_text_cells_are_returned_unchanged():
    for value in (None, True, False, np.float64(-1.5), np.int64(-3), pd.NA):
        assert neutralise_cell(value) is value


@given(st.lists(st.tuples(st.one_of(texts, formula_like), numbers), min_size=1, max_size=8))
def test_frame_text_columns_neutralised_numeric_columns_untouched(rows):
    frame = pd.DataFrame(
        {
            "label": pd.Series([text for text, _ in rows], dtype=object),
            "value": pd.Series([float(number) for _, number in rows], dtype="float64"),
        }
    )
    original = frame.copy()
    result = neutralise_frame(frame)
    pd.testing.assert_frame_equal(frame, original)  # input not modified
    pd.testing.assert_series_equal(result["value"], frame["value"])
    assert result["label"].tolist() == [neutralise_text(text) for text, _ in rows]
    assert list(result.dtypes) == list(frame.dtypes)


@given(st.lists(st.one_of(texts, formula_like), min_size=1, max_size=8))
def test_csv_written_from_a_neutralised_frame_has_no_formula_cells(labels):
    frame = neutralise_frame(pd.DataFrame({"label": labels, "value": -1.25}))
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(frame.itertuples(index=False))
    rows = [["label", "value"], *csv.reader(io.StringIO(buffer.getvalue(), newline=""))]
    assert [row[0] for row in rows[1:]] == [neutralise_text(label) for label in labels]
    assert all(row[1] == "-1.25" for row in rows[1:])  # negative number not prefixed


def test_column_names_and_missing_values(tmp_path):
    frame = pd.DataFrame(
        {
            "=SUM(A1)": ["@cmd", None, "-x", "ok"],
            "n": [-1, 2, 3, 4],
            "s": pd.array(["+1", pd.NA, "\tt", "\rr"], dtype="string"),
        }
    )
    result = neutralise_frame(frame)
    assert list(result.columns) == ["'=SUM(A1)", "n", "s"]
    assert result.iloc[0, 0] == "'@cmd" and pd.isna(result.iloc[1, 0])
    assert result["s"].tolist()[0] == "'+1" and result["s"].isna().tolist()[1]
    assert result["s"].tolist()[2:] == ["'\tt", "'\rr"]
    assert result["n"].tolist() == [-1, 2, 3, 4]


def test_xlsx_cells_stay_text_and_numbers_stay_numbers(tmp_path):
    """openpyxl writes a text starting with "=" as a formula; neutralised, it stays text."""
    frame = pd.DataFrame({"name": ['=HYPERLINK("http://x","y")', "-2+3"], "value": [-2.5, 1.0]})
    unsafe = tmp_path / "unsafe.xlsx"
    safe = tmp_path / "safe.xlsx"
    frame.to_excel(unsafe, index=False)
    neutralise_frame(frame).to_excel(safe, index=False)
    unsafe_sheet = openpyxl.load_workbook(unsafe).active
    assert unsafe_sheet["A2"].data_type == "f"  # what the neutralisation prevents
    sheet = openpyxl.load_workbook(safe).active
    assert [sheet[f"A{row}"].data_type for row in (2, 3)] == ["s", "s"]
    assert sheet["A2"].value == '\'=HYPERLINK("http://x","y")'
    assert sheet["B2"].data_type == "n" and sheet["B2"].value == -2.5
