"""Write an :class:`~pipelines.generator.extract.Extract` as one delivery folder.

CSV (default): ``providers.csv``, ``time_off.csv``, ``schedule.csv.gz``, ``inbox.csv.gz``
and ``events.csv.gz``: the three extracts that grow with providers x days are
gzip-compressed unless ``gzip=False`` (then ``schedule.csv``, ``inbox.csv``,
``events.csv``); the roster and time off stay plain CSV to be read by eye. Timestamps
are written as naive local wall-clock time ``YYYY-MM-DD HH:MM:SS``, dates as
``YYYY-MM-DD``, nulls as empty fields.
Parquet: the same five names with ``.parquet`` (zstd), timestamps as naive ``Datetime``.

Writing into a folder first removes the generator's own file names of the five kinds
(``events.csv``, ``events.csv.gz``, ``events.parquet``, ...), so that a folder written
twice in different formats never holds two files of one kind; other files are left alone.

Output is byte-for-byte reproducible: the gzip header carries no file name and a zero
modification time, and compressed CSVs are written in fixed-size row chunks, in order.
"""

from __future__ import annotations

import gzip as gzip_module
import io
from pathlib import Path

import polars as pl

from pipelines.generator.extract import Extract

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
DATE_FORMAT = "%Y-%m-%d"
CHUNK_ROWS = 1_000_000
GZIP_LEVEL = 6


def _write_csv(frame: pl.DataFrame, target: io.IOBase | Path, header: bool = True) -> None:
    frame.write_csv(
        target,
        include_header=header,
        datetime_format=DATETIME_FORMAT,
        date_format=DATE_FORMAT,
        null_value="",
    )


def write_gzip_csv(frame: pl.DataFrame, path: Path, level: int = GZIP_LEVEL) -> None:
    """Write ``frame`` as a gzip-compressed CSV, chunk by chunk, reproducibly."""
    with path.open("wb") as raw, gzip_module.GzipFile(
        filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=level
    ) as gz:
        if frame.height == 0:
            _write_csv(frame, gz)
            return
        for offset in range(0, frame.height, CHUNK_ROWS):
            buf = io.BytesIO()
            _write_csv(frame.slice(offset, CHUNK_ROWS), buf, header=offset == 0)
            gz.write(buf.getbuffer())


#: Extract kinds written gzip-compressed when ``gzip`` is true.
GZIP_KINDS = ("schedule", "inbox", "events")


def write_extract(
    extract: Extract, out: Path, fmt: str = "csv", gzip: bool = True
) -> dict[str, Path]:
    """Write the five extracts into ``out`` (created if needed); returns kind -> path."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown format {fmt!r}; use csv or parquet")
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for kind, frame in extract.frames().items():
        # Remove what an earlier run may have left under another variant of the name, so
        # that the folder holds exactly one file per kind.
        for suffix in (".csv", ".csv.gz", ".parquet"):
            stale = out / f"{kind}{suffix}"
            if stale.is_file():
                stale.unlink()
        if fmt == "parquet":
            path = out / f"{kind}.parquet"
            frame.write_parquet(path, compression="zstd", statistics=True)
        elif gzip and kind in GZIP_KINDS:
            path = out / f"{kind}.csv.gz"
            write_gzip_csv(frame, path)
        else:
            path = out / f"{kind}.csv"
            _write_csv(frame, path)
        paths[kind] = path
    return paths
