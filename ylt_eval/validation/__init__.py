"""Validation of input files: located, bilingual issues and typed panels.

Typical use::

    from ylt_eval.validation import load_input

    loaded, report = load_input("panel.xlsx")
    print(report.to_text("zh"))
    if loaded.panel is not None:
        ...  # counties with blocking errors are already left out
"""

from __future__ import annotations

from ylt_eval.validation.loading import LoadedInput, detect_format, file_sha256, load_input
from ylt_eval.validation.long import validate_long
from ylt_eval.validation.panel import validate_panel
from ylt_eval.validation.parsing import parse_number, parse_period
from ylt_eval.validation.report import ValidationIssue, ValidationReport
from ylt_eval.validation.rules import PLAUSIBILITY_RANGES, RULES

__all__ = [
    "PLAUSIBILITY_RANGES",
    "RULES",
    "LoadedInput",
    "ValidationIssue",
    "ValidationReport",
    "detect_format",
    "file_sha256",
    "load_input",
    "parse_number",
    "parse_period",
    "validate_long",
    "validate_panel",
]
