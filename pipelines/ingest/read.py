"""Open one delivered file as a stream of Polars batches, or stop with an ExtractError.

CSV files are read as UTF-8 text (gzip detected by its magic bytes or a ``.gz`` name, a
byte-order mark ignored, LF or CRLF line ends, RFC 4180 quoting: quoted fields may hold
commas, quotes doubled and line breaks) with every column as a string; Parquet columns
keep their types and are cast by :mod:`pipelines.ingest.parse`, after a check that each
contract column's Parquet type can be read as the contract type at all (see
:func:`_check_parquet_types`). Column names are trimmed and lower-cased.
A zero-byte (or blank) file and a header-only file are valid empty extracts.

Record numbers count data records (header excluded), not lines: a quoted field with a
line break is one record. A record with no value in any delivered column (an empty line,
a line of only commas, a trailing blank line) carries nothing; it keeps its number but is
skipped and counted in :attr:`Extract.blank_records` (the loader logs and records it).

Files are read lazily in batches of :data:`BATCH_ROWS` rows, so that memory stays bounded
whatever the file size (a gzip file too: it is checked once as a stream, then Polars
decompresses it as it reads). Each batch holds the contract columns (absent optional
ones as null text), the delivered columns listed in ``keep_extra_columns`` and
``source_record``, the 1-based data record number (header excluded).

Error messages name the file and, where it can be found, the record; they never quote a
delivered value (a value may be a patient identifier), so Polars' own parse errors, which
quote the data, are replaced by a diagnosis made with Python's ``csv`` module.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import polars as pl

from pipelines.ingest.discover import DeliveryFile
from pipelines.ingest.errors import ExtractError
from schemas.contract import ExtractKind

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = "\ufeff"
RECORD = "source_record"
BATCH_ROWS = 500_000
_BLANK = "__blank__"
_SMALL = 4096
_CHUNK = 1 << 20
_HEADER_LIMIT = 1 << 20

#: Names a delivered extra column may not have: they are the loader's own columns.
RESERVED = frozenset({RECORD, "source_file", "delivery_id", "file_id", "extra",
                      "patient_hash"})

# Parquet types a contract column may have (text always works and is parsed per value).
_TEXT = (pl.String, pl.Categorical, pl.Enum, pl.Null)
_INTEGERS = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32,
             pl.UInt64)
_READABLE_AS = {
    "str": "text (or integers)",
    "float": "a number",
    "instant": "a time (a timestamp type, or text 'YYYY-MM-DD HH:MM:SS' with an optional "
               "offset)",
    "date": "a date (a date type, or text 'YYYY-MM-DD')",
}


@dataclass
class Extract:
    """An opened extract file: its delivered and kept columns, and its batches."""

    file: DeliveryFile
    lazy: pl.LazyFrame
    extras: tuple[str, ...]
    delivered_columns: tuple[str, ...]
    source: Source
    blank_records: int = field(default=0)
    binary_columns: tuple[str, ...] = ()
    #: The delivered columns (normalized names) and their types as Polars reads them.
    types: dict[str, pl.DataType] = field(default_factory=dict)
    #: True when a delivered name was not already normalized (or a header cell was blank).
    renamed: bool = False
    #: Delivered columns (normalized names) that are neither contract columns of the kind
    #: nor kept by ``keep_extra_columns``: dropped when loading (they may hold identifiers).
    dropped: tuple[str, ...] = ()

    @property
    def has_patient_ids(self) -> bool:
        """True when the delivered file holds a ``patient_id`` column (kept or not)."""
        return "patient_id" in self.delivered_columns

    def batches(
        self, rows: int | None = None, records: pl.Series | None = None
    ) -> Iterator[pl.DataFrame]:
        """The conformed rows in order, in frames of about ``rows`` rows (default BATCH_ROWS).

        With ``records``, only the records with those numbers. Blank records are dropped
        and counted in :attr:`blank_records`. Raises :class:`ExtractError` when the content
        cannot be decoded or parsed.
        """
        lazy = self.lazy
        if records is not None:
            lazy = lazy.filter(pl.col(RECORD).is_in(records.implode()))
        try:
            for batch in lazy.collect_batches(chunk_size=rows or BATCH_ROWS):
                if not batch.height:
                    continue
                blank = batch.get_column(_BLANK)
                self.blank_records += int(blank.sum())
                kept = batch.filter(~blank).drop(_BLANK)
                if kept.height:
                    yield kept
        except pl.exceptions.PolarsError as e:
            raise _content_error(self.file, self.source, e, self.binary_columns) from None


def open_extract(f: DeliveryFile, kind: ExtractKind, keep_extra: tuple[str, ...]) -> Extract:
    """Open ``f`` as an extract of ``kind``; raise :class:`ExtractError` when it cannot be."""
    source, lf = _scan_parquet(f) if f.is_parquet else _scan_csv(f)
    if lf is None:  # zero-byte or blank file: a valid empty extract
        lf = pl.LazyFrame(schema={c: pl.String for c in kind.columns})
    try:
        schema = lf.collect_schema()
    except pl.exceptions.PolarsError as e:
        raise _content_error(f, source, e) from None
    names = schema.names()
    _check_unique(f, names)
    unnamed = [c for c in names if not _normalize(c)]  # blank header cells: never used
    if unnamed:
        lf = lf.drop(unnamed)
        names = [c for c in names if c not in unnamed]
    lf = lf.rename({c: _normalize(c) for c in names})
    delivered = tuple(_normalize(c) for c in names)
    missing = [c for c in kind.required if c not in delivered]
    if missing:
        listed = ", ".join(f"'{c}'" for c in missing)
        plural = "s" if len(missing) > 1 else ""
        raise ExtractError(f.name, f"missing required column{plural} {listed}")
    wanted = {_normalize(c) for c in keep_extra}
    extras = tuple(
        c for c in delivered
        if c not in kind.columns and c in wanted and c not in RESERVED and not c.startswith("__")
    )
    types = {_normalize(c): schema[c] for c in names}
    if f.is_parquet and _parquet_rows(f) > 0:  # an empty file has no value to misread
        _check_parquet_types(f, kind, {c: types[c] for c in (*kind.columns, *extras)
                                       if c in types})
    columns = [_conform(c, types[c]) if c in types else pl.lit(None, pl.String).alias(c)
               for c in kind.columns]
    kept = [_conform(c, types[c]) for c in extras]
    blank = pl.all_horizontal([_is_empty(c, types[c]) for c in types]) if types else pl.lit(True)
    lf = lf.select(*columns, *kept, blank.alias(_BLANK)).with_row_index(RECORD, offset=1)
    lf = lf.with_columns(pl.col(RECORD).cast(pl.Int64))
    binary = tuple(c for c in (*kind.columns, *extras) if types.get(c) == pl.Binary)
    renamed = bool(unnamed) or any(c != _normalize(c) for c in names)
    dropped = tuple(c for c in delivered if c not in kind.columns and c not in extras)
    return Extract(f, lf, extras, delivered, source, binary_columns=binary, types=types,
                   renamed=renamed, dropped=dropped)


def _conform(col: str, dtype: pl.DataType) -> pl.Expr:
    """A delivered column as the parsers take it: a Parquet duration in minutes, binary
    (strings written without the UTF8 annotation) decoded as UTF-8."""
    if isinstance(dtype, pl.Duration):
        return (pl.col(col).dt.total_microseconds().cast(pl.Float64) / 60e6).alias(col)
    if dtype == pl.Binary:  # strings written without the UTF8 annotation
        return pl.col(col).cast(pl.String).alias(col)
    return pl.col(col)


def _is_empty(col: str, dtype: pl.DataType) -> pl.Expr:
    """True where a delivered value is absent: null, or text of only white space."""
    if isinstance(dtype, _TEXT) or dtype in _TEXT:
        return pl.col(col).cast(pl.String).str.strip_chars().fill_null("") == ""
    return pl.col(col).is_null()


def _normalize(name: str) -> str:
    return name.lstrip(UTF8_BOM).strip().lower()


def _check_unique(f: DeliveryFile, names: Iterable[str]) -> None:
    """Two delivered columns with the same (normalized) name stop the file.

    Unnamed columns (blank header cells, as spreadsheets write for trailing commas) are
    never used, so they may repeat.
    """
    counts = Counter(n for n in (_normalize(x) for x in names) if n)
    dup = [n for n, k in counts.items() if k > 1]
    if dup:
        raise ExtractError(f.name, f"duplicate column '{dup[0]}'")


def _check_parquet_types(f: DeliveryFile, kind: ExtractKind,
                         types: dict[str, pl.DataType]) -> None:
    """Stop a Parquet file whose column type has no reading as the contract type.

    Values of a readable type that fail to parse are quarantined row by row (``bad_time``,
    ``bad_number``, ``bad_enum``); a column whose *type* cannot be read at all (nested
    types, durations outside ``duration_minutes``, epoch numbers for a time, times of
    day, a float or boolean id) stops the file: every row would fail the same way.
    """
    for col, dtype in types.items():
        ctype = kind.types.get(col)
        if _readable(col, ctype, dtype):
            continue
        wanted = "text (a kept extra column)" if ctype is None else _READABLE_AS[ctype]
        raise ExtractError(
            f.name, f"column '{col}' has Parquet type {dtype}, which cannot be read as {wanted}"
        )


def _readable(col: str, ctype: str | None, dtype: pl.DataType) -> bool:
    if isinstance(dtype, _TEXT) or dtype in _TEXT or dtype == pl.Binary:
        return True
    if ctype is None:  # a kept extra column, stored as text in the JSON column ``extra``
        return (dtype.is_numeric() or dtype == pl.Boolean or dtype == pl.Date
                or isinstance(dtype, pl.Datetime))
    if ctype == "str":
        return dtype in _INTEGERS
    if ctype == "float":
        if col == "duration_minutes" and isinstance(dtype, pl.Duration):
            return True
        return dtype.is_numeric()
    if ctype == "instant":
        return isinstance(dtype, pl.Datetime) or dtype == pl.Date
    if ctype == "date":
        return isinstance(dtype, pl.Datetime) or dtype == pl.Date
    return False


@dataclass(frozen=True)
class Gzip:
    """A gzip file, read decompressed as a stream (never whole in memory)."""

    path: Path


#: Where an extract's bytes are: a plain (or Parquet) file, or a gzip file.
Source = Path | Gzip


def _open(source: Source) -> BinaryIO:
    """The extract's bytes, decompressed, as a binary stream."""
    if isinstance(source, Gzip):
        return gzip.open(source.path, "rb")  # type: ignore[return-value]
    return source.open("rb")


