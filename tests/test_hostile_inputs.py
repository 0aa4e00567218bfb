"""Hostile files are refused before they are parsed in full: quickly and with little memory.

Each refusal is timed and its peak Python memory measured with tracemalloc (zlib and XML
parsers allocate through Python objects, so an expanded bomb would show up); one test also
runs the refusal in a fresh process and compares its peak resident memory with the cost of
importing the package.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest

from ylt_eval.readers import InputFileError, ReadLimits, read_table
from ylt_eval.validation import load_input

#: Refusals must take less than this (seconds) and allocate less than this (bytes).
MAX_SECONDS = 2.0
MAX_PEAK_BYTES = 8 * 1024 * 1024


def plain_workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["county_code", "year", "visits_total"])
    sheet.append(["350125", "2020", "1000"])
    book.save(path)
    return path


def rebuilt(source: Path, target: Path, *, add=None, replace=None, level=9) -> Path:
    """Copy a workbook's members into a new archive, adding or replacing some."""
    add, replace = add or {}, replace or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for member in old.infolist():
            data = replace.get(member.filename, old.read(member.filename))
            new.writestr(member.filename, data, zipfile.ZIP_DEFLATED, compresslevel=level)
        for name, data in add.items():
            new.writestr(name, data, zipfile.ZIP_DEFLATED, compresslevel=level)
    return target


