"""Execute a parameterised notebook in an IPython shell of the current process.

A batch run executes each report in its own short-lived process (see
:mod:`ylt_eval.batch.forkserver`); inside it this module plays the kernel's part: papermill's
own function injects the parameters cell, the code cells run in order in a fresh
:class:`~IPython.core.interactiveshell.InteractiveShell`, and every rich output is recorded the
way ipykernel sends it (JSON round trip included), so the exported documents are the same bytes
as after ``papermill`` with a Jupyter kernel.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from contextlib import redirect_stdout
from pathlib import Path

import nbformat
from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from ylt_eval.errors import RenderError

#: Outputs of the cell being executed (one shell per process, cells run one at a time).
_CURRENT_OUTPUTS: list[nbformat.NotebookNode] = []


def _jsonable(data: Mapping) -> dict:
    # What a kernel message does to a MIME bundle: JSON-encode, decode (tuples become lists).
    from jupyter_client.session import json_packer, json_unpacker

    return json_unpacker(json_packer(dict(data)))


class _RecordingDisplayHook(DisplayHook):
    """Records a cell's value (``execute_result``) instead of printing it."""

    def write_output_prompt(self) -> None:
        pass

    def write_format_data(self, format_dict, md_dict=None) -> None:
        _CURRENT_OUTPUTS.append(
            nbformat.v4.new_output(
                "execute_result",
                data=_jsonable(format_dict),
                metadata=_jsonable(md_dict or {}),
                execution_count=self.prompt_count,
            )
        )

    def finish_displayhook(self) -> None:
        pass


class _RecordingDisplayPublisher(DisplayPublisher):
    """Records ``display(...)`` calls as ``display_data`` outputs."""

    def publish(self, data, metadata=None, source=None, *, transient=None, update=False) -> None:
        _CURRENT_OUTPUTS.append(
            nbformat.v4.new_output(
                "display_data", data=_jsonable(data), metadata=_jsonable(metadata or {})
            )
        )

    def clear_output(self, wait=False) -> None:
        _CURRENT_OUTPUTS.clear()


class _QuietShell(InteractiveShell):
    """A shell that keeps tracebacks to itself (the error text is raised instead)."""

    def showtraceback(self, *args, **kwargs) -> None:
        pass

    def showsyntaxerror(self, *args, **kwargs) -> None:
        pass


def parameterised_notebook(
    template: Path, parameters: Mapping[str, object]
) -> nbformat.NotebookNode:
    """The template with papermill's injected-parameters cell, as ``papermill`` would run it."""
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    notebook = load_notebook_node(str(template))
    return parameterize_notebook(
        notebook, dict(parameters), kernel_name="python3", language="python"
    )


def execute_in_shell(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Run the code cells of ``notebook`` in order, in a new IPython shell; fill in outputs.

    Parameters
    ----------
    notebook : NotebookNode
        Parameterised notebook (modified in place and returned).

    Raises
    ------
    RenderError
        On the first cell that raises, with ``"ExceptionName: message"`` (papermill's form).
    """
    # instance(): get_ipython() must find it (parameter validation asks for its hidden names).
    shell = _QuietShell.instance(
        # No history database: nothing to write in ~/.ipython and no history thread (the
        # process may be forked from afterwards).
        config=Config({"HistoryManager": {"enabled": False}}),
        displayhook_class=_RecordingDisplayHook,
        display_pub_class=_RecordingDisplayPublisher,
        colors="nocolor",
    )
    cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    try:
        # A kernel turns prints into stream outputs, which reports drop: drop them here too.
        with redirect_stdout(io.StringIO()):
            for count, cell in enumerate(cells, start=1):
                _CURRENT_OUTPUTS.clear()
                shell.execution_count = count
                result = shell.run_cell(cell.source, store_history=False, silent=False)
                cell.outputs = list(_CURRENT_OUTPUTS)
                cell.execution_count = count
                error = result.error_before_exec or result.error_in_exec
                if error is not None:
                    raise RenderError(f"{type(error).__name__}: {error}")
    finally:
        _CURRENT_OUTPUTS.clear()
        _QuietShell.clear_instance()
    return notebook
