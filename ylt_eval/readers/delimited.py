"""Read CSV (and tab- or semicolon-separated) text files in the encodings Excel writes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ylt_eval.readers.problems import InputFileError, ReadProblem, refuse
from ylt_eval.readers.table import RawTable, SheetRows, assemble, build_table

#: Encodings tried in order for CSV files without a byte-order mark. GB18030 is a superset of
#: GBK and GB2312, the encodings Chinese Excel uses for "CSV".
CSV_ENCODINGS: tuple[str, ...] = ("utf-8", "gb18030")

_FILL_IN = ("请填写数据后再提交", "fill in the data")
_SAVE_AS_UTF8 = (
    "在 Excel 中“另存为 → CSV UTF-8（逗号分隔）”，或另存为 .xlsx",
    "save it from Excel as 'CSV UTF-8 (comma delimited)' or as .xlsx",
)


def _mixed_encoding(raw: bytes, error: UnicodeDecodeError) -> ReadProblem | None:
    """A file that is UTF-8 up to a line holding other bytes (rows pasted from a GBK file)."""
    before = raw[: error.start]
    if before.isascii():
        return None  # nothing shows the file was meant to be UTF-8
    line = before.count(b"\n") + 1
    return ReadProblem(
        severity="error",
        rule="file.encoding",
        message_zh=f"文件前面是 UTF-8 编码，但第{line}行含非 UTF-8 字节（混用了编码）",
        message_en=f"the file is UTF-8 up to line {line}, which holds bytes that are not UTF-8 "
        "(mixed encodings)",
        hint_zh="该行可能是从 GBK 文件粘贴的：" + _SAVE_AS_UTF8[0],
        hint_en="that line was probably pasted from a GBK file: " + _SAVE_AS_UTF8[1],
        row=line,
        value=before.rsplit(b"\n", 1)[-1][-20:].decode("utf-8", "replace") or None,
    )


def decode(raw: bytes) -> tuple[str, str]:
    """Decode CSV bytes: byte-order marks first, then UTF-8, then GB18030.

    Returns
    -------
    text : str
    encoding : str
        ``"utf-8-sig"``, ``"utf-16"``, ``"utf-8"`` or ``"gb18030"``.

    Raises
    ------
    InputFileError
        No encoding fits, or the file mixes UTF-8 with other bytes.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        candidates: tuple[str, ...] = ("utf-8-sig",)
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ("utf-16",)
    else:
        candidates = CSV_ENCODINGS
    for encoding in candidates:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError as error:
            if encoding.startswith("utf-8"):
                mixed = _mixed_encoding(raw, error)
                if mixed is not None:
                    raise InputFileError(mixed) from None
            continue
    raise refuse(
        "file.encoding",
        f"无法识别文件编码（已尝试：{', '.join(candidates)}）",
        f"cannot decode the file (tried: {', '.join(candidates)})",
        *_SAVE_AS_UTF8,
    )


def _sniff_delimiter(text: str) -> str:
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", "\t", ";")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def read_delimited(path: Path) -> RawTable:
    """Read a CSV/TSV file as text (see :func:`ylt_eval.readers.read_table`)."""
    raw = path.read_bytes()
    if not raw.strip(b" \t\r\n\xef\xbb\xbf"):
        raise refuse("file.empty", "文件为空", "the file is empty", *_FILL_IN)
    text, encoding = decode(raw)
    if "\x00" in text:
        raise refuse(
            "file.binary",
            "文件含二进制内容，不是文本 CSV",
            "the file contains binary content, not CSV text",
            "请确认文件确为 CSV；Excel 工作簿请保存为 .xlsx 并使用该扩展名",
            "check that this is a CSV file; give Excel workbooks the .xlsx extension",
        )
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[list[str]] = []
    try:
        for record in reader:
            rows.append(record)
    except csv.Error as exc:
        raise refuse(
            "file.csv_malformed",
            f"CSV 格式错误（第{reader.line_num}行附近）：{exc}",
            f"malformed CSV near line {reader.line_num}: {exc}",
            "检查引号是否成对；建议在 Excel 中重新另存为 CSV UTF-8",
            "check that quotes are paired; re-save from Excel as CSV UTF-8",
        ) from None
    assembled = assemble(SheetRows(None, rows), overflow_is_error=True)
    return build_table(path, [(None, assembled)], encoding=encoding)