def _scan_csv(f: DeliveryFile) -> tuple[Source, pl.LazyFrame | None]:
    size = f.path.stat().st_size
    with f.path.open("rb") as fh:
        head = fh.read(2)
    source: Source = f.path
    if head == GZIP_MAGIC or f.name.lower().endswith(".gz"):
        if size == 0:
            return source, None
        source = Gzip(f.path)
        blank = _check_gzip(f)  # Polars reads the file itself, decompressing as it goes
    else:
        blank = size == 0 or (size <= _SMALL and _is_blank_text(f.path.read_bytes()))
    if blank:
        return source, None
    header = _header(f, source)
    _check_unique(f, header)
    return source, pl.scan_csv(f.path if isinstance(source, Gzip) else source,
                               has_header=True, infer_schema=False, quote_char='"',
                               glob=False)


def _is_blank_text(data: bytes) -> bool:
    """True for bytes that hold no header: white space, after an optional byte-order mark."""
    return not data.removeprefix(UTF8_BOM.encode("utf-8")).strip()


#: How Python's gzip module's messages on a damaged member start, and what the error says
#: instead (its own words carry checksums and may carry delivered bytes).
_BAD_GZIP = {
    "CRC check failed": "its CRC check failed: the data is damaged",
    "Incorrect length of data produced": "its stored length does not match the data: the "
                                         "data is damaged",
}


