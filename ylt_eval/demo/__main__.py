"""Regenerate the demo panel: ``python -m ylt_eval.demo [--out PATH] [--seed N]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ylt_eval.demo.generator import DEFAULT_SEED, write_demo_panel
from ylt_eval.errors import YltEvalError

#: Where the committed demo panel lives, relative to the repository root.
DEFAULT_OUTPUT = Path("data") / "demo" / "panel.csv"


def main(argv: list[str] | None = None) -> int:
    """Write the demo panel and report where.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Process exit status (0 on success, 2 on a bad parameter).
    """
    parser = argparse.ArgumentParser(
        prog="python -m ylt_eval.demo",
        description="Regenerate the synthetic demo panel (示范省) bit for bit.",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"output CSV (default: {DEFAULT_OUTPUT.as_posix()}, relative to the current folder)",
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default: {DEFAULT_SEED})"
    )
    args = parser.parse_args(argv)
    try:
        written = write_demo_panel(args.out, seed=args.seed)
    except YltEvalError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {written}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
