"""The DuckDB warehouse: a private working copy per run, published atomically.

Analysts open the published file read-only. A run copies it to an owner-only working
file, writes there, and at its end replaces the published file with ``os.replace``, an
atomic rename: a reader holding the old file keeps reading the old snapshot, a new
reader sees the new one, and nobody sees a half-finished run. A failed run leaves the
published file untouched; its working file is removed by ``ehrlog run`` and ``ehrlog
backfill`` at once, by ``failed_run_cleanup_sensor`` for runs of the Dagster daemon, and
otherwise by the next run once it is a day old.

Two runs that write the same warehouse at once (a command-line backfill while the daemon
loads a delivery) would each publish a copy that lacks the other's work. So a run notes
which published file it copied (``<run>.duckdb.base``: inode, size, modification time),
and publishing refuses, under a lock, when the published file is no longer that one.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import stat
import time
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.ingest.load import SPOOL_PREFIX

log = logging.getLogger(__name__)

WORK_DIR_NAME = ".ehrlog-work"
ARCHIVE_DIR_NAME = "raw-archive"
PUBLISHED_MODE = 0o640  # group-readable at most, never world-readable
PUBLISHED_DIR_MODE = 0o750
PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
STALE_WORK_SECONDS = 86_400
#: Run tag naming the working copy a run writes. The command line gives its load and
#: rebuild runs one working copy, published once.
WORK_TAG = "ehrlog/work"
#: Dagster's tag of the runs of one backfill: they share a working copy, so that a UI
#: backfill that runs the day grid and the tables above it in separate runs publishes
#: them together from its last run.
BACKFILL_TAG = "dagster/backfill"


class WarehouseChanged(Exception):
    """Another run published the warehouse after this run copied it."""


def _identity(path: Path) -> str:
    """Which file ``path`` is: inode, size and modification time (or ``absent``)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return "absent"
    return f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def work_key(run: dg.DagsterRun) -> str:
    """The working copy of ``run``: its ``ehrlog/work`` tag, else its backfill's id, else
    its run id."""
    return run.tags.get(WORK_TAG) or run.tags.get(BACKFILL_TAG) or run.run_id


def restrict_folder(folder: Path) -> None:
    """Make the published folder not world-readable.

    A folder the pipeline owns loses its world bits. A shared, world-writable folder (such
    as /tmp) is left alone, with a warning: changing it would break other users.
    """
    st = folder.stat()
    if not st.st_mode & 0o007:
        return
    if st.st_uid == os.getuid() and not st.st_mode & 0o002:
        os.chmod(folder, stat.S_IMODE(st.st_mode) & ~0o007)
        log.warning("removed world access from the warehouse folder %s", folder)
    else:
        log.warning("the warehouse folder %s is world-accessible and shared; the published "
                    "file itself is 0640, but consider a private folder", folder)


class WarehouseResource(dg.ConfigurableResource):
    """Where the published warehouse lives, and the run's working copy next to it."""

    path: str
    memory_limit: str = "4GB"
    threads: int = 2

    @property
    def published(self) -> Path:
        return Path(self.path).resolve()

    @property
    def work_dir(self) -> Path:
        return self.published.parent / WORK_DIR_NAME

    @property
    def archive_dir(self) -> Path:
        return self.published.parent / ARCHIVE_DIR_NAME

    def working(self, run_id: str) -> Path:
        return self.work_dir / f"{run_id}.duckdb"

    def _base(self, run_id: str) -> Path:
        """The published file the run's working copy was made from (its identity)."""
        return self.work_dir / f"{run_id}.duckdb.base"

    def begin(self, run_id: str) -> Path:
        """Create the run's working copy from the published warehouse (idempotent)."""
        if not self.published.parent.exists():
            self.published.parent.mkdir(mode=PUBLISHED_DIR_MODE, parents=True)
        restrict_folder(self.published.parent)
        self.work_dir.mkdir(mode=PRIVATE_DIR_MODE, exist_ok=True)
        os.chmod(self.work_dir, PRIVATE_DIR_MODE)
        work = self.working(run_id)
        cutoff = time.time() - STALE_WORK_SECONDS
        for stale in self.work_dir.glob("*.duckdb*"):
            if not stale.name.startswith(run_id) and stale.stat().st_mtime < cutoff:
                stale.unlink(missing_ok=True)  # left by a failed run more than a day ago
        for stale in self.work_dir.glob(f"{SPOOL_PREFIX}*"):
            if stale.is_dir() and stale.stat().st_mtime < cutoff:  # a killed load's spool
                shutil.rmtree(stale, ignore_errors=True)
        if not work.exists():
            # noted before the copy: a publish during it is then seen as a change
            fd = os.open(self._base(run_id), os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                         PRIVATE_FILE_MODE)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(_identity(self.published))
            if self.published.exists():
                shutil.copyfile(self.published, work)
        if work.exists():
            os.chmod(work, PRIVATE_FILE_MODE)
        return work

    def connect(self, run_id: str) -> duckdb.DuckDBPyConnection:
        """A read-write connection to the run's working copy, with explicit limits."""
        work = self.working(run_id)
        if not work.exists():
            self.begin(run_id)
        old_umask = os.umask(0o077)
        try:
            con = duckdb.connect(str(work))
        finally:
            os.umask(old_umask)
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET memory_limit = ?", [self.memory_limit])
        con.execute("SET threads = ?", [self.threads])
        return con

    def publish(self, run_id: str) -> Path:
        """Atomically replace the published warehouse with the run's working copy, unless
        another run published it since this run copied it (:class:`WarehouseChanged`)."""
        work = self.working(run_id)
        con = duckdb.connect(str(work))
        con.execute("CHECKPOINT")
        con.close()
        base = self._base(run_id)
        fd = os.open(self.work_dir / "publish.lock", os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE)
        with os.fdopen(fd) as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one publish at a time: check, then replace
            if base.exists() and base.read_text(encoding="utf-8") != _identity(
                    self.published):
                raise WarehouseChanged(
                    f"warehouse {self.published} was published by another run after this "
                    "run began, so publishing this one would undo that run's work; nothing "
                    "of this run was published: run it again")
            os.chmod(work, PUBLISHED_MODE)
            os.replace(work, self.published)
        base.unlink(missing_ok=True)
        Path(str(work) + ".wal").unlink(missing_ok=True)
        return self.published

    def discard(self, run_id: str) -> None:
        """Remove a failed run's working copy; the published file is untouched."""
        for f in self.work_dir.glob(f"{run_id}.duckdb*"):
            f.unlink(missing_ok=True)