def refusal(path: Path, **kwargs) -> tuple[str, float, int]:
    """Rule of the refusal, seconds taken and peak traced bytes."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(InputFileError) as caught:
            read_table(path, **kwargs)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return caught.value.problem.rule, elapsed, peak


def assert_refused_cheaply(path: Path, rule: str, **kwargs) -> None:
    found, seconds, peak = refusal(path, **kwargs)
    assert found == rule
    assert seconds < MAX_SECONDS, seconds
    assert peak < MAX_PEAK_BYTES, peak


@pytest.fixture
def workbook(tmp_path) -> Path:
    return plain_workbook(tmp_path / "plain.xlsx")


# ---------------------------------------------------------------------------------- zip bombs


def test_high_ratio_member_is_refused_unread(workbook, tmp_path):
    bomb = rebuilt(workbook, tmp_path / "bomb.xlsx", add={"xl/media/a.bin": b"\0" * 60_000_000})
    assert bomb.stat().st_size < 120_000  # 60 MB in ~60 KB: ratio ~1,000
    assert_refused_cheaply(bomb, "file.zip_bomb")


def test_bomb_inside_the_worksheet_itself_is_refused(workbook, tmp_path):
    with zipfile.ZipFile(workbook) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    padded = sheet.replace(b"</worksheet>", b"<!--" + b" " * 40_000_000 + b"--></worksheet>")
    bomb = rebuilt(workbook, tmp_path / "bomb.xlsx", replace={"xl/worksheets/sheet1.xml": padded})
    assert_refused_cheaply(bomb, "file.zip_bomb")


def test_many_moderate_members_exceeding_the_expanded_limit_are_refused(workbook, tmp_path):
    members = {f"xl/media/m{i}.bin": bytes([i]) * 900_000 for i in range(30)}  # each < 1 MB
    bomb = rebuilt(workbook, tmp_path / "many.xlsx", add=members)
    limits = ReadLimits(max_expanded_bytes=20_000_000)
    assert_refused_cheaply(bomb, "file.zip_bomb", limits=limits)


def test_archive_declaring_more_members_than_any_workbook_is_refused(workbook, tmp_path):
    members = {f"xl/media/{i}.txt": b"x" for i in range(1_200)}
    crowded = rebuilt(workbook, tmp_path / "crowded.xlsx", add=members)
    assert_refused_cheaply(crowded, "file.zip_bomb")


def test_member_lying_about_its_size_is_never_inflated_beyond_it(workbook, tmp_path):
    """A central directory claiming a small size cannot make zipfile inflate more."""
    with zipfile.ZipFile(workbook) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    padded = sheet.replace(b"</worksheet>", b"<!--" + b" " * 30_000_000 + b"--></worksheet>")
    liar = rebuilt(workbook, tmp_path / "liar.xlsx", replace={"xl/worksheets/sheet1.xml": padded})
    data = bytearray(liar.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    for signature, size_offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        while at >= 0:
            name_length = struct.unpack_from("<H", data, at + (26 if size_offset == 22 else 28))[0]
            header = 30 if size_offset == 22 else 46
            if data[at + header : at + header + name_length] == name:
                struct.pack_into("<I", data, at + size_offset, 5_000)
            at = data.find(signature, at + 4)
    liar.write_bytes(bytes(data))
    found, seconds, peak = refusal(liar)
    assert found == "file.unreadable"  # the truncated XML or its CRC fails, nothing expands
    assert seconds < MAX_SECONDS and peak < MAX_PEAK_BYTES


# ------------------------------------------------------------------------ XML entity bombs

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>\n"
)


@pytest.mark.parametrize(
    ("part", "root"),
    [
        ("xl/worksheets/sheet1.xml", b"<worksheet><sheetData/>&lol9;</worksheet>"),
        ("xl/workbook.xml", b"<workbook>&lol9;</workbook>"),
        ("xl/styles.xml", b"<styleSheet>&lol9;</styleSheet>"),
        ("[Content_Types].xml", b"<Types>&lol9;</Types>"),
        ("xl/_rels/workbook.xml.rels", b"<Relationships>&lol9;</Relationships>"),
    ],
)
def test_billion_laughs_in_any_part_is_refused(workbook, tmp_path, part, root):
    hostile = rebuilt(workbook, tmp_path / "laughs.xlsx", replace={part: BILLION_LAUGHS + root})
    assert_refused_cheaply(hostile, "file.unsafe_xml")


def test_utf16_encoded_entity_declaration_is_found(workbook, tmp_path):
    xml = (
        (BILLION_LAUGHS + b"<worksheet>&lol9;</worksheet>")
        .decode()
        .replace('version="1.0"?>', 'version="1.0" encoding="UTF-16"?>')
    )
    part = "\ufeff".encode("utf-16-le") + xml.encode("utf-16-le")
    hostile = rebuilt(workbook, tmp_path / "u16.xlsx", replace={"xl/worksheets/sheet1.xml": part})
    assert_refused_cheaply(hostile, "file.unsafe_xml")


def test_external_entity_is_refused(workbook, tmp_path):
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<workbook>&e;</workbook>"
    )
    hostile = rebuilt(workbook, tmp_path / "xxe.xlsx", replace={"xl/workbook.xml": xxe})
    assert_refused_cheaply(hostile, "file.unsafe_xml")


# ------------------------------------------------------------------------------- macros


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("vba.xlsx", {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\0" * 100}),
        ("VBA-upper.xlsx", {"xl/VBAPROJECT.BIN": b"\0" * 10}),
        ("xlm.xlsx", {"xl/macrosheets/sheet1.xml": b"<macrosheet/>"}),
        ("activex.xlsx", {"xl/activeX/activeX1.xml": b"<ax/>"}),
    ],
)
def test_macro_and_active_content_is_refused(workbook, tmp_path, name, extra):
    assert_refused_cheaply(rebuilt(workbook, tmp_path / name, add=extra), "file.macro_enabled")


def test_xlsm_extension_and_macro_content_type_are_refused(workbook, tmp_path):
    xlsm = tmp_path / "book.xlsm"
    xlsm.write_bytes(workbook.read_bytes())
    assert_refused_cheaply(xlsm, "file.macro_enabled")
    with zipfile.ZipFile(workbook) as archive:
        types = archive.read("[Content_Types].xml")
    macro_types = types.replace(
        b"sheet.main+xml", b"sheet.macroEnabled.main+xml"
    )  # what Excel writes for .xlsm
    disguised = rebuilt(workbook, tmp_path / "d.xlsx", replace={"[Content_Types].xml": macro_types})
    assert_refused_cheaply(disguised, "file.macro_enabled")


# --------------------------------------------------------------------------- oversized files


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_files_above_the_size_limit_are_refused_without_reading(tmp_path, suffix):
    path = tmp_path / f"big{suffix}"
    with path.open("wb") as handle:  # sparse: the size is real, the content is never read
        handle.truncate(300 * 1024 * 1024)
    found, seconds, peak = refusal(path, max_bytes=200 * 1024 * 1024)
    assert found == "file.too_large"
    assert seconds < 0.5 and peak < 1024 * 1024


def test_size_limit_is_configurable_and_reported_by_validate(tmp_path, capsys):
    from ylt_eval.cli import main

    path = tmp_path / "panel.csv"
    path.write_text("county_code,year\n350125,2020\n" * 200, encoding="utf-8")
    loaded, report = load_input(path, max_bytes=1_000)
    assert report.rules() == ("file.too_large",)
    assert loaded.sha256 is None  # nothing of the file was read, not even for its hash
    assert main(["validate", str(path), "--max-mb", "0.001", "--lang", "en"]) == 1
    assert "file.too_large" in capsys.readouterr().out


def test_refusal_in_a_fresh_process_keeps_resident_memory_flat(workbook, tmp_path):
    bomb = rebuilt(workbook, tmp_path / "bomb.xlsx", add={"xl/media/a.bin": b"\0" * 400_000_000})
    script = (
        "import resource, sys\n"
        "from ylt_eval.readers import InputFileError, read_table\n"
        "import ylt_eval.readers.workbook, openpyxl, defusedxml\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n"
        "    read_table(sys.argv[1])\n"
        "except InputFileError as error:\n"
        "    print(error.problem.rule)\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(after - before)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(bomb)], capture_output=True, text=True, timeout=60
    )
    rule, grown_kib = result.stdout.split()
    assert rule == "file.zip_bomb"
    assert int(grown_kib) < 20 * 1024  # under 20 MB more than after imports (bomb: 400 MB)
