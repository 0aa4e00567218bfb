"""Safe output paths and atomic writes.

Only a validated 6-digit county code (or a fixed name) ever becomes part of an output path, and
files appear under their final name only when complete (written to a temporary name in the same
folder, flushed, then renamed), so an interrupted run never leaves a half-written report.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ylt_eval.errors import ParameterError
from ylt_eval.report.parameters import normalise_county_code


def county_output_path(out_dir: Path, county_code: str, lang: str, suffix: str) -> Path:
    """Path of a county's output file, guaranteed to stay inside ``out_dir``.

    Parameters
    ----------
    out_dir : Path
        Output folder.
    county_code : str
        Validated again here: nothing but six digits reaches the file name.
    lang : str
        ``"zh"`` or ``"en"``.
    suffix : str
        ``".html"``, ``".pdf"``, ...
    """
    code = normalise_county_code(county_code)
    if lang not in {"zh", "en"} or suffix not in {".html", ".pdf", ".json", ".csv"}:
        raise ParameterError(f"unsupported output kind {lang!r}/{suffix!r}")
    return _inside(out_dir, f"county_{code}_{lang}{suffix}")


def named_output_path(out_dir: Path, name: str) -> Path:
    """Path of a fixed-name output (``index.html``, ``province_summary_zh.html`` ...)."""
    return _inside(out_dir, name)


def _inside(out_dir: Path, name: str) -> Path:
    root = out_dir.resolve()
    path = (root / name).resolve()
    if path.parent != root:
        raise ParameterError(f"output name {name!r} would leave the output folder")
    return path


#: Hidden folder inside an output folder where a batch run writes files before renaming them.
STAGING = ".ylt-staging"


def staging_folder(out_dir: Path) -> Path:
    """A run's staging folder, emptied of what a killed run may have left there."""
    folder = Path(out_dir) / STAGING
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def write_atomic(path: Path, data: bytes | str, *, staging: Path | None = None) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the whole new one.

    Parameters
    ----------
    path : Path
    data : bytes or str
        Text is written as UTF-8.
    staging : Path, optional
        Folder on the same file system for the temporary file (default: next to ``path``, as
        a hidden ``.part`` file); a batch run uses :func:`staging_folder`, so that a run killed
        with ``SIGKILL`` leaves nothing but complete files under their final names.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    folder = path.parent if staging is None else staging
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".part")
    try:
        os.chmod(temporary, readable_mode())  # mkstemp's 0600 would hide reports from others
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def readable_mode() -> int:
    """Mode of a newly created file under the current umask (``mkstemp`` would give 0600)."""
    current = os.umask(0)
    os.umask(current)
    return 0o666 & ~current
