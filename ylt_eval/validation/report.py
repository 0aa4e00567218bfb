"""Located validation issues and the report that collects them.

Each :class:`ValidationIssue` says where the problem is (file, sheet, spreadsheet row as a person
sees it, column, cell), what was found (value), which rule it breaks (a stable machine code),
what is wrong and what to do, in Chinese and English. A :class:`ValidationReport` keeps the
issues in one canonical order, so the same input always gives the same text and JSON whatever
the row order of the input.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import asdict, dataclass, fields
from typing import Literal

import pandas as pd

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class ValidationIssue:
    """One problem found in an input file.

    Attributes
    ----------
    severity : {"error", "warning"}
        Errors block rendering of the affected county (or the whole file when they are not
        tied to a county); warnings are rendered and listed in the data-quality section.
    file : str
        File name (no directory, so reports do not leak local paths).
    sheet : str or None
        Worksheet name (workbooks only).
    row : int or None
        Spreadsheet row as a person sees it (header row = 1 when there is no title row);
        None for problems of a whole column, county series or file.
    column : str or None
        Dictionary column name when the input column is recognised, else the header as written.
    value : str or None
        Offending value as written (shortened).
    rule : str
        Stable machine code, e.g. ``"county_code.format"``.
    message_zh, message_en : str
        What is wrong.
    hint_zh, hint_en : str
        What to do.
    county_code : str or None
        Valid 6-digit code of the county the problem belongs to; None when the problem cannot
        be attributed to a county (file-level).
    cell : str or None
        Spreadsheet reference such as ``"C7"``.
    """

    severity: Severity
    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    rule: str
    message_zh: str
    message_en: str
    hint_zh: str = ""
    hint_en: str = ""
    county_code: str | None = None
    cell: str | None = None

    @property
    def hint(self) -> str:
        """What to do, in both languages (``"中文 / English"``)."""
        return " / ".join(text for text in (self.hint_zh, self.hint_en) if text)

    @property
    def is_error(self) -> bool:
        """True for blocking issues."""
        return self.severity == "error"

    def message(self, lang: Literal["zh", "en"] = "zh") -> str:
        """Message in one language."""
        return self.message_zh if lang == "zh" else self.message_en

    def hint_in(self, lang: Literal["zh", "en"] = "zh") -> str:
        """Hint in one language."""
        return self.hint_zh if lang == "zh" else self.hint_en

    def _sort_key(self) -> tuple:
        return (
            self.file,
            self.sheet or "",
            self.row is not None,
            self.row or 0,
            self.county_code or "",
            self.column or "",
            self.rule,
            self.value or "",
            self.message_en,
        )


ISSUE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ValidationIssue))

_TEXT_LABELS = {
    "zh": {
        "severity": "级别",
        "file": "文件",
        "sheet": "工作表",
        "row": "行",
        "cell": "单元格",
        "column": "列",
        "value": "值",
        "rule": "规则",
        "error": "错误",
        "warning": "警告",
        "hint": "处理",
        "summary": "共 {errors} 个错误、{warnings} 个警告",
        "clean": "未发现问题",
    },
    "en": {
        "severity": "severity",
        "file": "file",
        "sheet": "sheet",
        "row": "row",
        "cell": "cell",
        "column": "column",
        "value": "value",
        "rule": "rule",
        "error": "error",
        "warning": "warning",
        "hint": "fix",
        "summary": "{errors} error(s), {warnings} warning(s)",
        "clean": "no problems found",
    },
}

_MAX_CELL_WIDTH = 24


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(text: str, width: int) -> str:
    if _display_width(text) > width:
        kept = ""
        for ch in text:
            if _display_width(kept + ch) > width - 1:
                break
            kept += ch
        text = kept + "…"
    return text + " " * (width - _display_width(text))


@dataclass(frozen=True)
class ValidationReport:
    """All issues found in one validation run, in canonical order.

    Parameters
    ----------
    issues : iterable of ValidationIssue
        Duplicates are dropped and the rest sorted (file, sheet, row, column, rule), so the
        report does not depend on the order in which checks ran or rows were stored.
    """

    issues: tuple[ValidationIssue, ...] = ()

    def __post_init__(self) -> None:
        unique = set(self.issues)
        object.__setattr__(self, "issues", tuple(sorted(unique, key=ValidationIssue._sort_key)))

    @classmethod
    def combine(cls, *reports: ValidationReport) -> ValidationReport:
        """Merge several reports into one."""
        return cls(tuple(issue for report in reports for issue in report.issues))

    @property
    def errors(self) -> tuple[ValidationIssue, ...]:
        """Blocking issues."""
        return tuple(issue for issue in self.issues if issue.is_error)

    @property
    def warnings(self) -> tuple[ValidationIssue, ...]:
        """Non-blocking issues."""
        return tuple(issue for issue in self.issues if not issue.is_error)

    @property
    def has_errors(self) -> bool:
        """True when at least one blocking issue was found."""
        return any(issue.is_error for issue in self.issues)

    @property
    def file_level_errors(self) -> tuple[ValidationIssue, ...]:
        """Blocking issues not tied to a county (missing column, unreadable file, bad code ...).

        Any of them means no county of the file can be rendered.
        """
        return tuple(issue for issue in self.errors if issue.county_code is None)

    def affected_counties(self) -> tuple[str, ...]:
        """Sorted county codes with at least one blocking issue."""
        return tuple(sorted({i.county_code for i in self.errors if i.county_code is not None}))

    def blocked_summary(self, lang: Literal["zh", "en"] = "zh") -> str:
        """Which counties are withheld from publication and why (one line each), or "".

        Each line names the county, the rules it breaks and the first place (file, sheet,
        row, column), so a batch run can say why a county's report was not rendered.
        """
        lines = []
        for code in self.affected_counties():
            errors = [issue for issue in self.errors if issue.county_code == code]
            first = errors[0]
            where = ", ".join(
                part
                for part in (
                    first.file,
                    first.sheet or "",
                    "" if first.row is None else f"{_TEXT_LABELS[lang]['row']} {first.row}",
                    first.column or "",
                )
                if part
            )
            rules = ", ".join(sorted({issue.rule for issue in errors}))
            if lang == "zh":
                lines.append(
                    f"县 {code} 不出报告：{len(errors)} 个阻断性错误（{rules}），首个位于 {where}"
                )
            else:
                lines.append(
                    f"county {code} not rendered: {len(errors)} blocking error(s) ({rules}), "
                    f"first at {where}"
                )
        return "\n".join(lines)

    def rules(self) -> tuple[str, ...]:
        """Sorted distinct rule codes present in the report."""
        return tuple(sorted({issue.rule for issue in self.issues}))

    def for_county(self, county_code: str) -> ValidationReport:
        """Issues of one county plus the file-level ones (what that county's report shows)."""
        return ValidationReport(
            tuple(i for i in self.issues if i.county_code in (None, county_code))
        )

    def to_frame(self) -> pd.DataFrame:
        """Issues as a DataFrame, one row per issue, columns in :data:`ISSUE_FIELDS` order."""
        records = [asdict(issue) for issue in self.issues]
        frame = pd.DataFrame.from_records(records, columns=list(ISSUE_FIELDS))
        frame["row"] = frame["row"].astype("Int64")
        return frame

    def to_json(self) -> str:
        """Deterministic JSON: sorted keys, canonical issue order, UTF-8 text kept readable."""
        payload = {
            "n_errors": len(self.errors),
            "n_warnings": len(self.warnings),
            "issues": [asdict(issue) for issue in self.issues],
        }
        return json.dumps(payload, ensure_ascii=False, sort_keys=True, indent=2)

    def summary(self, lang: Literal["zh", "en"] = "zh") -> str:
        """One line: number of errors and warnings."""
        labels = _TEXT_LABELS[lang]
        return labels["summary"].format(errors=len(self.errors), warnings=len(self.warnings))

    def to_text(self, lang: Literal["zh", "en"] = "zh", *, limit: int | None = None) -> str:
        """Fixed-width table for the terminal.

        One line per issue (severity, file, sheet, row, cell, column, value, rule) followed by
        indented lines with the message and what to do. Column widths account for double-width
        Chinese characters.

        Parameters
        ----------
        lang : {"zh", "en"}
        limit : int, optional
            Show at most this many issues (errors first); the summary line counts all.

        Returns
        -------
        str
        """
        labels = _TEXT_LABELS[lang]
        if not self.issues:
            return labels["clean"]
        shown = sorted(self.issues, key=lambda i: not i.is_error)
        if limit is not None:
            shown = shown[:limit]
        keys = ("severity", "file", "sheet", "row", "cell", "column", "value", "rule")
        table = [[labels[key] for key in keys]]
        for issue in shown:
            table.append(
                [
                    labels[issue.severity],
                    issue.file,
                    issue.sheet or "",
                    "" if issue.row is None else str(issue.row),
                    issue.cell or "",
                    issue.column or "",
                    issue.value or "",
                    issue.rule,
                ]
            )
        # The file and the rule code are never shortened: they are what people search for.
        widths = [
            max(_display_width(line[k]) for line in table)
            if key in {"file", "rule"}
            else min(_MAX_CELL_WIDTH, max(_display_width(line[k]) for line in table))
            for k, key in enumerate(keys)
        ]
        lines = []
        for index, line in enumerate(table):
            lines.append("  ".join(_fit(c, w) for c, w in zip(line, widths, strict=True)).rstrip())
            if index == 0:
                lines.append("  ".join("-" * w for w in widths))
                continue
            issue = shown[index - 1]
            lines.append(f"    {issue.message(lang)}")
            if issue.hint_in(lang):
                lines.append(f"    {labels['hint']}: {issue.hint_in(lang)}")
        lines.append(self.summary(lang))
        return "\n".join(lines)
