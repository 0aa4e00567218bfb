"""ylt_eval: standardized assessment reports for Chinese medical consortia (医联体 / 医共体).

Importing the package has no side effects: no files are read, no fonts registered and no
environment variables consulted until a function is called.
"""

from __future__ import annotations

from ylt_eval.errors import (
    DataValidationError,
    EstimationError,
    ParameterError,
    RenderError,
    YltEvalError,
)

__version__ = "0.1.0"

__all__ = [
    "DataValidationError",
    "EstimationError",
    "ParameterError",
    "RenderError",
    "YltEvalError",
    "__version__",
]
