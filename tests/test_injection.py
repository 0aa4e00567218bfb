"""Output safety: hostile county, consortium and province names never become markup.

One CLI render (two payload-named counties, one clean county as reference, the province
summary and index.html) is checked in every place a name appears: HTML titles, headings,
tables, image alt texts, index links, chart SVGs, the PDF text and the results CSV.
"""

from __future__ import annotations

import base64
import csv
import re
import subprocess
import xml.etree.ElementTree as ElementTree
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import require_tool
from ylt_eval.cli import main
from ylt_eval.validation import load_input

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

YEAR = 2024

#: Hostile names: HTML/JS, template, spreadsheet-formula, typst-markup and Unicode tricks.
PAYLOADS: tuple[str, ...] = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "</title><script>alert(2)</script>",
    "{{7*7}}",
    "${7*7}",
    "<svg onload=alert(1)>",
    "' OR 1=1 --",
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "+1+1",
    "-1+1",
    "\t=1",
    "#set page(width: 1cm)",
    '#import "x"',
    "a\\b $x$ *粗* _斜_ `raw` <lbl> @ref ~ #c",
    "\u202egnp.exe",
    "换\n行",
    "回\r车",
    "&lt;script&gt;",
    "<!--",
    "]]>",
    "<style>body{display:none}</style>",
    '<a href="javascript:x">x</a>',
    "<iframe src=//evil>",
    "<base href=//evil/>",
    "<meta http-equiv=refresh content=0;url=//evil>",
    "[x](javascript:alert(1))",
    "%3Cscript%3E",
    "<object data=//evil>",
    "<link rel=stylesheet href=//evil.css>",
    "'';!--\"<XSS>=&{()}",
    "<![CDATA[x]]>",
    "{% raw %}{{ config }}",
    "<math><mi xlink:href=javascript:alert(1)>m</mi></math>",
)
LONG_NAME = "长" * 5000

#: Tags and attributes that could run code, load something or restyle the page.
ACTIVE_TAGS = {"script", "iframe", "frame", "base", "meta", "style", "object", "embed", "link"}
ACTIVE_TAGS |= {"form", "svg", "math", "template", "xmp", "noscript"}
URL_ATTRIBUTES = {"href", "src", "data", "action", "formaction", "xlink:href"}


def _flat(text: str) -> str:
    return "".join(text.split())


def _group(start: int) -> str:
    return "".join(PAYLOADS[start::4])


def _names(codes: list[str], rendered: tuple[str, str], clean: str) -> dict[str, tuple[str, str]]:
    """(county_name, consortium_name) per county: composites for the rendered two, one payload
    per peer, the clean reference unchanged."""
    first, second = rendered
    names = {
        # Starting with formula triggers so the results CSV must neutralise them.
        first: ("<script>x</script>甲县" + _group(0), "=cmd|' /C calc'!A0" + _group(1)),
        second: ("-1+1乙县" + _group(2), "@SUM(1+1)" + _group(3)),
    }
    peers = [code for code in codes if code not in {first, second, clean}]
    for i, code in enumerate(peers):
        county = f"县{i:02d}" + PAYLOADS[i % len(PAYLOADS)]
        consortium = PAYLOADS[(i + 11) % len(PAYLOADS)]
        names[code] = (county, LONG_NAME if i == 3 else consortium)
    names[peers[4]] = (LONG_NAME + "县", names[peers[4]][1])
    return names


PROVINCE = "=省" + _group(3)


def _write_hostile_panel(source: Path, target: Path, rendered, clean) -> dict:
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    names = _names(sorted({row["county_code"] for row in rows}), rendered, clean)
    for row in rows:
        if row["county_code"] != clean:
            row["county_name"], row["consortium_name"] = names[row["county_code"]]
        row["province"] = PROVINCE
    with target.open("w", encoding="utf-8", newline="") as handle:
        # "\r\n" as terminator makes the writer quote fields holding a bare CR or LF.
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    return names


@pytest.fixture(scope="module")
def counties(demo_panel_path) -> dict[str, str]:
    from ylt_eval.demo import demo_counties_for_report

    early, late, _ = demo_counties_for_report()
    with demo_panel_path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    cohort = {row["county_code"]: row["reform_year"] for row in rows}
    clean = min(c for c in cohort if cohort[c] == cohort[early] and c != early)
    return {"first": early, "second": late, "clean": clean}


