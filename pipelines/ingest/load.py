"""Load one delivery folder into the warehouse (CONTRACT.md section 1).

One transaction per delivery: every file is read, hashed, checked and staged, or, when
any file cannot be loaded (:class:`ExtractError`), nothing of the delivery is kept.

A well-typed Parquet file takes the SQL path for its clean rows (:mod:`.sqlpath`: no
Python copy of them; they are staged straight from the file by :mod:`.finish`); its other
rows, and every other file, take the Polars path (:mod:`.read`, :mod:`.hashing`,
:mod:`.validate`) into a temporary table. Both give the same staged rows and quarantine.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from pipelines.ingest import sqlpath, store
from pipelines.ingest.archive import archive_file
from pipelines.ingest.discover import DeliveryFile, discover, file_sha256
from pipelines.ingest.errors import ExtractError, HashKeyError
from pipelines.ingest.finish import finish_kind
from pipelines.ingest.hashing import hash_patient_ids, hmac_pads
from pipelines.ingest.hours import HOURS, HourOffsets
from pipelines.ingest.newrows import NewRows
from pipelines.ingest.read import Extract, open_extract
from pipelines.ingest.summary import DeliverySummary, LoadedFile
from pipelines.ingest.tables import ensure_schema, new_row_columns
from pipelines.ingest.validate import Rules, validate
from schemas.config import Config
from schemas.contract import KINDS

#: Name prefix of a delivery's spool folder (see :func:`load_delivery`).
SPOOL_PREFIX = "ehrlog-spool-"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Pending:
    file: DeliveryFile
    sha256: str
    size: int


@dataclass(frozen=True)
class _Run:
    cfg: Config
    rules: Rules
    run_time: dt.datetime
    delivery_id: str
    hash_key: bytes
    archive_dir: Path | None
    cursor: duckdb.DuckDBPyConnection  # reads and checks files for the SQL path
    hours: HourOffsets
    spool: Path  # private temporary folder for the Polars path's checked rows


def load_delivery(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    cfg: Config,
    *,
    run_time: dt.datetime,
    delivery_id: str,
    hash_key: bytes,
    archive_dir: Path | None,
    spool_dir: Path | None = None,
) -> DeliverySummary:
    """Load the extracts in ``folder`` as delivery ``delivery_id``; return what it did.

    Files already loaded (same SHA-256 in ``raw.files``) are skipped, so loading a folder
    twice changes no table. Kinds load in the order of ``schemas.contract.KINDS`` (the
    roster first, so that schedule, time off and inbox rows are checked against the roster
    including this delivery's providers). Rows failing the contract go to
    ``quarantine.rows``; the others are upserted into ``staging.<kind>``.

    With ``archive_dir``, each loaded file is archived read-only under
    ``archive_dir/<sha256[:2]>/<sha256>/<name>``, except, while
    ``privacy.keep_raw_patient_ids`` is false, files that hold a ``patient_id`` column or
    a column that loading drops (an extra column not in ``keep_extra_columns``, which may
    hold identifiers): those get only their manifest row in ``raw.files``
    (``archived_path`` NULL), since such values may not be kept.

    Checked rows that took the Polars path are spooled to Parquet (patient ids hashed) in a
    private temporary folder under ``spool_dir`` (default: the system's temporary folder)
    until the delivery commits; the folder is removed however the load ends.

    Raises :class:`ExtractError` (nothing of the delivery is kept) when a file cannot be
    read, lacks a required column, cannot be decoded or parsed, is a corrupt compressed
    file, or has a Parquet column whose type has no reading as the contract's type (see
    :mod:`pipelines.ingest.read`). Blank records (no value in any column) are skipped and
    counted in ``KindCounts.blank_records`` and ``LoadedFile.blank_records``.
    """
    if not hash_key:
        raise HashKeyError("the key for hashing patient ids is empty")
    folder = Path(folder)
    if not folder.is_dir():
        raise ExtractError(str(folder), "delivery folder does not exist")
    ensure_schema(con)
    store.check_timezone(con, cfg.timezone)
    summary = DeliverySummary(delivery_id=delivery_id)
    pending = _new_files(con, folder, summary)
    cursor = con.cursor()
    cursor.execute("SET TimeZone='UTC'")
    # The spool holds checked rows (patient ids already hashed) until the commit; the
    # folder is private (mode 0700) and removed however the load ends.
    spool = tempfile.TemporaryDirectory(prefix=SPOOL_PREFIX, dir=spool_dir)
    run = _Run(cfg, Rules.from_config(cfg, run_time), run_time, delivery_id, hash_key,
               archive_dir, cursor, HourOffsets(cfg.timezone), Path(spool.name))
    con.begin()
    try:
        for kind in KINDS:
            files = [p for p in pending if p.file.kind == kind]
            if files:
                _load_kind(con, kind, files, run, summary)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        cursor.close()
        spool.cleanup()
    log.info("delivery %s: %d files, %d rows staged, %d quarantined", delivery_id,
             len(summary.files), summary.rows_staged, summary.rows_quarantined)
    return summary


def _new_files(
    con: duckdb.DuckDBPyConnection, folder: Path, summary: DeliverySummary
) -> list[_Pending]:
    """The delivery's files not loaded before (by checksum), in load order."""
    files, ignored = discover(folder)
    for name in ignored:
        log.warning("ignoring %s: not a .csv, .csv.gz or .parquet file of a known kind", name)
    summary.ignored_files.extend(ignored)
    checked = [_Pending(f, *_checksum(f)) for f in files]
    known = store.known_checksums(con, [p.sha256 for p in checked])
    pending: list[_Pending] = []
    for p in checked:
        if p.sha256 in known:
            log.info("skipping %s: already loaded (sha256 %s)", p.file.name, p.sha256)
            summary.skipped_files.append(p.file.name)
            summary.counts[p.file.kind].files_skipped += 1
        else:
            known.add(p.sha256)
            pending.append(p)
    return pending


def _checksum(f: DeliveryFile) -> tuple[str, int]:
    try:
        return file_sha256(f.path)
    except OSError as e:  # unreadable, vanished, a broken link
        raise ExtractError(f.name, f"cannot be read ({e.strerror or type(e).__name__})") from None


def _load_kind(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    files: list[_Pending],
    run: _Run,
    summary: DeliverySummary,
) -> None:
    counts = summary.counts[kind]
    store.start_kind(con, kind)
    opad, ipad = hmac_pads(run.hash_key)
    spool_dir = run.spool / kind
    spool_dir.mkdir()
    new = NewRows(params={"opad": opad, "ipad": ipad}, spool_dir=spool_dir,
                  columns=new_row_columns(kind))
    for p in files:
        rows, blank, archived = _load_file(con, kind, p, run, summary, new)
        summary.files.append(
            LoadedFile(p.file.name, kind, p.sha256, rows, p.size, archived, blank)
        )
        counts.files += 1
        counts.rows_read += rows
        counts.blank_records += blank
    run.hours.register(con)
    try:
        result = finish_kind(con, kind, run.delivery_id, run.cfg.timezone, new)
    finally:
        con.unregister(HOURS)
    counts.rows_staged += result.staged
    summary.add_quarantined(kind, result.quarantined)
    summary.add_dates(kind, result.dates)
    if kind == "events":
        summary.unrostered_events += result.unrostered_events
        summary.unrostered_users += result.unrostered_users


def _load_file(
    con: duckdb.DuckDBPyConnection, kind: str, p: _Pending, run: _Run, summary: DeliverySummary,
    new: NewRows,
) -> tuple[int, int, str | None]:
    """Collect one file: its clean rows by the SQL path when it qualifies, the others
    read, hashed and checked batch by batch; archive it.

    Returns the number of data records (blank records excluded), the number of blank
    records skipped and the archived path (or None). The file's staged rows name it by
    its number in raw.files (``file_id``), recorded here once it is collected.
    """
    file_id = store.next_file_id(con)
    extract = open_extract(p.file, KINDS[kind], run.cfg.keep_extra_columns)
    rows, records = _sql_path(con, kind, extract, run, new, file_id)
    if records is None or records.len():
        for batch in extract.batches(records=records):
            frame = hash_patient_ids(con, batch, run.hash_key)
            good, bad = validate(frame, KINDS[kind], run.rules, delivery_id=run.delivery_id,
                                 source_file=p.file.name, file_id=file_id)
            new.spool(good)
            store.quarantine(con, bad)
            summary.add_quarantined(kind, dict(bad.group_by("reason").len().iter_rows()))
            rows += batch.height
    blank = extract.blank_records
    if blank:
        log.warning("%s: skipped %d blank record%s (no value in any column)", p.file.name,
                    blank, "" if blank == 1 else "s")
    archived = _archive(p, run, extract)
    store.record_file(con, {
        "delivery_id": run.delivery_id, "kind": kind, "file_name": p.file.name,
        "sha256": p.sha256, "bytes": p.size, "rows": rows, "loaded_at": run.run_time,
        "archived_path": archived, "file_id": file_id, "timezone": run.cfg.timezone,
    })
    return rows, blank, archived


def _sql_path(
    con: duckdb.DuckDBPyConnection, kind: str, extract: Extract, run: _Run, new: NewRows,
    file_id: int,
) -> tuple[int, pl.Series | None]:
    """Put the file on the SQL path if it qualifies: (its clean rows, the record numbers
    left to the Polars path), else (0, None): every record takes the Polars path."""
    if not sqlpath.ENABLED:
        return 0, None
    opened = sqlpath.open_part(run.cursor, extract, KINDS[kind], len(new.parts), run.rules,
                               run.hours, file_id=file_id)
    if opened is None:
        return 0, None
    part, records = opened
    new.parts.append(part)
    store.skip(con, part.i, records)
    log.debug("%s: %d rows by the SQL path, %d left to the Polars path", part.name,
              part.rows - part.skipped, part.skipped)
    return part.rows - part.skipped, records


def _archive(p: _Pending, run: _Run, extract: Extract) -> str | None:
    if run.archive_dir is None:
        return None
    if not run.cfg.privacy.keep_raw_patient_ids and (extract.has_patient_ids
                                                     or extract.dropped):
        held = ("clear patient ids" if extract.has_patient_ids else
                "columns that loading drops (" + ", ".join(extract.dropped) + ")")
        log.info("not archiving %s: it holds %s (privacy.keep_raw_patient_ids is false)",
                 p.file.name, held)
        return None
    return str(archive_file(p.file.path, p.sha256, run.archive_dir))
