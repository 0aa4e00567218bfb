"""What a run knows about earlier runs: content hashes, the manifest and the durations log.

``manifest.json`` has one row per report (status, output files, the hash of everything the
report depends on, error) and nothing that changes from run to run, so an unchanged rerun
writes the same bytes. Durations and times go to ``render_log.jsonl`` instead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import ylt_eval
from ylt_eval.batch.outputs import named_output_path, write_atomic

MANIFEST = "manifest.json"
DURATIONS_LOG = "render_log.jsonl"


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def report_hash(
    *,
    kind: str,
    parameters: Mapping[str, object],
    formats: Iterable[str],
    input_sha256: str,
    template_sha256: str,
) -> str:
    """Hash of everything one report's bytes depend on.

    Inputs (file content), parameters (the input's path excluded: moving the file changes
    nothing), output formats, the template's content and the package version.
    """
    described = {
        "kind": kind,
        "parameters": {k: v for k, v in parameters.items() if k != "data_path"},
        "formats": sorted(formats),
        "input_sha256": input_sha256,
        "template_sha256": template_sha256,
        "ylt_eval_version": ylt_eval.__version__,
    }
    text = json.dumps(described, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_manifest(out_dir: Path) -> dict[tuple[str, str], dict]:
    """Rows of the manifest left by an earlier run, by (kind, key); empty if none or unreadable."""
    path = Path(out_dir) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        return {(row["kind"], row["key"]): row for row in manifest["reports"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def write_manifest(
    out_dir: Path,
    rows: Iterable[dict],
    *,
    input_name: str,
    input_sha256: str,
    staging: Path | None = None,
) -> None:
    """Write ``manifest.json`` atomically (rows in the order given)."""
    manifest = {
        "ylt_eval_version": ylt_eval.__version__,
        "input_file": input_name,
        "input_sha256": input_sha256,
        "reports": list(rows),
    }
    write_atomic(
        named_output_path(out_dir, MANIFEST),
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
        staging=staging,
    )


def append_durations(
    out_dir: Path, entries: Iterable[dict], *, staging: Path | None = None
) -> None:
    """Add this run's ``{kind, key, status, seconds}`` entries to the durations log."""
    path = named_output_path(out_dir, DURATIONS_LOG)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    lines = [
        json.dumps({"run": stamp, **entry}, ensure_ascii=False, sort_keys=True) for entry in entries
    ]
    if not lines:
        return
    previous = path.read_text(encoding="utf-8") if path.is_file() else ""
    write_atomic(path, previous + "\n".join(lines) + "\n", staging=staging)
