"""Names from the data cannot drive the terminal (ylt_eval.terminal)."""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ylt_eval.batch.progress import LineProgress
from ylt_eval.batch.runner import JobOutcome, RenderJob
from ylt_eval.terminal import printable


def test_escapes_controls_and_bidi_overrides_and_keeps_text():
    assert printable("示范省\x1b[2J\u202eevil\r") == "示范省\\x1b[2J\\u202eevil\\x0d"
    assert printable("a\nb") == "a\\x0ab"
    assert printable("a\nb", keep_newlines=True) == "a\nb"


@given(st.text())
def test_output_has_no_control_or_format_characters(text):
    import unicodedata

    shown = printable(text)
    assert not [c for c in shown if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]


def test_progress_lines_print_hostile_province_names_escaped():
    stream = io.StringIO()
    progress = LineProgress(stream)
    job = RenderJob("province", "省\x1b]0;pwned\x07", "", "", Path("t.ipynb"), {}, {}, "", "")
    progress.start(1, 0)
    progress.finish(JobOutcome(job, "failed", "bad \x1b[31mred\x1b[0m"))
    text = stream.getvalue()
    assert "\x1b" not in text and "\x07" not in text
    assert "省\\x1b]0;pwned\\x07" in text and "bad \\x1b[31mred" in text
