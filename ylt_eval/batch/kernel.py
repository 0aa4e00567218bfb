"""Kernel manager used for report execution.

IPC (Unix socket) transport instead of TCP: no port races when many kernels start at once
(papermill #511) and no unencrypted-TCP warning on every run.
"""

from __future__ import annotations

from jupyter_client.manager import AsyncKernelManager


class IpcKernelManager(AsyncKernelManager):
    """An :class:`AsyncKernelManager` whose kernels talk over Unix sockets."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("transport", "ipc")
        super().__init__(**kwargs)
