"""The ``ylt-eval`` command line.

Exit codes: 0 success; 1 some reports failed or the data have blocking errors; 2 the command
was called wrongly or the input cannot be read at all. Errors in the data are explained in one
message, never with a Python traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ylt_eval.cli.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from ylt_eval.errors import DataValidationError, YltEvalError

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``ylt-eval`` (exposed for documentation and tests)."""
    import ylt_eval
    from ylt_eval.cli import did, indicators, reports

    parser = argparse.ArgumentParser(
        prog="ylt-eval",
        description="Standardized assessment reports for county medical consortia (医共体).",
    )
    parser.add_argument("--version", action="version", version=f"ylt-eval {ylt_eval.__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    reports.add_commands(subparsers)
    did.add_command(subparsers)
    indicators.add_command(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except DataValidationError as error:
        print(str(error), file=sys.stderr)
        return EXIT_FAILED
    except YltEvalError as error:
        print(f"ylt-eval: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("ylt-eval: interrupted; no partial report was written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (``ylt-eval indicators … | head``): not an error.
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