@pytest.fixture(scope="module")
def run(tmp_path_factory, demo_panel_path, counties):
    folder = tmp_path_factory.mktemp("injection")
    panel = folder / "hostile.csv"
    names = _write_hostile_panel(
        demo_panel_path, panel, (counties["first"], counties["second"]), counties["clean"]
    )
    out = folder / "out"
    args = ["render", str(panel), "--year", str(YEAR), "--out", str(out)]
    for code in counties.values():
        args += ["--county", code]
    assert main([*args, "--format", "html,pdf", "--jobs", "1"]) == 0
    return out, names


class _Page(HTMLParser):
    """Text per enclosing element, active markup and every URL attribute of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: dict[str, list[str]] = {}
        self.active: Counter = Counter()
        self.urls: list[tuple[str, str, str]] = []
        self.alts: list[str] = []
        self.style_text = ""

    def handle_starttag(self, tag, attrs):
        if tag in ACTIVE_TAGS:
            self.active[(tag, tuple(sorted(name for name, _ in attrs)))] += 1
        for name, value in attrs:
            if name.startswith("on"):
                self.active[("event-attribute", name)] += 1
            if name in URL_ATTRIBUTES:
                self.urls.append((tag, name, value or ""))
            if name == "alt":
                self.alts.append(value or "")
        if tag not in {"meta", "img", "br", "hr", "link", "base", "input"}:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        tag = self.stack[-1] if self.stack else ""
        self.text.setdefault(tag, []).append(data)
        if tag == "style":
            self.style_text += data

    def joined(self, *tags: str) -> str:
        return _flat("".join(part for tag in tags for part in self.text.get(tag, [])))


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def _html_files(out: Path) -> list[Path]:
    files = sorted(out.glob("*.html"))
    assert {p.name for p in files} >= {"index.html", "province_01_zh.html"}
    return files


def _shown(name: str) -> str:
    """The name as a reader sees it (outer whitespace trimmed by validation)."""
    return _flat(name.strip())


def test_nul_byte_in_a_name_is_refused_with_a_located_error(tmp_path, demo_panel_path):
    lines = demo_panel_path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(lines[1].split(",")[1], "nul\x00名", 1)
    target = tmp_path / "nul.csv"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    loaded, report = load_input(target)
    assert loaded.panel is None
    errors = [issue for issue in report.issues if issue.severity == "error"]
    assert [issue.rule for issue in errors] == ["file.binary"]
    assert errors[0].file == "nul.csv"


def test_active_markup_is_only_the_reports_own(run, counties):
    out, _ = run
    own = _parse(out / f"county_{counties['clean']}_zh.html")
    assert not [u for u in own.urls if u[2].lower().lstrip().startswith("javascript:")]
    for path in _html_files(out):
        page = _parse(path)
        assert page.active == own.active, path.name
        assert page.style_text.count("{") == page.style_text.count("}"), path.name
        assert "body{display:none}" not in _flat(page.style_text), path.name
        for tag, attribute, url in page.urls:
            lowered = _flat(url).lower()
            assert not lowered.startswith(("javascript:", "vbscript:", "//", "http")), (
                path.name,
                tag,
                attribute,
                url[:80],
            )


def test_no_payload_appears_unescaped_in_any_html(run):
    out, _ = run
    markup = [p for p in PAYLOADS if "<" in p or ">" in p]
    assert len(markup) >= 15
    for path in _html_files(out):
        source = path.read_text(encoding="utf-8")
        assert [p for p in markup if p in source] == [], path.name
        assert "<script" not in source.lower()


def test_names_appear_as_text_in_titles_headings_and_tables(run, counties):
    out, names = run
    for key in ("first", "second"):
        county, consortium = names[counties[key]]
        page = _parse(out / f"county_{counties[key]}_zh.html")
        assert _shown(county) in page.joined("title"), key
        assert _shown(county) in page.joined("h1"), key
        assert _shown(consortium) in page.joined("td", "th"), key
    province = _parse(out / "province_01_zh.html")
    assert _shown(PROVINCE) in province.joined("title")
    assert _shown(PROVINCE) in province.joined("h1")
    cells = province.joined("td", "th", "a")
    for key in ("first", "second"):
        assert _shown(names[counties[key]][0]) in cells


def test_every_payload_is_shown_literally_somewhere(run):
    out, _ = run
    shown = "".join(
        _parse(path).joined("title", "h1", "h2", "h3", "td", "th", "a", "p", "li")
        for path in _html_files(out)
    )
    missing = [p for p in PAYLOADS if _shown(p) not in shown]
    assert missing == []


def test_index_links_only_to_code_named_reports(run, counties):
    out, names = run
    page = _parse(out / "index.html")
    hrefs = [url for tag, attribute, url in page.urls if attribute == "href"]
    assert hrefs
    pattern = re.compile(r"(county_\d{6}|province_\d{2})_zh\.(html|pdf|csv|json)")
    assert [h for h in hrefs if not pattern.fullmatch(h)] == []
    assert all((out / h).is_file() for h in hrefs)
    listed = page.joined("td", "a")
    for key in ("first", "second"):
        assert _shown(names[counties[key]][0]) in listed
    assert _shown(PROVINCE) in listed


def _pdf_text(path: Path) -> str:
    require_tool("pdftotext", "poppler-utils")
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def _pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


def test_pdf_shows_names_as_text_and_typst_did_not_interpret_them(run, counties):
    out, _ = run
    # The first county's name holds the RTL override (pdftotext then reorders what follows),
    # so its name is checked via the payloads of the other three composites.
    shown = {
        f"county_{counties['first']}_zh.pdf": PAYLOADS[1::4],
        f"county_{counties['second']}_zh.pdf": PAYLOADS[2::4] + PAYLOADS[3::4],
        "province_01_zh.pdf": PAYLOADS[3::4],
    }
    for name, payloads in shown.items():
        text = _flat(_pdf_text(out / name))
        assert [p for p in payloads if _flat(p) not in text] == [], name
    first = _flat(_pdf_text(out / f"county_{counties['first']}_zh.pdf"))
    assert _flat("<script>x</script>甲县<script>alert(1)</script>{{7*7}}=cmd") in first
    clean = _pdf_pages(out / f"county_{counties['clean']}_zh.pdf")
    for key in ("first", "second"):
        assert abs(_pdf_pages(out / f"county_{counties[key]}_zh.pdf") - clean) <= 1, key


def test_results_csv_neutralises_formula_cells(run):
    out, _ = run
    checked = neutralised = 0
    for path in sorted(out.glob("*_zh.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    checked += 1
                    if cell[:1] in {"=", "+", "-", "@", "\t", "\r"}:
                        assert re.fullmatch(r"-?\d+(\.\d+)?(e-?\d+)?", cell), (path.name, cell)
                    neutralised += cell.startswith("'-")
    assert checked > 1000 and neutralised  # e.g. the event window '-5…5
    # Results CSVs identify counties by code: no name (so no payload) reaches them.
    every_csv = "".join(p.read_text(encoding="utf-8-sig") for p in out.glob("*.csv"))
    assert "甲县" not in every_csv and "=cmd" not in every_csv


def _chart_svgs(path: Path) -> list[str]:
    found = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', path.read_text("utf-8"))
    return [base64.b64decode(data).decode("utf-8") for data in found]


def test_chart_svgs_hold_no_raw_payload(run, counties):
    out, _ = run
    svgs = [
        svg
        for name in (f"county_{counties['first']}_zh.html", "province_01_zh.html")
        for svg in _chart_svgs(out / name)
    ]
    assert len(svgs) >= 4
    markup = [p for p in PAYLOADS if "<" in p]
    for svg in svgs:
        root = ElementTree.fromstring(svg)  # raises if a payload broke the XML
        # matplotlib names each text path in a comment; its content must be escaped.
        comments = re.findall(r"<!--(.*?)-->", svg, flags=re.S)
        assert not [c for c in comments if "<" in c or "--" in c]
        outside_comments = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
        assert [p for p in markup if p in outside_comments] == []
        labels = [el.text or "" for el in root.iter() if el.tag.split("}")[-1] in {"title", "desc"}]
        labels += [v for el in root.iter() for k, v in el.attrib.items() if k == "aria-label"]
        assert not [t for t in labels if "<" in t or "javascript:" in t.lower()]
        assert not [
            el for el in root.iter() if el.tag.split("}")[-1] in {"script", "foreignObject"}
        ]


def test_county_page_runs_nothing_and_loads_nothing_in_chromium(run, counties):
    chromium = require_tool("chromium", "chromium")
    from playwright.sync_api import sync_playwright

    out, _ = run
    dialogs, console, requests = [], [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for name in (f"county_{counties['first']}_zh.html", "index.html"):
            page = browser.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("console", lambda m: console.append((m.type, m.text)))
            page.on("pageerror", lambda e: console.append(("pageerror", str(e))))
            page.on("request", lambda r: requests.append(r.url))
            page.goto((out / name).as_uri())
            page.wait_for_load_state("load")
            live = page.evaluate(
                "document.querySelectorAll('script,iframe,base,object,embed,svg,math').length"
            )
            visible = page.evaluate("getComputedStyle(document.body).display")
            assert live == 0 and visible != "none", name
            page.close()
        browser.close()
    assert dialogs == []
    assert [c for c in console if c[0] in {"error", "pageerror", "warning"}] == []
    assert [u for u in requests if not u.startswith(("file://", "data:"))] == []
