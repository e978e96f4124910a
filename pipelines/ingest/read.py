"""Open one delivered file as a stream of Polars batches, or stop with an ExtractError.

CSV files are read as UTF-8 text (gzip detected by its magic bytes or a ``.gz`` name, a
byte-order mark ignored) with every column as a string; Parquet columns keep their types
and are cast by :mod:`pipelines.ingest.parse`. Column names are trimmed and lower-cased.
A zero-byte (or blank) file and a header-only file are valid empty extracts.

Files are read lazily in batches of :data:`BATCH_ROWS` rows, so that memory stays bounded
whatever the file size (a gzip file is decompressed in memory first: prefer plain CSV or
Parquet for very large extracts). Each batch holds the contract columns (absent optional
ones as null text), the delivered columns listed in ``keep_extra_columns`` and
``source_record``, the 1-based data record number (header excluded).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.ingest.discover import DeliveryFile
from pipelines.ingest.errors import ExtractError
from schemas.contract import ExtractKind

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = "\ufeff"
RECORD = "source_record"
BATCH_ROWS = 500_000
_SMALL = 4096
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Extract:
    """An opened extract file: its delivered and kept columns, and its batches."""

    file: DeliveryFile
    lazy: pl.LazyFrame
    extras: tuple[str, ...]
    delivered_columns: tuple[str, ...]
    source: Path | bytes

    @property
    def has_patient_ids(self) -> bool:
        """True when the delivered file holds a ``patient_id`` column (kept or not)."""
        return "patient_id" in self.delivered_columns

    def batches(self, rows: int | None = None) -> Iterator[pl.DataFrame]:
        """The conformed rows in order, in frames of about ``rows`` rows (default BATCH_ROWS).

        Raises :class:`ExtractError` when the content cannot be decoded or parsed.
        """
        try:
            for batch in self.lazy.collect_batches(chunk_size=rows or BATCH_ROWS):
                if batch.height:
                    yield batch
        except pl.exceptions.PolarsError as e:
            raise _content_error(self.file, self.source, e) from None


def open_extract(f: DeliveryFile, kind: ExtractKind, keep_extra: tuple[str, ...]) -> Extract:
    """Open ``f`` as an extract of ``kind``; raise :class:`ExtractError` when it cannot be."""
    source, lf = _scan_parquet(f) if f.is_parquet else _scan_csv(f)
    if lf is None:  # zero-byte or blank file: a valid empty extract
        lf = pl.LazyFrame(schema={c: pl.String for c in kind.columns})
    try:
        names = lf.collect_schema().names()
    except pl.exceptions.PolarsError as e:
        raise _content_error(f, source, e) from None
    _check_unique(f, names)
    lf = lf.rename({c: _normalize(c) for c in names})
    delivered = tuple(_normalize(c) for c in names)
    missing = [c for c in kind.required if c not in delivered]
    if missing:
        listed = ", ".join(f"'{c}'" for c in missing)
        plural = "s" if len(missing) > 1 else ""
        raise ExtractError(f.name, f"missing required column{plural} {listed}")
    extras = tuple(c for c in delivered if c not in kind.columns and c in keep_extra)
    columns = [
        pl.col(c) if c in delivered else pl.lit(None, pl.String).alias(c) for c in kind.columns
    ]
    lf = lf.with_row_index(RECORD, offset=1).select(
        *columns, *extras, pl.col(RECORD).cast(pl.Int64)
    )
    return Extract(f, lf, extras, delivered, source)


def _normalize(name: str) -> str:
    return name.lstrip(UTF8_BOM).strip().lower()


def _check_unique(f: DeliveryFile, names: list[str]) -> None:
    dup = [n for n, k in Counter(_normalize(n) for n in names).items() if k > 1]
    if dup:
        raise ExtractError(f.name, f"duplicate column '{dup[0]}'")


def _scan_csv(f: DeliveryFile) -> tuple[Path | bytes, pl.LazyFrame | None]:
    size = f.path.stat().st_size
    with f.path.open("rb") as fh:
        head = fh.read(2)
    source: Path | bytes = f.path
    if head == GZIP_MAGIC or f.name.lower().endswith(".gz"):
        if size == 0:
            return source, None
        try:
            source = gzip.decompress(f.path.read_bytes())
        except (OSError, EOFError, zlib.error) as e:
            raise ExtractError(f.name, f"corrupt gzip file ({e})") from None
        blank = not source.strip()
    else:
        blank = size == 0 or (size <= _SMALL and not f.path.read_bytes().strip())
    if blank:
        return source, None
    header = _header(f, source)
    _check_unique(f, header)
    return source, pl.scan_csv(source, has_header=True, infer_schema=False, quote_char='"',
                               glob=False)


def _header(f: DeliveryFile, source: Path | bytes) -> list[str]:
    """The header names, parsed with the csv module (to catch duplicate columns)."""
    if isinstance(source, bytes):
        first = source.split(b"\n", 1)[0]
    else:
        with source.open("rb") as fh:
            first = fh.readline()
    try:
        text = first.rstrip(b"\r\n").decode("utf-8")
    except UnicodeDecodeError:
        raise ExtractError(
            f.name, f"cannot be decoded as UTF-8 ({_utf8_problem(source)})"
        ) from None
    return next(csv.reader([text]), [])


def _chunks(source: Path | bytes) -> Iterator[bytes]:
    if isinstance(source, bytes):
        yield from (source[i : i + _CHUNK] for i in range(0, len(source), _CHUNK))
        return
    with source.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            yield chunk


def _utf8_problem(source: Path | bytes) -> str:
    """Where the first invalid UTF-8 byte is (only called on the error path)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    for chunk in _chunks(source):
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as e:
            at = offset - pending + e.start
            return f"{e.reason}: byte 0x{e.object[e.start]:02x} at offset {at}"
        offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as e:
        return f"{e.reason} at the end of the file"
    return "invalid UTF-8 sequence"


def _content_error(f: DeliveryFile, source: Path | bytes, e: Exception) -> ExtractError:
    message = str(e).split("\n\n")[0]
    if f.is_parquet:
        return ExtractError(f.name, f"corrupt Parquet file ({message})")
    if "utf-8" in message.lower() or "utf8" in message.lower():
        return ExtractError(f.name, f"cannot be decoded as UTF-8 ({_utf8_problem(source)})")
    return ExtractError(f.name, f"cannot be parsed as CSV ({message})")


def _scan_parquet(f: DeliveryFile) -> tuple[Path, pl.LazyFrame | None]:
    if f.path.stat().st_size == 0:
        return f.path, None
    try:
        lf = pl.scan_parquet(f.path, glob=False)
        lf.collect_schema()
    except (pl.exceptions.PolarsError, OSError, ValueError) as e:
        raise ExtractError(f.name, f"corrupt Parquet file ({e})") from None
    return f.path, lf