def _check_gzip(f: DeliveryFile) -> bool:
    """Read a gzip file through once, in chunks: a one-line error when it is corrupt.
    Returns True when it holds no header (white space only, after an optional BOM)."""
    blank = True
    bom = UTF8_BOM.encode("utf-8")
    try:
        with gzip.open(f.path, "rb") as fh:
            first = True
            while chunk := fh.read(_CHUNK):
                if first:
                    chunk, first = chunk.removeprefix(bom), False
                blank = blank and not chunk.strip()
        return blank
    except EOFError:
        problem = "truncated: the compressed data ends before its end marker"
    except gzip.BadGzipFile as e:  # its message may quote delivered bytes: not shown
        said = str(e)
        problem = next((text for start, text in _BAD_GZIP.items() if said.startswith(start)),
                       "not gzip data, or data after the end of the compressed stream")
    except (OSError, zlib.error) as e:
        problem = " ".join(str(e).split()) or type(e).__name__
    raise ExtractError(f.name, f"corrupt gzip file ({problem})")


def _first_line(source: Source) -> bytes:
    """The header line (at most 1 MiB of it), without its line end."""
    with _open(source) as fh:
        first = fh.read(_HEADER_LIMIT)
    return first.split(b"\n", 1)[0]


def _header(f: DeliveryFile, source: Source) -> list[str]:
    """The header names, parsed with the csv module (to catch duplicate columns)."""
    first = _first_line(source)
    if b"\r" in first.rstrip(b"\r"):
        raise ExtractError(
            f.name, "line ends are bare carriage returns (CR, classic Mac OS); "
            "deliver LF or CRLF line ends"
        )
    if len(first) == _HEADER_LIMIT:  # a longer header: do not split a character in two
        first = first[: len(first) - _partial_tail(first)]
    try:
        text = first.rstrip(b"\r").decode("utf-8")
    except UnicodeDecodeError:
        raise ExtractError(
            f.name, f"cannot be decoded as UTF-8 ({_utf8_problem(source)})"
        ) from None
    with _big_fields():
        return next(csv.reader([text]), [])


