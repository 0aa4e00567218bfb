"""Progress display: a live bar with counts, rate and ETA on a terminal, log lines otherwise."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from ylt_eval.batch.runner import JobOutcome, RenderJob


class _LineProgress:
    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.done, self.stream = total, 0, stream

    def start(self, job: RenderJob) -> None:
        pass

    def finish(self, outcome: JobOutcome) -> None:
        self.done += 1
        detail = f": {outcome.error.splitlines()[0]}" if outcome.error else ""
        print(
            f"[{self.done}/{self.total}] {outcome.job.kind} {outcome.job.key} "
            f"{outcome.status} ({outcome.seconds:.1f} s){detail}",
            file=self.stream,
            flush=True,
        )


class _RichProgress:
    def __init__(self, total: int, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = Console(file=stream)
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
        )
        self.task = self.progress.add_task("rendering", total=total, rate="")
        self.elapsed = 0.0
        self.done = 0

    def start(self, job: RenderJob) -> None:
        self.progress.update(self.task, description=f"{job.kind} {job.key}")

    def finish(self, outcome: JobOutcome) -> None:
        self.done += 1
        self.elapsed += outcome.seconds
        rate = f"{60 * self.done / self.elapsed:.1f}/min" if self.elapsed else ""
        self.progress.update(self.task, advance=1, rate=rate)
        if outcome.status != "ok":
            self.progress.console.print(
                f"[red]✗[/red] {outcome.job.kind} {outcome.job.key}: "
                f"{outcome.error.splitlines()[0] if outcome.error else ''}",
                markup=True,
                highlight=False,
            )


@contextmanager
def progress_display(total: int, stream: TextIO | None = None) -> Iterator[object]:
    """Yield an object with ``start(job)`` and ``finish(outcome)`` for :func:`run_jobs`.

    Parameters
    ----------
    total : int
        Number of jobs.
    stream : file, optional
        Where to draw (default ``sys.stderr``); a non-terminal gets one line per job.
    """
    stream = stream or sys.stderr
    if stream.isatty():
        display = _RichProgress(total, stream)
        with display.progress:
            yield display
    else:
        yield _LineProgress(total, stream)
