"""Size limits that make a file be refused before it is parsed in full."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ylt_eval.readers.problems import refuse

#: Default largest input file accepted, in bytes (no real county panel comes near it).
DEFAULT_MAX_BYTES: int = 50 * 1024 * 1024

#: An xlsx member whose uncompressed size exceeds its compressed size by more than this is
#: treated as a zip bomb (real worksheet XML compresses 5–30 times).
MAX_COMPRESSION_RATIO: int = 200


@dataclass(frozen=True)
class ReadLimits:
    """Limits checked before a file is parsed.

    A province's county panel (100 counties × 20 years × 80 columns) is about 2 MB as xlsx and
    15 MB once unzipped; the defaults leave a wide margin and still keep a hostile file from
    exhausting memory.

    Attributes
    ----------
    max_bytes : int
        Largest file accepted (50 MB).
    max_expanded_bytes : int
        Largest total size once decompressed (xlsx members, Parquet column data): 200 MB, or
        4 × ``max_bytes`` when that is larger.
    max_rows : int
        Most data rows a Parquet file may declare (1,000,000).
    max_members : int
        Most members an xlsx archive may hold (1,000; Excel writes about 10–30).
    max_compression_ratio : int
        Largest uncompressed/compressed ratio of an xlsx member above 1 MB (200).
    """

    max_bytes: int = DEFAULT_MAX_BYTES
    max_expanded_bytes: int | None = None
    max_rows: int = 1_000_000
    max_members: int = 1_000
    max_compression_ratio: int = MAX_COMPRESSION_RATIO

    @property
    def expanded_limit(self) -> int:
        """Effective decompressed-size limit in bytes."""
        if self.max_expanded_bytes is not None:
            return self.max_expanded_bytes
        return max(200 * 1024 * 1024, 4 * self.max_bytes)

    def check_file_size(self, path: Path) -> None:
        """Refuse a file larger than :attr:`max_bytes` (nothing of it is read)."""
        size = path.stat().st_size
        if size > self.max_bytes:
            raise refuse(
                "file.too_large",
                f"文件大小 {size:,} 字节，超过上限 {self.max_bytes:,} 字节",
                f"file is {size:,} bytes, above the limit of {self.max_bytes:,} bytes",
                "县级面板数据不会这么大：请检查是否选错文件，或确需时提高大小上限（--max-mb）",
                "no county panel is this large: check the file, or raise the size limit (--max-mb)",
            )

    def check_expansion(self, expanded: int, rows: int | None = None) -> None:
        """Refuse content that would decompress beyond the limits."""
        if expanded > self.expanded_limit or (rows is not None and rows > self.max_rows):
            shown_rows = "" if rows is None else f"，{rows:,} 行"
            shown_rows_en = "" if rows is None else f", {rows:,} rows"
            raise refuse(
                "file.zip_bomb",
                f"文件解压后将达 {expanded:,} 字节{shown_rows}，超过上限，已拒绝读取",
                f"the file would expand to {expanded:,} bytes{shown_rows_en}, above the limits; "
                "refused",
                "请只保留数据表后重新保存，或改用 CSV",
                "keep only the data sheet and save it again, or use CSV",
            )
