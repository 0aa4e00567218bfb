"""Build the HTML API reference of ylt_eval from its docstrings with pdoc.

Usage, from the repository root (pdoc is in the ``docs`` extra)::

    python docs/build_api.py              # writes docs/api/ (git-ignored); open docs/api/index.html
    python docs/build_api.py --out DIR

``python -m pdoc ylt_eval`` alone would document only the top-level package: pdoc follows a
package's ``__all__``, which lists the exceptions, not the subpackages. This script passes every
public module explicitly (any module whose dotted name has no part starting with ``_``, found
on disk, so new modules are picked up without editing a list) and renders NumPy-style
docstrings.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "ylt_eval"
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "api"


def public_modules(package_root: Path = PACKAGE_ROOT) -> list[str]:
    """Return the dotted names of the package's public modules and packages, sorted.

    Parameters
    ----------
    package_root : Path
        Folder of the top-level package.

    Returns
    -------
    list of str
        ``ylt_eval``, ``ylt_eval.metrics``, ``ylt_eval.metrics.catalogue``, ...; private
        modules (``_vcov``), ``__main__`` modules and folders without Python files are left out.
    """
    names = set()
    for path in package_root.rglob("*.py"):
        relative = path.relative_to(package_root.parent).with_suffix("")
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        if any(part.startswith("_") for part in parts):
            continue
        names.add(".".join(parts))
    return sorted(names)


def pdoc_specs(modules: list[str]) -> list[str]:
    """Keep the modules pdoc would not reach from another one of ``modules``.

    pdoc documents a package's submodules itself unless the package defines ``__all__``
    without them; naming such a submodule again makes pdoc warn about a duplicate.
    """
    import importlib

    listed = set(modules)
    specs = []
    for name in modules:
        parent, _, leaf = name.rpartition(".")
        if parent in listed:
            exported = getattr(importlib.import_module(parent), "__all__", None)
            if exported is None or leaf in exported:
                continue  # pdoc walks into it from the parent
        specs.append(name)
    return specs


def build(output: Path = DEFAULT_OUTPUT, modules: list[str] | None = None) -> list[str]:
    """Render the API reference into ``output``; return the documented module names.

    Parameters
    ----------
    output : Path
        Folder to write; ``index.html`` is its entry page.
    modules : list of str, optional
        Dotted module names; every public module by default (:func:`public_modules`).

    Raises
    ------
    ModuleNotFoundError
        If pdoc is not installed (``pip install -e ".[docs]"``).
    """
    import pdoc
    import pdoc.render

    modules = public_modules() if modules is None else list(modules)
    pdoc.render.configure(
        docformat="numpy",
        footer_text="ylt_eval API reference",
        search=True,
        show_source=True,
    )
    pdoc.pdoc(*pdoc_specs(modules), output_directory=output)
    return modules


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUTPUT, help="output folder")
    arguments = parser.parse_args(argv)
    try:
        build(arguments.out)
    except ModuleNotFoundError as error:
        if error.name != "pdoc":
            raise
        sys.stderr.write('pdoc is not installed: pip install -e ".[docs]"\n')
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
