"""Progress display: a live bar with counts, rate and ETA on a terminal, log lines otherwise."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from ylt_eval.batch.runner import JobOutcome, ProgressListener
from ylt_eval.terminal import printable


class _Counter:
    """Counts, rate and ETA of the jobs actually executed (up-to-date ones are not timed)."""

    def __init__(self) -> None:
        self.total = self.done = self.skipped = self.failed = 0
        self.started = time.monotonic()

    def rate(self) -> float:
        executed = self.done - self.skipped
        elapsed = time.monotonic() - self.started
        return executed / elapsed if executed and elapsed > 0 else 0.0

    def eta(self) -> str:
        rate = self.rate()
        if not rate:
            return "?"
        seconds = round((self.total - self.done) / rate)
        return f"{seconds // 60}:{seconds % 60:02d}"


class LineProgress(ProgressListener):
    """One plain line per finished job (for logs and pipes)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream, self.count = stream, _Counter()

    def start(self, total: int, skipped: int) -> None:
        self.count.total, self.count.done, self.count.skipped = total, skipped, skipped
        self.count.started = time.monotonic()
        print(f"{total} reports, {skipped} up to date", file=self.stream, flush=True)

    def finish(self, outcome: JobOutcome) -> None:
        self.count.done += 1
        detail = f": {printable(outcome.error.splitlines()[0])}" if outcome.error else ""
        key = printable(outcome.job.key)
        print(
            f"[{self.count.done}/{self.count.total}] {outcome.job.kind} {key} "
            f"{outcome.status} ({outcome.seconds:.1f} s; {60 * self.count.rate():.1f}/min, "
            f"ETA {self.count.eta()}){detail}",
            file=self.stream,
            flush=True,
        )


class RichProgress(ProgressListener):
    """A live bar: done/total, failures, reports per minute, elapsed time and ETA."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.count = _Counter()
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]}"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA {task.fields[eta]}"),
            console=Console(file=stream),
        )
        self.task = self.progress.add_task("rendering", total=None, rate="", eta="?", failed="")

    def start(self, total: int, skipped: int) -> None:
        self.count.total, self.count.done, self.count.skipped = total, skipped, skipped
        self.count.started = time.monotonic()
        self.progress.update(self.task, total=total, completed=skipped)

    def finish(self, outcome: JobOutcome) -> None:
        self.count.done += 1
        if outcome.status == "failed":
            self.count.failed += 1
            reason = printable(outcome.error.splitlines()[0]) if outcome.error else ""
            self.progress.console.print(
                f"✗ {outcome.job.kind} {printable(outcome.job.key)}: {reason}",
                markup=False,
                highlight=False,
            )
        self.progress.update(
            self.task,
            advance=1,
            description=f"{outcome.job.kind} {printable(outcome.job.key)}",
            rate=f"{60 * self.count.rate():.1f}/min",
            eta=self.count.eta(),
            failed=f"{self.count.failed} failed" if self.count.failed else "",
        )


@contextmanager
def progress_display(stream: TextIO | None = None) -> Iterator[ProgressListener]:
    """Yield a :class:`ProgressListener` for :func:`~ylt_eval.batch.runner.run_batch`.

    Parameters
    ----------
    stream : file, optional
        Where to draw (default ``sys.stderr``); a non-terminal gets one line per job.
    """
    stream = stream or sys.stderr
    if stream.isatty():
        display = RichProgress(stream)
        with display.progress:
            yield display
    else:
        yield LineProgress(stream)
