"""Where a run's tasks execute: local report processes, or a Dask cluster.

Both executors run every task in its own process forked from a warm
:class:`~ylt_eval.batch.forkserver.ForkServer` and return results as values (documents as
bytes), so the calling process writes every output itself: workers need no access to the
output folder, nor to the input file (a Dask run ships the file's bytes to each worker once).
"""

from __future__ import annotations

import atexit
import hashlib
import os
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ylt_eval.batch.forkserver import ForkServer
from ylt_eval.batch.tasks import ProvinceTask, ReportTask, TaskResult
from ylt_eval.errors import ParameterError

Task = ProvinceTask | ReportTask
Callback = Callable[[TaskResult], None]


class LocalExecutor:
    """Up to ``jobs`` report processes at a time on this machine.

    Parameters
    ----------
    data_path : Path
    lang : str
    jobs : int
        Reports executed side by side.
    warm_up : bool
        See :class:`~ylt_eval.batch.forkserver.ForkServer`.
    """

    def __init__(self, data_path: Path, lang: str, *, jobs: int, warm_up: bool = False) -> None:
        if jobs < 1:
            raise ParameterError("--jobs must be at least 1")
        self._server = ForkServer(data_path, lang, warm_up=warm_up)
        # Threads only wait for their report process; the work happens in those processes.
        self._pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="ylt-report")

    def submit(self, task: Task, *, timeout: float, on_done: Callback) -> None:
        """Start ``task``; ``on_done`` receives its result (from another thread)."""
        future = self._pool.submit(self._server.run, task, timeout=timeout)
        future.add_done_callback(lambda done: on_done(_result_of(done)))

    def close(self) -> None:
        """Wait for running tasks, then stop the report processes."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._server.close()


class DaskExecutor:
    """Tasks on a Dask distributed cluster (an existing scheduler or a new LocalCluster).

    Parameters
    ----------
    scheduler : str
        ``"local"`` to start a :class:`~distributed.LocalCluster` of ``jobs`` single-threaded
        worker processes, or the address of a running scheduler (``tcp://host:port``).
    data_path : Path
    lang : str
    jobs : int
        Workers of a LocalCluster (ignored for an existing cluster).
    warm_up : bool
        Whether each worker's fork server warms up (see
        :class:`~ylt_eval.batch.forkserver.ForkServer`).
    """

    def __init__(
        self,
        scheduler: str,
        data_path: Path,
        lang: str,
        *,
        jobs: int,
        warm_up: bool = False,
    ) -> None:
        from distributed import Client, LocalCluster

        self._cluster = None
        if scheduler == "local":
            self._cluster = LocalCluster(
                n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None
            )
            self._client = Client(self._cluster)
        elif scheduler.startswith(("tcp://", "tls://")):
            try:
                self._client = Client(scheduler, timeout=30)
            except OSError as error:
                raise ParameterError(
                    f"cannot reach the Dask scheduler {scheduler}: {error}"
                ) from None
        else:
            raise ParameterError("--scheduler takes 'local' or tcp://HOST:PORT")
        source = InputFile.read(data_path)
        self._source = self._client.scatter(source, broadcast=True, hash=False)
        self._lang = lang
        self._warm_up = warm_up

    def submit(self, task: Task, *, timeout: float, on_done: Callback) -> None:
        """Start ``task`` on the cluster; ``on_done`` receives its result."""
        future = self._client.submit(
            run_on_worker, task, self._source, self._lang, timeout, self._warm_up, pure=False
        )
        future.add_done_callback(lambda done: on_done(_result_of(done)))

    def close(self) -> None:
        """Disconnect (and stop the LocalCluster if this executor started it)."""
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def _result_of(future) -> TaskResult:
    try:
        return future.result()
    except BaseException as error:  # worker lost, task cancelled ...
        return TaskResult("failed", f"{type(error).__name__}: {error}".strip())


@dataclass(frozen=True)
class InputFile:
    """An input file's name and bytes, sent to Dask workers (no shared file system needed)."""

    name: str
    content: bytes
    sha256: str

    @classmethod
    def read(cls, path: Path) -> InputFile:
        """Read ``path``."""
        content = Path(path).read_bytes()
        return cls(Path(path).name, content, hashlib.sha256(content).hexdigest())

    def materialise(self) -> Path:
        """Write the file into this machine's temporary folder (once) and return its path.

        The file keeps its name, so reports (which show the name and hash, never a path) come
        out the same as from the original.
        """
        folder = Path(tempfile.gettempdir()) / "ylt-eval-inputs" / self.sha256
        path = folder / self.name
        if not path.is_file():
            folder.mkdir(parents=True, exist_ok=True)
            handle, partial = tempfile.mkstemp(dir=folder, prefix=".part-")
            with os.fdopen(handle, "wb") as stream:
                stream.write(self.content)
            os.replace(partial, path)
        return path


_servers: dict[tuple[str, str], ForkServer] = {}
_servers_lock = threading.Lock()


def run_on_worker(
    task: Task, source: InputFile, lang: str, timeout: float, warm_up: bool
) -> TaskResult:
    """Dask task: run ``task`` in a fresh process of this worker's fork server.

    The worker keeps one server for the current input file and language; a new file (a new
    run) replaces it.
    """
    key = (source.sha256, lang)
    with _servers_lock:
        server = _servers.get(key)
        if server is None:
            for old in _servers.values():
                old.close()
            _servers.clear()
            server = _servers[key] = ForkServer(source.materialise(), lang, warm_up=warm_up)
    return server.run(task, timeout=timeout)


@atexit.register
def _close_servers() -> None:
    with _servers_lock:
        for server in _servers.values():
            server.close()
        _servers.clear()
