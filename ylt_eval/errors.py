"""One exception family for everything ylt_eval raises on purpose.

Callers (the CLI, notebooks, the batch runner) catch :class:`YltEvalError` and show its
message; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class YltEvalError(Exception):
    """Base class of every error ylt_eval raises deliberately."""


class DataValidationError(YltEvalError):
    """Input data break a blocking rule.

    Parameters
    ----------
    message : str
        Summary for humans.
    report : object, optional
        The :class:`ylt_eval.validation.ValidationReport` listing every problem found.
    """

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report


class ParameterError(YltEvalError):
    """A parameter (CLI option, notebook parameter, function argument) is missing or invalid."""


class EstimationError(YltEvalError):
    """A model cannot be estimated on the data given (no controls, singular design, ...)."""


class RenderError(YltEvalError):
    """A report could not be rendered or exported."""
