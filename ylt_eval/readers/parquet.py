"""Read Parquet files (through pyarrow) as text, after checking their declared size."""

from __future__ import annotations

from pathlib import Path

from ylt_eval.errors import ParameterError
from ylt_eval.readers.cells import cell_text
from ylt_eval.readers.limits import ReadLimits
from ylt_eval.readers.problems import InputFileError, refuse
from ylt_eval.readers.table import HeaderLocation, RawTable, SheetRows, assemble, build_table


def require_pyarrow() -> None:
    """Raise a :class:`ParameterError` saying how to install pyarrow when it is missing."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise ParameterError(
            "reading .parquet files needs the package pyarrow, which is not installed: "
            "install it (pip install pyarrow) or save the data as .csv or .xlsx"
        ) from None


def _unreadable(exc: Exception):
    return refuse(
        "file.unreadable",
        f"无法读取 Parquet 文件：{type(exc).__name__}",
        f"cannot read the Parquet file: {type(exc).__name__}: {str(exc)[:120]}",
        "请重新导出文件",
        "export the file again",
    )


def read_parquet(path: Path, limits: ReadLimits) -> RawTable:
    """Read a Parquet file as text (see :func:`ylt_eval.readers.read_table`).

    The footer's row count and uncompressed size are checked before any column is
    decompressed, so a small file that expands enormously is refused unread.
    """
    import pyarrow.parquet as pq

    try:
        with pq.ParquetFile(path) as parquet:
            metadata = parquet.metadata
            expanded = sum(
                metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups)
            )
            limits.check_expansion(expanded, metadata.num_rows)
            table = parquet.read()
    except InputFileError:
        raise
    except Exception as exc:  # pyarrow raises many types for corrupt files
        raise _unreadable(exc) from None
    headers = [str(name) for name in table.column_names]
    columns = [
        [cell_text(value) for value in table.column(i).to_pylist()] for i in range(len(headers))
    ]
    rows = [headers, *map(list, zip(*columns, strict=True))] if columns else [headers]
    assembled = assemble(
        SheetRows(None, rows),
        overflow_is_error=True,
        location=HeaderLocation(index=0, cells=tuple(headers), first_data=1),
    )
    return build_table(path, [(None, assembled)], encoding=None)
