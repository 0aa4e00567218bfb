"""Checks of an xlsx archive made before any of its XML is parsed.

An xlsx file is a zip archive of XML parts. Before openpyxl reads it, this module refuses:
macro-enabled workbooks (VBA projects, Excel 4.0 macro sheets, ActiveX controls), archives
with more members than any workbook has, zip bombs (declared sizes or compression ratios far
beyond real worksheets), and XML parts declaring a DTD (entity-expansion bombs and external
entities; Office never writes a DTD). Python's zipfile never inflates a member beyond its
declared size, so checking declared sizes bounds the memory any later read can use.
"""

from __future__ import annotations

import codecs
import struct
import zipfile
from pathlib import Path

from ylt_eval.readers.limits import ReadLimits
from ylt_eval.readers.problems import InputFileError, macro_problem, refuse

_END_OF_DIRECTORY = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_END = b"PK\x06\x06"
# The end-of-directory record is 22 bytes plus a comment of at most 65,535 bytes.
_TAIL_BYTES = 22 + 65_535

#: Parts that carry executable content: VBA projects, Excel 4.0 macro sheets, ActiveX controls.
_ACTIVE_PARTS = ("vbaproject.bin", "xl/macrosheets/", "xl/activex/", "vbaprojectsignature.bin")

_DTD_MARKERS = ("<!DOCTYPE", "<!ENTITY")
_SCAN_CHUNK = 1 << 16


def _declared_member_count(path: Path) -> int:
    """Number of archive members the end-of-directory record declares, read from the tail."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        start = max(0, size - _TAIL_BYTES)
        handle.seek(start)
        tail = handle.read()
        at = tail.rfind(_END_OF_DIRECTORY)
        if at < 0 or len(tail) < at + 22:
            raise _not_a_workbook()
        (count,) = struct.unpack_from("<H", tail, at + 10)
        if count != 0xFFFF:
            return count
        locator = at - 20
        if locator < 0 or tail[locator : locator + 4] != _ZIP64_LOCATOR:
            return count
        (offset,) = struct.unpack_from("<Q", tail, locator + 8)
        handle.seek(offset)
        record = handle.read(56)
        if len(record) < 56 or record[:4] != _ZIP64_END:
            raise _not_a_workbook()
        (total,) = struct.unpack_from("<Q", record, 32)
        return total


def _not_a_workbook() -> InputFileError:
    return refuse(
        "file.unreadable",
        "文件不是有效的 .xlsx 工作簿",
        "the file is not a valid .xlsx workbook",
        "用 Excel 打开后另存为 .xlsx（Excel 工作簿）",
        "open it in Excel and save it as .xlsx (Excel Workbook)",
    )


def _encoding_of(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"<\x00")):
        return "utf-16-le"
    if head.startswith((b"\xfe\xff", b"\x00<")):
        return "utf-16-be"
    return "utf-8"


def _declares_dtd(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    """Stream one XML part and look for a DTD, with bounded memory."""
    with archive.open(member) as handle:
        chunk = handle.read(_SCAN_CHUNK)
        decoder = codecs.getincrementaldecoder(_encoding_of(chunk))(errors="replace")
        overlap = ""
        while chunk:
            text = overlap + decoder.decode(chunk)
            if any(marker in text for marker in _DTD_MARKERS):
                return True
            overlap = text[-16:]
            chunk = handle.read(_SCAN_CHUNK)
    return False


def _zip_bomb(total: int, detail_zh: str = "", detail_en: str = "") -> InputFileError:
    return refuse(
        "file.zip_bomb",
        f"工作簿解压后达 {total:,} 字节{detail_zh}，已拒绝读取",
        f"the workbook expands to {total:,} bytes{detail_en}; refused",
        "请只保留数据表后重新保存，或改用 CSV",
        "keep only the data sheet and save it again, or use CSV",
    )


def check_workbook_archive(path: Path, limits: ReadLimits) -> None:
    """Refuse hostile or broken xlsx archives before openpyxl parses anything.

    Parameters
    ----------
    path : pathlib.Path
        The ``.xlsx`` file.
    limits : ReadLimits

    Raises
    ------
    InputFileError
        With rule ``file.macro_enabled``, ``file.zip_bomb``, ``file.unsafe_xml`` or
        ``file.unreadable``.
    """
    if path.suffix.lower() == ".xlsm":
        raise InputFileError(macro_problem())
    if not zipfile.is_zipfile(path):
        raise _not_a_workbook()
    declared = _declared_member_count(path)
    if declared > limits.max_members:
        raise _zip_bomb(
            0,
            f"（{declared:,} 个压缩成员，远多于任何工作簿）",
            f" ({declared:,} archive members, far more than any workbook has)",
        )
    try:
        with zipfile.ZipFile(path) as archive:
            _check_members(archive, limits)
    except InputFileError:
        raise
    except Exception as exc:  # corrupt archives raise BadZipFile, zlib.error, EOFError ...
        raise refuse(
            "file.unreadable",
            f"工作簿压缩包已损坏：{type(exc).__name__}",
            f"the workbook archive is corrupt: {type(exc).__name__}: {str(exc)[:120]}",
            "用 Excel 打开后重新保存",
            "open it in Excel and save it again",
        ) from None


def _check_members(archive: zipfile.ZipFile, limits: ReadLimits) -> None:
    members = archive.infolist()
    names = [member.filename.lower() for member in members]
    if any(part in name for name in names for part in _ACTIVE_PARTS):
        raise InputFileError(macro_problem())
    total = sum(member.file_size for member in members)
    ratios = [
        member.file_size / max(member.compress_size, 1)
        for member in members
        if member.file_size > 1_000_000
    ]
    if total > limits.expanded_limit:
        raise _zip_bomb(total)
    if any(ratio > limits.max_compression_ratio for ratio in ratios):
        raise _zip_bomb(
            total,
            f"（压缩比 {max(ratios):,.0f} 倍，异常）",
            f" (compression ratio {max(ratios):,.0f}, abnormal)",
        )
    if "[content_types].xml" in names:
        with archive.open(members[names.index("[content_types].xml")]) as handle:
            if b"macroEnabled" in handle.read(1_000_000):
                raise InputFileError(macro_problem())
    for member, name in zip(members, names, strict=True):
        if name.endswith((".xml", ".rels", ".vml")) and _declares_dtd(archive, member):
            raise refuse(
                "file.unsafe_xml",
                f"工作簿的 XML 部件 {member.filename} 含 DTD/实体声明，已拒绝读取",
                f"the workbook's XML part {member.filename} declares a DTD/entities; refused",
                "用 Excel 打开后另存为新的 .xlsx",
                "open it in Excel and save it as a new .xlsx",
            )