@contextmanager
def _big_fields() -> Iterator[None]:
    """Let the csv module read fields of any size (its default limit is 128 KiB)."""
    old = csv.field_size_limit()
    csv.field_size_limit(1 << 30)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _partial_tail(data: bytes) -> int:
    """How many bytes at the end of ``data`` start a UTF-8 character they do not finish."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return 0
        if byte >= 0xC0:  # a lead byte: 110xxxxx needs 2, 1110xxxx 3, 11110xxx 4
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return back if back < need else 0
    return 0


def _chunks(source: Source) -> Iterator[bytes]:
    with _open(source) as fh:
        while chunk := fh.read(_CHUNK):
            yield chunk


def _binary_lines(source: Source) -> Iterator[bytes]:
    """The file's lines with their line ends (streamed; only on error paths)."""
    with _open(source) as fh:
        yield from fh


def _utf8_problem(source: Source) -> str:
    """Where the first invalid UTF-8 byte is (only called on the error path)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    for chunk in _chunks(source):
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as e:
            at = offset - pending + e.start
            where = _record_at(source, at)
            return f"{e.reason}: byte 0x{e.object[e.start]:02x} at offset {at}{where}"
        offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as e:
        return f"{e.reason} at the end of the file"
    return "invalid UTF-8 sequence"


def _record_at(source: Source, at: int) -> str:
    """``', record N'`` for the data record holding byte ``at`` (``', in the header'``)."""

    def text() -> Iterator[str]:
        pos = 0
        for raw in _binary_lines(source):
            if pos + len(raw) > at:
                yield raw[: at - pos].decode("utf-8", "replace") + "?"
                return
            yield raw.decode("utf-8", "replace")
            pos += len(raw)

    n = _count_records(text())
    if n is None:
        return ""
    return ", in the header" if n <= 1 else f", record {n - 1}"


def _count_records(lines: Iterable[str]) -> int | None:
    """How many CSV records (header included) ``lines`` hold; None if csv cannot tell."""
    with _big_fields():
        try:
            return sum(1 for _ in csv.reader(lines))
        except csv.Error:
            return None


def _csv_problem(source: Source) -> str:
    """A one-line diagnosis of a CSV file Polars could not parse; never quotes a value."""
    with _big_fields():
        return _first_csv_problem(source)


def _first_csv_problem(source: Source) -> str:
    def text() -> Iterator[str]:
        for raw in _binary_lines(source):
            yield raw.decode("utf-8", "replace")

    rfc = "a quote inside a field must be doubled and the field quoted as a whole, RFC 4180"
    width = 0
    done = 0  # rows read, header included: the row being read is data record ``done``
    quoted_at: tuple[int, int] | None = None
    try:
        for row in csv.reader(text(), strict=True):
            record, done = done, done + 1
            if record == 0:
                width = len(row)
                continue
            if len(row) > width:
                return (f"record {record} has {len(row)} fields but the header has {width}; "
                        "quote fields that hold commas")
            if quoted_at is None:
                hit = next((i for i, v in enumerate(row) if '"' in v), None)
                if hit is not None:
                    quoted_at = (record, hit + 1)
    except csv.Error as e:
        where = "in the header" if done == 0 else f"near record {done}"
        if "end of data" in str(e):
            return f"a quoted field {where} is not closed before the end of the file"
        return f"malformed quoting {where} ({rfc})"
    if quoted_at is not None:
        return f"malformed quoting near record {quoted_at[0]}, field {quoted_at[1]} ({rfc})"
    return "malformed CSV (the record could not be located)"


def _content_error(f: DeliveryFile, source: Source, e: Exception,
                   binary: tuple[str, ...] = ()) -> ExtractError:
    message = str(e).split("\n\n")[0]
    if f.is_parquet:
        if binary and ("utf8" in message.lower() or "utf-8" in message.lower()):
            return ExtractError(f.name, f"{_undecodable_column(f, binary)} holds bytes that "
                                "cannot be decoded as UTF-8")
        return ExtractError(f.name, f"corrupt Parquet file ({message})")
    if "utf-8" in message.lower() or "utf8" in message.lower():
        return ExtractError(f.name, f"cannot be decoded as UTF-8 ({_utf8_problem(source)})")
    return ExtractError(f.name, f"cannot be parsed as CSV ({_csv_problem(source)})")


def _parquet_rows(f: DeliveryFile) -> int:
    """Rows of a Parquet file, from its metadata (none in a zero-byte file)."""
    if f.path.stat().st_size == 0:
        return 0
    try:
        return int(pl.scan_parquet(f.path, glob=False).select(pl.len()).collect().item())
    except pl.exceptions.PolarsError as e:
        raise ExtractError(f.name, f"corrupt Parquet file ({str(e).splitlines()[0]})") from None


def _undecodable_column(f: DeliveryFile, binary: tuple[str, ...]) -> str:
    """``column 'x'``: the first binary column that is not UTF-8 (error path only)."""
    names = {_normalize(c): c for c in pl.scan_parquet(f.path, glob=False).collect_schema()}
    for col in binary:
        try:
            pl.scan_parquet(f.path, glob=False).select(
                pl.col(names[col]).cast(pl.String)).collect()
        except pl.exceptions.PolarsError:
            return f"column '{col}'"
    return "a binary column"


def _scan_parquet(f: DeliveryFile) -> tuple[Path, pl.LazyFrame | None]:
    if f.path.stat().st_size == 0:
        return f.path, None
    try:
        lf = pl.scan_parquet(f.path, glob=False)
        lf.collect_schema()
    except (pl.exceptions.PolarsError, OSError, ValueError) as e:
        raise ExtractError(f.name, f"corrupt Parquet file ({e})") from None
    return f.path, lf
