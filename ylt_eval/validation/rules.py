"""Validation rules: stable codes, bilingual wording, and the parsing of text cells.

Every rule has a machine code (``"county_code.format"``), a severity and message templates in
Chinese and English; :class:`IssueFactory` fills them in and attaches the location (file, sheet,
spreadsheet row, column, cell) taken from the :class:`~ylt_eval.readers.RawTable`. Keeping the
wording here lets the checks in :mod:`ylt_eval.validation.panel` stay short, and lets the report
and the tests rely on codes rather than on text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Protocol

from ylt_eval.errors import ParameterError
from ylt_eval.readers import HeaderMapping, RawTable, ReadProblem, header_text
from ylt_eval.schema import column_spec, data_dictionary
from ylt_eval.validation.parsing import clean_text, close_matches, format_number
from ylt_eval.validation.report import Severity, ValidationIssue

#: Accepted calendar years.
YEAR_MIN, YEAR_MAX = 1949, 2100

#: Earliest plausible consortium reform year (the latest is the panel's last year).
REFORM_YEAR_MIN = 2000

#: Year-on-year change beyond this factor (up or down) is flagged as a likely unit switch.
JUMP_FACTOR = 3.0

#: Jumps between values both below this magnitude are not flagged (small counts vary a lot).
JUMP_MIN_MAGNITUDE = 20.0


class ShareConstraintLike(Protocol):
    """Anything with the fields of :class:`ylt_eval.metrics.catalogue.ShareConstraint`."""

    code: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """Severity and bilingual wording of one validation rule.

    Templates are filled with :meth:`str.format`; missing fields are an error of the caller.
    """

    code: str
    severity: Severity
    message_zh: str
    message_en: str
    hint_zh: str = ""
    hint_en: str = ""


def _rule(code, severity, message_zh, message_en, hint_zh="", hint_en="") -> tuple[str, Rule]:
    return code, Rule(code, severity, message_zh, message_en, hint_zh, hint_en)


#: Every rule the validator can report, by code (reading problems come from the reader).
RULES: dict[str, Rule] = dict(
    [
        _rule(
            "file.no_data",
            "error",
            "表头下没有任何数据行",
            "there are no data rows below the header",
            "至少填写一行（一个县的一个年度）",
            "fill in at least one row (one county and year)",
        ),
        _rule(
            "header.unknown",
            "warning",
            "无法识别的列「{header}」，不会进入面板",
            "unrecognised column '{header}' is left out of the panel",
            "{suggest_zh}",
            "{suggest_en}",
        ),
        _rule(
            "header.duplicate",
            "error",
            "字段 {column}（{name_zh}）出现在多列：{headers}",
            "field {column} ({name_en}) appears in several columns: {headers}",
            "每个字段只保留一列",
            "keep one column per field",
        ),
        _rule(
            "header.unit_mismatch",
            "error",
            "表头「{header}」标明的单位“{unit}”与数据字典的“{expected}”不一致",
            "header '{header}' announces unit '{unit}' but the dictionary unit is '{expected}'",
            "把数值换算为“{expected}”，并使用模板表头「{template_zh}」",
            "convert the values to '{expected}' and use the template header '{template_zh}'",
        ),
        _rule(
            "unit.converted",
            "warning",
            "表头「{header}」标明单位“{unit}”，数据字典单位为“{expected}”：已假定本列所有值以"
            "“{unit}”填写，并{how_zh}换算为“{expected}”",
            "header '{header}' announces '{unit}' where the dictionary uses '{expected}': "
            "assumed every value of the column is in '{unit}' and {how_en} to convert to "
            "'{expected}'",
            "若假定有误，请把表头改为「{template_zh}」并按该单位填写",
            "if that is wrong, use the header '{template_zh}' and enter values in that unit",
        ),
        _rule(
            "value.unit_converted",
            "warning",
            "「{name_zh}」的值“{value}”带单位“{unit}”：已{how_zh}换算为 {converted}{expected}",
            "'{name_en}' value '{value}' carries the unit '{unit}': {how_en} to give "
            "{converted} {expected}",
            "单元格只填数字，单位以表头为准（“{expected}”）",
            "enter plain numbers; the unit is the header's ('{expected}')",
        ),
        _rule(
            "column.missing_required",
            "error",
            "缺少必填列 {column}（{name_zh}）",
            "required column {column} ({name_en}) is missing",
            "添加表头为「{template_zh}」的列",
            "add a column with the header '{template_zh}' or '{column}'",
        ),
        _rule(
            "column.empty",
            "warning",
            "可选列「{name_zh}」整列为空",
            "optional column '{name_en}' is entirely empty",
            "填写该列或删除它；依赖它的指标将显示为“无数据”",
            "fill it in or delete it; indicators that need it will show as not available",
        ),
        _rule(
            "county_code.missing",
            "error",
            "县级行政区划代码为空",
            "county code is blank",
            "填写6位县级行政区划代码；若原表合并了单元格，请取消合并并向下填充",
            "fill in the 6-digit county code; if cells were merged, unmerge them and fill down",
        ),
        _rule(
            "county_code.format",
            "error",
            "县级行政区划代码“{value}”不是6位数字",
            "county code '{value}' is not exactly 6 digits",
            "填写6位县级行政区划代码（如 350125）；删除合计、小计和备注行",
            "use the county's 6-digit code (e.g. 350125); delete total, subtotal and note rows",
        ),
        _rule(
            "year.missing",
            "error",
            "年份为空",
            "year is blank",
            "填写4位公历年份，如 2023",
            "fill in the 4-digit calendar year, e.g. 2023",
        ),
        _rule(
            "year.invalid",
            "error",
            "年份“{value}”不是整数年份",
            "year '{value}' is not a whole calendar year",
            "填写4位公历年份，如 2023；半年度数据请使用长表格式（如 2023H1）",
            "write the 4-digit calendar year, e.g. 2023; half-year data go in the long format "
            "(e.g. 2023H1)",
        ),
        _rule(
            "year.range",
            "error",
            "年份 {value} 不在 {low}–{high} 之间",
            "year {value} is outside {low}–{high}",
            "检查年份是否录入错误",
            "check the year for typing errors",
        ),
        _rule(
            "county_year.duplicate",
            "error",
            "县 {county_code} 的 {year} 年数据重复（第 {rows} 行）",
            "county {county_code}, year {year} appears more than once (rows {rows})",
            "每个县每年只保留一行",
            "keep one row per county and year",
        ),
        _rule(
            "value.non_numeric",
            "error",
            "「{name_zh}」的值“{value}”不是数字",
            "'{name_en}' value '{value}' is not a number",
            "填写纯数字（可带千位分隔符如 1,234；比率列可带 %）",
            "enter a plain number (thousands separators like 1,234 and, in rate columns, a "
            "trailing % are accepted)",
        ),
        _rule(
            "value.negative",
            "error",
            "「{name_zh}」为负数：{value}",
            "'{name_en}' is negative: {value}",
            "人次、人数和金额不能为负，检查符号或数据来源",
            "counts and amounts cannot be negative: check the sign or the source",
        ),
        _rule(
            "rate.range",
            "error",
            "「{name_zh}」为 {value}，超出 0–100（%）",
            "'{name_en}' is {value}, outside 0–100 (%)",
            "比率按百分数填写，在 0 到 100 之间",
            "rates are percentages between 0 and 100",
        ),
        _rule(
            "share.numerator_above_denominator",
            "error",
            "{indicator_zh}：分子 {numerator_zh} = {numerator} 大于分母 {denominator_zh} = "
            "{denominator}",
            "{indicator_en}: numerator {numerator_en} = {numerator} exceeds denominator "
            "{denominator_en} = {denominator}",
            "部分不能大于整体：核对两列的口径与单位",
            "a part cannot exceed the whole: check the scope and unit of both columns",
        ),
        _rule(
            "reform_year.invalid",
            "error",
            "紧密型医共体组建年份“{value}”不是整数年份",
            "consortium reform year '{value}' is not a whole year",
            "填写4位年份；尚未组建请留空",
            "write a 4-digit year; leave blank if the consortium has not been formed",
        ),
        _rule(
            "reform_year.range",
            "error",
            "组建年份 {value} 不在 {low}–{high}（{low} 至面板最后一年）之间",
            "reform year {value} is outside {low}–{high} ({low} to the panel's last year)",
            "检查年份；面板期内尚未组建请留空",
            "check the year; leave blank if not formed within the panel's years",
        ),
        _rule(
            "reform_year.inconsistent",
            "error",
            "县 {county_code} 的组建年份前后不一：{values}",
            "county {county_code} gives different reform years: {values}",
            "同一县各年应填写同一个组建年份",
            "give the same reform year in every row of the county",
        ),
        _rule(
            "reform_year.partly_blank",
            "warning",
            "县 {county_code} 仅部分年份填写了组建年份（{value}），已用于该县所有年份",
            "county {county_code} gives the reform year ({value}) in some rows only; it was "
            "used for all years",
            "在该县每一行填写组建年份",
            "fill in the reform year in every row of the county",
        ),
        _rule(
            "county_name.inconsistent",
            "error",
            "县 {county_code} 的名称前后不一：{values}",
            "county {county_code} has different names: {values}",
            "同一代码各年应使用同一名称；若代码填错请更正代码",
            "use one name per code; if the code is wrong, correct the code",
        ),
        _rule(
            "province.inconsistent",
            "error",
            "县 {county_code} 的省份前后不一：{values}",
            "county {county_code} has different provinces: {values}",
            "同一县各年应填写同一省份；若代码填错请更正代码",
            "use one province per county; if the code is wrong, correct the code",
        ),
        _rule(
            "value.missing_required",
            "warning",
            "必填字段「{name_zh}」为空",
            "required field '{name_en}' is blank",
            "补填该值；缺失时相关指标无法计算",
            "fill in the value; indicators that need it cannot be computed",
        ),
        _rule(
            "plausibility.share_range",
            "warning",
            "{indicator_zh} = {share}%，超出2019年试点县的常见范围 {low}–{high}%",
            "{indicator_en} = {share}%, outside the range seen in 2019 pilot counties "
            "({low}–{high}%)",
            "核对分子与分母的口径和单位；确认无误可保留并在报告中说明",
            "check the scope and unit of numerator and denominator; if correct, keep it and "
            "explain it in the report",
        ),
        _rule(
            "value.yoy_jump",
            "warning",
            "「{name_zh}」从 {previous_year} 年的 {previous} 变为 {year} 年的 {current}"
            "（{change}）{note_zh}",
            "'{name_en}' went from {previous} in {previous_year} to {current} in {year} "
            "({change}){note_en}",
            "{unit_hint_zh}",
            "{unit_hint_en}",
        ),
        _rule(
            "year.gap",
            "warning",
            "县 {county_code} 缺少 {value} 年的数据（序列 {first}–{last}）",
            "county {county_code} has no row for {value} (series {first}–{last})",
            "补上缺失年份，或确认该年数据确实缺失",
            "add the missing year or confirm that it is unavailable",
        ),
        _rule(
            "rate.looks_like_share",
            "warning",
            "「{name_zh}」所有值都不超过 1：已假定按小数（比例）填写，并乘以 100 换算为百分数",
            "all values of '{name_en}' are at most 1: assumed they are shares (0–1) and "
            "multiplied them by 100 to give percentages",
            "按百分数填写（0.35 应写作 35）；若确为小于 1% 的百分数，请带 % 号填写（如 0.8%）",
            "enter percentages (0.35 should be 35); if they really are percentages below 1, "
            "write them with a % sign (e.g. 0.8%)",
        ),
        _rule(
            "indicator.missing",
            "error",
            "指标代码为空",
            "indicator code is blank",
            "填写指标目录中的指标代码",
            "fill in an indicator code from the catalogue",
        ),
        _rule(
            "indicator.unknown",
            "error",
            "未知的指标代码“{value}”",
            "unknown indicator code '{value}'",
            "{suggest_zh}",
            "{suggest_en}",
        ),
        _rule(
            "period.invalid",
            "error",
            "期间“{value}”既不是年份也不是半年度（如 2023H1）",
            "period '{value}' is neither a year nor a half-year (e.g. 2023H1)",
            "填写年份（2023）或半年度（2023H1、2023H2）",
            "write a year (2023) or a half-year (2023H1, 2023H2)",
        ),
        _rule(
            "value.missing",
            "warning",
            "指标 {indicator} 的数值为空，该行被忽略",
            "value of indicator {indicator} is blank; the row is ignored",
            "填写数值或删除该行",
            "fill in the value or delete the row",
        ),
        _rule(
            "county_period_indicator.duplicate",
            "error",
            "县 {county_code} 的 {period} 期指标 {indicator} 重复（第 {rows} 行）",
            "county {county_code}, period {period}, indicator {indicator} appears more than "
            "once (rows {rows})",
            "每个县、期间和指标只保留一行",
            "keep one row per county, period and indicator",
        ),
    ]
)

#: Hints replacing a rule's default hint in special cases, by key.
SPECIAL_HINTS: dict[str, tuple[str, str]] = {
    "leading_zero": (
        "前导零丢失？请把该列设为文本格式，并重新输入完整的6位代码",
        "leading zero lost? store the column as text and re-enter the full 6-digit code",
    ),
    "excel_error": (
        "单元格是公式错误值：请在源工作簿中修正公式",
        "the cell holds a formula error value: fix the formula in the source workbook",
    ),
    "unit": (
        "单元格所带单位与本列单位“{unit}”不是同一类量：只填数字，单位以表头为准",
        "the unit in the cell measures something else than this column's '{unit}': enter "
        "plain numbers; the unit is the header's",
    ),
    "percent": (
        "只有比率列可以带 %；本列单位为“{unit}”",
        "'%' is accepted only in rate columns; this column is in '{unit}'",
    ),
    "half_year": (
        "面板为年度数据；半年度数据请使用长表格式（县代码、年份、指标代码、数值）",
        "the panel is annual; half-year data go in the long format (county_code, year, "
        "indicator, value)",
    ),
}


@dataclass(frozen=True)
class PlausibilityRange:
    """Usual range of a share, computed from raw columns, seen in 2019 pilot counties [S]."""

    name_zh: str
    name_en: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    low: float
    high: float


#: Ranges of domain.md §3.3; values outside give warnings, never errors.
PLAUSIBILITY_RANGES: tuple[PlausibilityRange, ...] = (
    PlausibilityRange(
        "县域内住院人次占比",
        "In-county share of admissions",
        ("admissions_in_county",),
        ("admissions_in_county", "admissions_out_county"),
        71.0,
        93.0,
    ),
    PlausibilityRange(
        "县域内就诊率",
        "In-county visit rate",
        ("resident_visits_in_county",),
        ("resident_visits_in_county", "resident_visits_out_county"),
        80.0,
        100.0,
    ),
    PlausibilityRange(
        "基层门急诊占比",
        "Primary-care share of outpatient and emergency visits",
        ("oe_visits_primary",),
        ("oe_visits_total",),
        34.0,
        64.0,
    ),
    PlausibilityRange(
        "医保基金县域内支出率",
        "In-county share of insurance fund spending",
        ("fund_in_county",),
        ("fund_in_county", "fund_out_county"),
        40.0,
        96.0,
    ),
    PlausibilityRange(
        "基层医保基金占比",
        "Primary-care share of in-county fund spending",
        ("fund_primary",),
        ("fund_in_county",),
        4.0,
        32.0,
    ),
)


# --------------------------------------------------------------------------------------------
# Building located issues
# --------------------------------------------------------------------------------------------


class IssueFactory:
    """Build located issues for one :class:`~ylt_eval.readers.RawTable`.

    Parameters
    ----------
    raw : RawTable
        The table being validated (supplies file, sheets, spreadsheet rows, column letters).
    mapping : HeaderMapping
        How its headers map to dictionary columns (to find the cell of a column).
    """

    def __init__(self, raw: RawTable, mapping: HeaderMapping) -> None:
        self.file = raw.path.name
        self._raw = raw
        self._mapping = mapping
        self._letters: dict[str, str | None] = {}

    def _letter(self, column: str | None) -> str | None:
        if column is None:
            return None
        if column not in self._letters:
            position = self._mapping.position(column)
            if position is None and column in self._raw.headers:
                position = self._raw.headers.index(column)
            letter = None if position is None else self._raw.column_letters[position]
            self._letters[column] = letter
        return self._letters[column]

    def make(
        self,
        code: str,
        *,
        position: int | None = None,
        column: str | None = None,
        value: str | None = None,
        county_code: str | None = None,
        sheet: str | None = None,
        hint: tuple[str, str] | None = None,
        **fields: object,
    ) -> ValidationIssue:
        """Issue of rule ``code``, located at data-row ``position`` (None: not a row).

        Template fields are taken from ``fields`` plus ``value``, ``column`` and
        ``county_code``; ``hint`` replaces the rule's default hint (already filled in).
        """
        rule = RULES[code]
        shown = None if value is None else _shorten(str(value))
        values = {"value": shown, "column": column, "county_code": county_code, **fields}
        row = None
        if position is not None:
            row = self._raw.row_numbers[position]
            sheet = self._raw.row_sheets[position]
        elif sheet is None and len(self._raw.sheets) == 1:
            sheet = self._raw.sheets[0]
        letter = self._letter(column)
        hint_zh, hint_en = hint if hint is not None else (rule.hint_zh, rule.hint_en)
        return ValidationIssue(
            severity=rule.severity,
            file=self.file,
            sheet=sheet,
            row=row,
            column=column,
            value=shown,
            rule=code,
            message_zh=rule.message_zh.format(**values),
            message_en=rule.message_en.format(**values),
            hint_zh=hint_zh.format(**values),
            hint_en=hint_en.format(**values),
            county_code=county_code,
            cell=f"{letter}{row}" if letter and row is not None else None,
        )

    def from_read_problem(self, problem: ReadProblem) -> ValidationIssue:
        """Issue for a problem met while reading (always file-level)."""
        return issue_from_read_problem(problem, self.file)


def issue_from_read_problem(problem: ReadProblem, file: str) -> ValidationIssue:
    """Turn a :class:`~ylt_eval.readers.ReadProblem` into a file-level issue."""
    return ValidationIssue(
        severity=problem.severity,
        file=file,
        sheet=problem.sheet,
        row=problem.row,
        column=problem.column,
        value=problem.value,
        rule=problem.rule,
        message_zh=problem.message_zh,
        message_en=problem.message_en,
        hint_zh=problem.hint_zh,
        hint_en=problem.hint_en,
        county_code=None,
        cell=problem.cell,
    )


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@cache
def _names(column: str) -> tuple[tuple[str, str], ...]:
    spec = column_spec(column)
    return (
        ("name_zh", spec.name_zh),
        ("name_en", spec.name_en),
        ("template_zh", header_text(spec.name_zh, spec.unit_zh, lang="zh")),
    )


def names_of(column: str) -> dict[str, str]:
    """Template fields naming a dictionary column (``name_zh``, ``name_en``, ``template_zh``)."""
    return dict(_names(column))


def unknown_header_hint(header: str) -> tuple[str, str]:
    """Hint for an unrecognised header: the closest template headers, if any."""
    candidates: dict[str, str] = {}
    for spec in data_dictionary():
        candidates[spec.name_zh] = header_text(spec.name_zh, spec.unit_zh, lang="zh")
        candidates[spec.column] = spec.column
        candidates[spec.name_en] = header_text(spec.name_en, spec.unit_en, lang="en")
    close = close_matches(clean_text(header), list(candidates))
    if not close:
        return (
            "不需要可删除；若是字典字段，请使用模板表头",
            "delete it if not needed; if it is a dictionary field, use the template header",
        )
    shown = "、".join(f"「{candidates[c]}」" for c in close)
    shown_en = ", ".join(repr(candidates[c]) for c in close)
    return (
        f"若是字典字段，请改用模板表头，如 {shown}",
        f"if it is a dictionary field, use the template header, e.g. {shown_en}",
    )


def jump_note(column: str, ratio: float) -> dict[str, str]:
    """Wording of a year-on-year jump (``ratio`` = this year / last year).

    Names the likely unit switch (元/万元 for amounts, 人/万人 for counts) and says so
    explicitly when the ratio is close to 10,000.
    """
    spec = column_spec(column)
    near_ten_thousand = 5_000 <= ratio <= 20_000 or 1 / 20_000 <= ratio <= 1 / 5_000
    if spec.kind == "amount":
        units_zh, units_en = "元/万元", "yuan vs 10k yuan (元/万元)"
    else:
        units_zh = f"{spec.unit_zh}/万{spec.unit_zh}"
        units_en = f"{spec.unit_en} vs 10k {spec.unit_en} ({units_zh})"
    if near_ten_thousand:
        note_zh = f"，几乎正好相差一万倍：很可能混用了{units_zh}"
        note_en = f"; almost exactly ×10,000: very likely a unit switch, {units_en}"
    else:
        note_zh = f"，可能混用了单位（{units_zh}）或录入错误"
        note_en = f"; possibly a unit switch ({units_en}) or a typing error"
    change = (
        f"×{format_number(round(ratio, 1))}"
        if ratio >= 1
        else f"÷{format_number(round(1 / ratio, 1))}"
    )
    return {
        "change": change,
        "note_zh": note_zh,
        "note_en": note_en,
        "unit_hint_zh": f"核对该县各年是否统一以“{spec.unit_zh}”为单位，并核对录入",
        "unit_hint_en": f"check that every year of the county uses '{spec.unit_en}' and check "
        "for typing errors",
    }


def indicator_names(code: str) -> tuple[str, str]:
    """Chinese and English names of a catalogue indicator, or the code when unknown."""
    # Imported here: the catalogue is data read on first use, not needed to import validation.
    from ylt_eval.metrics.catalogue import indicator

    try:
        item = indicator(code)
    except ParameterError:  # a stand-in constraint's code is not in the catalogue
        return code, code
    return item.name_zh, item.name_en
