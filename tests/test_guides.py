"""The user guides (docs/guide.en.md, docs/guide.zh.md) keep working when followed.

* Every ``ylt-eval …`` command of a ```bash/```sh block is parsed by the real argument parser:
  its subcommand, options and option values must exist (nothing is run).
* The fast commands are run for real, in a scratch folder laid out like the repository, in the
  order the guides give them: ``template``, ``validate`` and ``indicators`` on the demo panel,
  ``indicators --list``, the ``python -c`` step that adds an outcome column, the targets file
  built from the guide's ``cp`` line and ``toml`` block, and ``did --estimator twfe``/``bacon``.
  Their exit codes and a few known answers are checked.
* Both guides have the same numbered sections, their relative links and anchors resolve, and
  they quote the report's section headings, status words and grades exactly as
  ``ylt_eval/resources/messages.toml`` prints them.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from ylt_eval.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
GUIDES = {"en": DOCS / "guide.en.md", "zh": DOCS / "guide.zh.md"}
DEMO_PANEL = "data/demo/panel.csv"

#: Subcommands run for real (render and demo take minutes and are covered by their own tests).
FAST_SUBCOMMANDS = {"template", "validate", "indicators", "did"}
FAST_ESTIMATORS = {"twfe", "bacon"}

#: Report words each guide must quote exactly (keys of messages.toml).
QUOTED_MESSAGES = (
    "synthetic_banner",
    "section_summary",
    "summary_findings_heading",
    "section_warnings",
    "rule_target_missed",
    "rule_wrong_way",
    "rule_peer_outlier",
    "section_integration",
    "section_scorecard",
    "section_headline",
    "col_peer_median",
    "col_rank",
    "col_other_median",
    "col_status",
    "direction_up",
    "direction_down",
    "direction_target",
    "direction_monitor",
    "status_met",
    "status_not_met",
    "status_no_target",
    "status_insufficient_data",
    "grade_excellent",
    "grade_good",
    "grade_fair",
    "grade_poor",
    "section_trends",
    "section_referrals",
    "section_finance",
    "section_outcomes",
    "outcomes_chart_middle",
    "section_impact",
    "cf_bacon_heading",
    "cf_heading",
    "section_data_quality",
    "dq_withheld_heading",
    "section_methods",
    "provenance_heading",
    "settings_heading",
    "targets_heading",
)

FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def guide_text(lang: str) -> str:
    return GUIDES[lang].read_text(encoding="utf-8")


def fenced_blocks(text: str, languages: set[str]) -> list[str]:
    """Bodies of the fenced code blocks whose info string starts with one of ``languages``."""
    return [body for info, body in FENCE.findall(text) if info.strip().split(" ")[0] in languages]


def shell_commands(text: str) -> list[str]:
    """Commands of the shell blocks, with backslash continuations joined, in order."""
    commands = []
    for block in fenced_blocks(text, {"bash", "sh"}):
        pending = ""
        for line in block.splitlines():
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if stripped.endswith("\\"):
                pending += stripped[:-1] + " "
                continue
            commands.append(pending + stripped)
            pending = ""
    return commands


def cli_arguments(command: str) -> list[str] | None:
    """The arguments after ``ylt-eval`` (None for other commands)."""
    words = shlex.split(command)
    return words[1:] if words and words[0] == "ylt-eval" else None


def outside_fences(text: str) -> str:
    return FENCE.sub("", text)


def level2_headings(text: str) -> list[str]:
    return [
        line[3:].strip() for line in outside_fences(text).splitlines() if line.startswith("## ")
    ]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = outside_fences(path.read_text(encoding="utf-8"))
    return {slug(line.lstrip("#")) for line in text.splitlines() if re.match(r"#{1,6} ", line)}


# ----------------------------------------------------------------------------------------------
# (a) every command parses
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", sorted(GUIDES))
def test_every_guide_command_is_accepted_by_the_parser(lang, capsys):
    commands = [args for c in shell_commands(guide_text(lang)) if (args := cli_arguments(c))]
    subcommands = {args[0] for args in commands if not args[0].startswith("-")}
    assert subcommands == {"demo", "template", "validate", "indicators", "did", "render"}
    for args in commands:
        try:
            build_parser().parse_args(args)
        except SystemExit as stop:
            message = capsys.readouterr().err.strip().splitlines()[-1:]
            assert stop.code == 0, f"guide.{lang}.md: ylt-eval {shlex.join(args)}: {message}"


def test_the_parser_check_rejects_an_unknown_option(capsys):
    """The check above can fail: a misspelt option is refused."""
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(["render", DEMO_PANEL, "--year", "2024", "--out", "x", "--yaer"])
    assert stop.value.code == 2
    assert "--yaer" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------------
# (b) the fast commands run
# ----------------------------------------------------------------------------------------------


@pytest.fixture
def repository(tmp_path, monkeypatch):
    """A scratch folder laid out like the repository (links to its data, notebooks, package)."""
    for name in ("data", "notebooks", "ylt_eval"):
        (tmp_path / name).symlink_to(ROOT / name, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def is_fast(args: list[str]) -> bool:
    """A command that takes a second or less and reads only files the guide itself creates."""
    if args[0] not in FAST_SUBCOMMANDS:
        return False
    if args[0] == "did":
        estimator = args[args.index("--estimator") + 1] if "--estimator" in args else "cs"
        if estimator not in FAST_ESTIMATORS:
            return False
    inputs = [word for word in args[1:] if word.endswith((".csv", ".xlsx", ".toml"))]
    outputs = {args[i + 1] for i, word in enumerate(args) if word == "--out"}
    return all(Path(word).exists() for word in inputs if word not in outputs)


def follow_guide(lang: str, capsys) -> dict[str, tuple[int, str]]:
    """Run the guide's fast steps in order; return each ylt-eval command's exit code and output."""
    text = guide_text(lang)
    results: dict[str, tuple[int, str]] = {}
    for command in shell_commands(text):
        words = shlex.split(command)
        if words[:2] == ["mkdir", "-p"]:
            Path(words[2]).mkdir(parents=True, exist_ok=True)
        elif words[:2] == ["python", "-c"]:
            exec(words[2], {})  # the guide's own one-liner (pandas only), run in-process
        elif words[0] == "cp" and words[1] == "ylt_eval/resources/targets.toml":
            shutil.copy(words[1], words[2])
            province_block = fenced_blocks(text, {"toml"})
            assert len(province_block) == 1, "one toml block: the province targets"
            with Path(words[2]).open("a", encoding="utf-8") as handle:
                handle.write("\n" + province_block[0])
        elif words[0] == "ylt-eval" and len(words) > 1 and is_fast(words[1:]):
            code = main(words[1:])
            results[command] = (code, capsys.readouterr().out)
    return results


@pytest.mark.parametrize("lang", sorted(GUIDES))
def test_fast_guide_commands_run(lang, repository, capsys):
    results = follow_guide(lang, capsys)
    failed = {command: code for command, (code, _) in results.items() if code != 0}
    assert not failed, f"guide.{lang}.md commands failed: {failed}"

    ran = " | ".join(results)
    for expected in (
        "ylt-eval template --out",
        "ylt-eval template --checklist",
        f"ylt-eval validate {DEMO_PANEL}",
        "ylt-eval indicators --list",
        f"ylt-eval indicators {DEMO_PANEL} --county",
        "--targets work/",
        "--estimator twfe",
        "--estimator bacon",
    ):
        assert expected in ran, f"guide.{lang}.md: no fast command with {expected!r} was run"

    # Known answers the guide quotes.
    assessed = pd.read_csv("work/990126.csv", dtype=str, encoding="utf-8-sig")
    share = assessed[assessed["indicator"] == "primary_visit_share"].iloc[0]
    assert (share["status"], share["grade"], share["rank"]) == ("not_met", "优", "2")
    assert share["warnings"] == "target_missed;wrong_way"

    [own_targets] = [c for c in results if "--targets" in c]
    result = pd.read_csv(shlex.split(own_targets)[-1], dtype=str, encoding="utf-8-sig")
    status = result.set_index("indicator")["status"]
    assert status["primary_visit_share"] == "met"
    assert status["in_county_visit_rate"] == "no_target"
    assert status["referrals_down_growth"] == "not_met"

    [twfe] = [out for c, (_, out) in results.items() if "--estimator twfe" in c and "share" in c]
    estimate = json.loads(twfe)
    assert estimate["overall"]["estimate"] == pytest.approx(4.6947, abs=5e-5)
    assert estimate["n_clusters"] == 80
    assert "+4.69" in guide_text(lang)


# ----------------------------------------------------------------------------------------------
# (c) structure, links and report words
# ----------------------------------------------------------------------------------------------


def test_guides_have_the_same_numbered_sections():
    headings = {lang: level2_headings(guide_text(lang)) for lang in GUIDES}
    assert len(headings["en"]) == len(headings["zh"]) >= 9
    numbers = {lang: [h.split(".")[0] for h in items] for lang, items in headings.items()}
    assert numbers["en"] == numbers["zh"] == [str(n) for n in range(1, len(headings["en"]) + 1)]


@pytest.mark.parametrize("lang", sorted(GUIDES))
def test_guide_links_resolve(lang):
    path = GUIDES[lang]
    targets = LINK.findall(outside_fences(guide_text(lang)))
    assert targets
    for target in targets:
        if re.match(r"[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        assert linked.exists(), f"guide.{lang}.md links to missing {target}"
        if anchor and linked.suffix == ".md":
            assert anchor in anchors(linked), (
                f"guide.{lang}.md: no anchor #{anchor} in {linked.name}"
            )


@pytest.mark.parametrize("lang", sorted(GUIDES))
def test_guides_quote_the_report_words_exactly(lang):
    with (ROOT / "ylt_eval" / "resources" / "messages.toml").open("rb") as handle:
        messages = tomllib.load(handle)
    text = guide_text(lang)
    missing = [key for key in QUOTED_MESSAGES if messages[key][lang] not in text]
    assert not missing, f"guide.{lang}.md does not quote {[messages[k][lang] for k in missing]}"
