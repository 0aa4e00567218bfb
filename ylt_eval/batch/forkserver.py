"""A warm process that forks one fresh child per task: isolation without kernel start-up cost.

Starting a Jupyter kernel and importing pandas, matplotlib and the report code costs seconds per
report. The server imports all of that and loads the run's input file once, then waits on a
Unix socket in a private folder; each connection gets a child forked from that untouched state,
which runs one task and exits. Every report therefore runs in its own process that starts in
exactly the same state (nothing of another report can leak into it), a crash or ``SIGKILL``
affects only that report, and the caller enforces the wall-clock limit by killing the child.

The server is single-threaded (forking a threaded process is unsafe) and exits, killing its
children, when the process that started it closes its standard input (or dies).

Protocol on a connection (``multiprocessing.connection`` framing, pickles): caller → server:
``"fork"``, then child → caller: its pid; caller → child: the task; child → caller: a
:class:`~ylt_eval.batch.tasks.TaskResult`. Or caller → server: ``("warm", task)``, server →
caller: ``"warm"`` once the server has rendered the task itself (see ``warm_up``).
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import replace
from multiprocessing.connection import Client, Connection
from pathlib import Path

from ylt_eval.batch.tasks import ProvinceTask, ReportTask, RunInputs, TaskResult
from ylt_eval.errors import RenderError

#: Environment of every report process: reproducible hashing, PDF dates and chart backend, and
#: one BLAS thread per report (parallelism comes from running reports side by side).
REPORT_ENVIRONMENT = {
    "PYTHONHASHSEED": "0",
    "SOURCE_DATE_EPOCH": "0",
    "MPLBACKEND": "Agg",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}

#: Seconds a new child may take to answer before it counts as failed to start.
_CHILD_START_LIMIT = 60

#: Modules imported once by the server so that no report pays for them.
_WARM_MODULES = (
    "IPython.core.interactiveshell",
    "papermill.parameterize",
    "papermill.iorw",
    "ylt_eval.analysis.county",
    "ylt_eval.analysis.counterfactual",
    "ylt_eval.analysis.province",
    "ylt_eval.report.county_sections",
    "ylt_eval.report.province_sections",
    "ylt_eval.report.html_export",
    "ylt_eval.report.pdf_export",
    "ylt_eval.batch.shell",
    "ylt_eval.batch.handover",
    "ylt_eval.batch.precompute",
    "matplotlib.pyplot",
)


class ForkServer:
    """Start and talk to a fork server for one input file.

    Parameters
    ----------
    data_path : Path
        Input file, loaded once by the server.
    lang : str
        Language of the data's warning texts.
    warm_up : bool
        Before forking the first report that comes with its province's estimates, the server
        renders that report once itself (HTML only, result discarded), so that one-off costs
        (font and chart machinery, exporter set-up: seconds) are paid once per server, not
        once per report. Only caches are left behind: every report's bytes are the same as
        in a fresh process (tested). Reports wait while the server warms up.

    Raises
    ------
    RenderError
        If the server cannot start or cannot load the input.
    """

    def __init__(self, data_path: Path, lang: str, *, warm_up: bool = False) -> None:
        self.data_path = Path(data_path).resolve()
        self.lang = lang
        self._warm_up = warm_up
        self._lock = threading.Lock()
        self._folder = Path(tempfile.mkdtemp(prefix="ylt-forkserver-"))  # mode 0700
        self.address = str(self._folder / "socket")
        self._process = self._start()

    def _start(self) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "ylt_eval.batch.forkserver", self.address],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **REPORT_ENVIRONMENT},
        )
        pickle.dump((str(self.data_path), self.lang), process.stdin)
        process.stdin.flush()
        answer = process.stdout.readline().decode("utf-8", "replace").strip()
        if answer != "ready":
            process.kill()
            process.wait()
            raise RenderError(f"report process server did not start: {answer or 'no answer'}")
        return process

    @property
    def pid(self) -> int:
        """Process id of the server."""
        return self._process.pid

    def run(self, task: ProvinceTask | ReportTask, *, timeout: float) -> TaskResult:
        """Run ``task`` in a fresh child; kill it after ``timeout`` seconds.

        Returns
        -------
        TaskResult
            Failed (with the reason) when the child times out, dies or cannot start.
        """
        with self._lock:
            if self._process.poll() is not None:  # killed from outside: replace it, cold
                self._process = self._start()
            if self._warm_up and isinstance(task, ReportTask) and task.models is not None:
                self._warm_up = False
                self._warm(replace(task, formats=frozenset({"html"})), timeout)
        try:
            connection = Client(self.address, family="AF_UNIX")
        except OSError as error:
            return TaskResult("failed", f"report process server unreachable: {error}")
        with connection:
            connection.send("fork")
            if not connection.poll(_CHILD_START_LIMIT):
                return TaskResult("failed", "report process did not start")
            try:
                pid = connection.recv()
                connection.send(task)
                if not connection.poll(timeout):
                    _kill(pid)
                    return TaskResult(
                        "failed", f"exceeded the wall-clock limit of {timeout:g} s", seconds=timeout
                    )
                return connection.recv()
            except (EOFError, OSError):
                return TaskResult(
                    "failed", "report process died before finishing (killed or crashed)"
                )

    def _warm(self, task: ReportTask, timeout: float) -> None:
        """Have the server render ``task`` itself; a server it breaks is replaced, cold."""
        try:
            with Client(self.address, family="AF_UNIX") as connection:
                connection.send(("warm", task))
                if connection.poll(timeout):
                    connection.recv()
                    return
        except (EOFError, OSError):
            pass
        self._process.kill()
        self._process.wait()
        self._process = self._start()

    def close(self) -> None:
        """Stop the server (it kills any child still running) and remove its socket folder."""
        if self._process.poll() is None:
            self._process.stdin.close()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process.stdout.close()
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> ForkServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _serve(address: str) -> None:
    """Server main loop (runs in the ``python -m ylt_eval.batch.forkserver`` process)."""
    import importlib

    from ylt_eval.analysis.inputs import load_assessment_data

    data_path, lang = pickle.load(sys.stdin.buffer)
    try:
        for module in _WARM_MODULES:
            importlib.import_module(module)
        inputs = RunInputs(Path(data_path), lang, load_assessment_data(data_path, lang=lang))
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(address)
        listener.listen(128)
    except Exception as error:  # reported to the starting process, which raises it
        print(f"{type(error).__name__}: {error}".replace("\n", " "), flush=True)
        return
    print("ready", flush=True)
    # Stray output of reports must not fill a pipe nobody reads.
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    children: set[int] = set()
    try:
        while True:
            readable, _, _ = select.select([listener, 0], [], [], 1.0)
            _reap(children)
            if 0 in readable and not os.read(0, 4096):
                return  # the starting process closed our stdin or died
            if listener in readable:
                client, _ = listener.accept()
                connection = Connection(client.detach())
                request = connection.recv()
                if request == "fork":
                    pid = os.fork()
                    if pid == 0:
                        listener.close()
                        _child(connection, inputs)
                    children.add(pid)
                elif request[0] == "warm":
                    _warm(request[1], inputs)
                    connection.send("warm")
                connection.close()
    finally:
        for pid in children:
            _kill(pid)
        _reap(children)


def _reap(children: set[int]) -> None:
    for pid in list(children):
        try:
            finished, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            finished = pid
        if finished:
            children.discard(pid)


def _warm(task: ReportTask, inputs: RunInputs) -> None:
    """Render ``task`` in the server itself (HTML only, result dropped) to fill its caches.

    HTML only: the PDF compiler starts native threads, and a process must not fork with
    threads running. A failure here shows up again in that report's own run.
    """
    from ylt_eval.batch.tasks import run_task

    run_task(task, inputs)
    gc.collect()
    gc.freeze()  # the collector of a forked child then leaves these objects' pages shared


def _child(connection: Connection, inputs: RunInputs) -> None:
    """One task in a freshly forked process; never returns."""
    from ylt_eval.batch.tasks import run_task

    code = 0
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        connection.send(os.getpid())
        task = connection.recv()
        connection.send(run_task(task, inputs))
        connection.close()
    except BaseException:  # the caller sees the closed connection and records the failure
        code = 1
    finally:
        os._exit(code)


if __name__ == "__main__":
    _serve(sys.argv[1])
