"""What loading one delivery did: the run summary and the methods card read it."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from schemas.contract import KINDS


@dataclass(frozen=True)
class LoadedFile:
    """One file loaded: name relative to the delivery folder, kind, checksum, records."""

    name: str
    kind: str
    sha256: str
    rows: int
    bytes: int
    archived_path: str | None = None
    blank_records: int = 0


@dataclass
class KindCounts:
    """Counts of one extract kind in one delivery."""

    files: int = 0
    files_skipped: int = 0
    rows_read: int = 0
    rows_staged: int = 0
    rows_quarantined: int = 0
    blank_records: int = 0  # records with no value in any column: skipped, not in rows_read


@dataclass
class DeliverySummary:
    """The outcome of :func:`pipelines.ingest.load_delivery` for one delivery folder.

    ``counts`` has every kind of the contract (zeros for absent ones). ``files_skipped``
    counts files already loaded (same SHA-256, by an earlier delivery or earlier in this
    one). ``dates_touched`` is the (min, max) local date of the events, appointments (start
    to end) and messages staged by this delivery and of the staged rows they replaced, or
    None; ``dates_touched_by_kind`` also has time_off.
    """

    delivery_id: str
    counts: dict[str, KindCounts] = field(
        default_factory=lambda: {k: KindCounts() for k in KINDS}
    )
    files: list[LoadedFile] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    unrostered_events: int = 0
    unrostered_users: int = 0
    dates_touched: tuple[dt.date, dt.date] | None = None
    dates_touched_by_kind: dict[str, tuple[dt.date, dt.date]] = field(default_factory=dict)

    @property
    def rows_read(self) -> int:
        return sum(c.rows_read for c in self.counts.values())

    @property
    def rows_staged(self) -> int:
        return sum(c.rows_staged for c in self.counts.values())

    @property
    def rows_quarantined(self) -> int:
        return sum(c.rows_quarantined for c in self.counts.values())

    @property
    def files_skipped(self) -> int:
        return sum(c.files_skipped for c in self.counts.values())

    def add_quarantined(self, kind: str, by_reason: dict[str, int]) -> None:
        for reason, n in by_reason.items():
            self.quarantined_by_reason[reason] = self.quarantined_by_reason.get(reason, 0) + n
            self.counts[kind].rows_quarantined += n

    def add_dates(self, kind: str, dates: tuple[dt.date, dt.date] | None) -> None:
        if dates is None:
            return
        self.dates_touched_by_kind[kind] = dates
        if kind in ("events", "schedule", "inbox"):
            old = self.dates_touched
            self.dates_touched = dates if old is None else (
                min(old[0], dates[0]), max(old[1], dates[1]))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (dates as ISO strings)."""
        d = asdict(self)
        d["dates_touched"] = _iso(self.dates_touched)
        d["dates_touched_by_kind"] = {k: _iso(v) for k, v in self.dates_touched_by_kind.items()}
        d.update(rows_read=self.rows_read, rows_staged=self.rows_staged,
                 rows_quarantined=self.rows_quarantined, files_skipped=self.files_skipped)
        return d


def _iso(dates: tuple[dt.date, dt.date] | None) -> list[str] | None:
    return None if dates is None else [dates[0].isoformat(), dates[1].isoformat()]
