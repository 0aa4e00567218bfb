"""Steps shared by the panel and long-format validators: headers, county codes, labels."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import pandas as pd

from ylt_eval.readers import (
    HeaderMapping,
    RawTable,
)
from ylt_eval.schema import column_spec
from ylt_eval.validation.parsing import (
    clean_county_code,
    clean_text,
    is_missing,
    is_valid_county_code,
)
from ylt_eval.validation.report import ValidationIssue
from ylt_eval.validation.rules import (
    SPECIAL_HINTS,
    IssueFactory,
    names_of,
    unknown_header_hint,
)


def first_positions(mapping: HeaderMapping) -> dict[str, int]:
    positions: dict[str, int] = {}
    for position, column in enumerate(mapping.columns):
        if column is not None and column not in positions:
            positions[column] = position
    return positions


def header_issues(
    raw: RawTable, mapping: HeaderMapping, make: IssueFactory, *, dictionary: bool
) -> list[ValidationIssue]:
    issues = []
    for position in mapping.unknown:
        header = raw.headers[position]
        suggest = unknown_header_hint(header)
        issue = make.make(
            "header.unknown",
            column=header.strip() or f"[{raw.column_letters[position]}]",
            value=header,
            header=header.strip() or f"[{raw.column_letters[position]}]",
            suggest_zh=suggest[0],
            suggest_en=suggest[1],
        )
        issues.append(issue)
    for column, positions in sorted(mapping.duplicates.items()):
        shown = "、".join(f"{raw.column_letters[p]}「{raw.headers[p].strip()}」" for p in positions)
        names = names_of(column) if dictionary else {"name_zh": column, "name_en": column}
        issues.append(make.make("header.duplicate", column=column, headers=shown, **names))
    for position, unit in sorted(mapping.unit_mismatches.items()):
        column = mapping.columns[position]
        if column is None:  # a mismatch is only recorded for a mapped header
            continue
        spec = column_spec(column)
        issues.append(
            make.make(
                "header.unit_mismatch",
                column=column,
                value=raw.headers[position],
                header=raw.headers[position].strip(),
                unit=unit,
                expected=spec.unit_zh,
                **names_of(column),
            )
        )
    for position, converted in sorted(mapping.unit_conversions.items()):
        column = mapping.columns[position]
        if column is None or not dictionary:
            continue
        how_zh, how_en = converted.describe()
        issues.append(
            make.make(
                "unit.converted",
                column=column,
                value=raw.headers[position],
                header=raw.headers[position].strip(),
                unit=converted.announced,
                expected=column_spec(column).unit_zh,
                how_zh=how_zh,
                how_en=how_en,
                **names_of(column),
            )
        )
    return issues


def parse_codes(
    texts: pd.Series | None, n: int, make: IssueFactory
) -> tuple[list[str | None], list[ValidationIssue]]:
    codes: list[str | None] = [None] * n
    issues = []
    if texts is None:
        return codes, issues
    for position, text in enumerate(texts.tolist()):
        code = clean_county_code(text)
        if is_missing(text):
            issues.append(make.make("county_code.missing", position=position, column="county_code"))
        elif is_valid_county_code(code):
            codes[position] = code
        else:
            hint = (
                SPECIAL_HINTS["leading_zero"]
                if code.isascii() and code.isdigit() and len(code) == 5
                else None
            )
            issues.append(
                make.make(
                    "county_code.format",
                    position=position,
                    column="county_code",
                    value=text,
                    hint=hint,
                )
            )
    return codes, issues


def county_groups(codes: Sequence[str | None], keys: Sequence[object]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for position, (code, key) in enumerate(zip(codes, keys, strict=True)):
        if code is not None and key is not None:
            groups[code].append(position)
    return groups


def row_list(raw: RawTable, positions: Iterable[int]) -> str:
    return ", ".join(str(raw.row_numbers[p]) for p in sorted(positions))


def label_issues(
    column: str,
    texts: pd.Series,
    codes: Sequence[str | None],
    make: IssueFactory,
) -> list[ValidationIssue]:
    """Rows whose label differs from the county's most frequent label."""
    by_county: dict[str, dict[int, str]] = defaultdict(dict)
    for position, text in enumerate(texts.tolist()):
        if codes[position] is not None and not is_missing(text):
            by_county[codes[position]][position] = " ".join(clean_text(text).split())
    issues = []
    for code, labels in by_county.items():
        counts = Counter(labels.values())
        if len(counts) < 2:
            continue
        usual = min(counts, key=lambda label: (-counts[label], label))
        shown = "、".join(sorted(counts))
        for position, label in labels.items():
            if label != usual:
                issues.append(
                    make.make(
                        f"{column}.inconsistent",
                        position=position,
                        column=column,
                        value=texts.iloc[position],
                        county_code=code,
                        values=shown,
                    )
                )
    return issues


def label_values(texts: pd.Series | None, n: int) -> list[str | None]:
    if texts is None:
        return [None] * n
    return [None if is_missing(text) else text.strip() for text in texts.tolist()]
