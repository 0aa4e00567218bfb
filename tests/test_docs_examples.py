"""The worked examples of docs/extending.md run as written (so the guide cannot rot).

The guide's ``python`` blocks run top to bottom as one script, in a temporary folder holding a
link to the repository's ``data/`` and a copy of the package placed first on ``PYTHONPATH``.
Its ``toml`` blocks are applied first: ``append=PATH`` adds the block to that file of the
package copy (what a contributor does to the packaged catalogue or messages), ``file=NAME``
writes the block to the working folder. The repository's own files are never modified.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "extending.md"

_FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class CodeBlock:
    """One fenced block of the guide."""

    language: str
    options: dict[str, str]
    text: str


def code_blocks(markdown: str) -> list[CodeBlock]:
    """Return the fenced code blocks of a Markdown text, in order.

    The info string is a language followed by ``key=value`` options; anything else is refused
    so that a typo in an option cannot silently skip a block.
    """
    blocks = []
    for match in _FENCE.finditer(markdown):
        words = match.group(1).split()
        language = words[0] if words else ""
        options = {}
        for word in words[1:]:
            key, sep, value = word.partition("=")
            if not sep or key not in {"append", "file"}:
                raise ValueError(f"unknown code-block option {word!r}")
            options[key] = value
        blocks.append(CodeBlock(language, options, match.group(2)))
    return blocks


def prepare_workspace(blocks: list[CodeBlock], folder: Path) -> tuple[Path, Path]:
    """Copy the package, link the data, apply the toml blocks; return (work, package) folders."""
    package_root = folder / "package"
    shutil.copytree(
        ROOT / "ylt_eval",
        package_root / "ylt_eval",
        symlinks=True,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    work = folder / "work"
    work.mkdir()
    (work / "data").symlink_to(ROOT / "data", target_is_directory=True)
    for block in blocks:
        if "append" in block.options:
            target = package_root / block.options["append"]
            assert target.is_file(), f"append= names no package file: {target}"
            with target.open("a", encoding="utf-8") as handle:
                handle.write(block.text)
        elif "file" in block.options:
            (work / block.options["file"]).write_text(block.text, encoding="utf-8")
    return work, package_root


def test_code_blocks_are_parsed_with_their_options():
    text = "a\n```toml file=x.toml\nk = 1\n```\n\n```python\nprint(1)\n```\n"
    assert code_blocks(text) == [
        CodeBlock("toml", {"file": "x.toml"}, "k = 1\n"),
        CodeBlock("python", {}, "print(1)\n"),
    ]
    with pytest.raises(ValueError, match="unknown code-block option"):
        code_blocks("```toml apend=ylt_eval/resources/indicators.toml\n```\n")


def test_guide_has_an_example_for_every_extension_point():
    blocks = code_blocks(GUIDE.read_text(encoding="utf-8"))
    appended = {block.options.get("append") for block in blocks}
    assert {"ylt_eval/resources/indicators.toml", "ylt_eval/resources/messages.toml"} <= appended
    assert any("file" in block.options for block in blocks)
    python = "\n".join(block.text for block in blocks if block.language == "python")
    for needle in ("load_catalogue", "load_targets", "EstimationResult", "section("):
        assert needle in python
    assert {block.language for block in blocks} <= {"python", "toml"}


def test_guide_examples_run(tmp_path):
    blocks = code_blocks(GUIDE.read_text(encoding="utf-8"))
    work, package_root = prepare_workspace(blocks, tmp_path)
    script = work / "guide_examples.py"
    script.write_text(
        "\n\n".join(block.text for block in blocks if block.language == "python"),
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(package_root), "OPENBLAS_NUM_THREADS": "1"}
    completed = subprocess.run(
        [sys.executable, "-W", "error::SyntaxWarning", str(script)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    # The repository's own package files were left alone.
    assert "primary_admission_share" not in (
        ROOT / "ylt_eval" / "resources" / "indicators.toml"
    ).read_text(encoding="utf-8")
