"""Daily partitions over local dates: the day grid's unit of recomputation.

A partition key is a local date (``YYYY-MM-DD``) in the configured ``timezone``, from
``deployment.partition_start`` (default ``data_start``) to today (``end_offset=1``: the
current, incomplete day is a partition too, since a delivery may carry today's events).
A run of a key range recomputes ``marts.provider_day`` for those dates from staging.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from schemas.config import Config

#: Tags of a run over a range of partitions (one run, BackfillPolicy.single_run).
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
KEY_FORMAT = "%Y-%m-%d"


def day_partitions(cfg: Config) -> dg.DailyPartitionsDefinition:
    """The daily partitions of the day grid for deployment settings ``cfg``."""
    return dg.DailyPartitionsDefinition(
        start_date=cfg.partition_start.strftime(KEY_FORMAT),
        timezone=cfg.timezone,
        end_offset=1,
        fmt=KEY_FORMAT,
    )


def key(day: dt.date) -> str:
    return day.strftime(KEY_FORMAT)


def clamp(partitions: dg.DailyPartitionsDefinition, lo: dt.date, hi: dt.date
          ) -> tuple[str, str] | None:
    """The partition keys of [lo, hi] cut to the existing partitions, or None if none."""
    first = partitions.get_first_partition_key()
    last = partitions.get_last_partition_key()
    if first is None or last is None:
        return None
    start, end = max(key(lo), first), min(key(hi), last)
    return (start, end) if start <= end else None


def range_tags(start: str, end: str) -> dict[str, str]:
    """Run tags that make one run over the partition keys [start, end]."""
    return {RANGE_START_TAG: start, RANGE_END_TAG: end}


def recompute_range(touched: tuple[dt.date, dt.date] | None) -> tuple[dt.date, dt.date] | None:
    """The dates a delivery that touched ``touched`` must recompute: one day on each side.

    The minutes before midnight of day D belong to an interval that ends at the first
    event of D + 1, and the minutes after midnight of D + 1 to one that starts at the last
    event of D; so a delivery that brings events of D can change D - 1 and D + 1.
    """
    if touched is None:
        return None
    one = dt.timedelta(days=1)
    return touched[0] - one, touched[1] + one


def dates_to_compute(want: tuple[dt.date, dt.date], loaded: tuple[dt.date, dt.date] | None,
                     covered: tuple[dt.date, dt.date] | None) -> tuple[dt.date, dt.date] | None:
    """The dates a run over the partition dates ``want`` computes, when the stored grid
    covers the loaded range ``covered`` and the loaded range is now ``loaded``.

    CONTRACT.md section 4 wants a row for every provider and every date of the loaded
    range. A delivery that moves the range's first or last date (a late or a backfilled
    event, a weekend without events between two nightly deliveries) brings dates into it
    that it did not touch; they are computed too. Dates between the wanted ones and the
    new ones are computed again (the result is the same: a date's rows depend only on
    staging), so the answer is one span; None when no loaded date is to be computed.
    """
    if loaded is None:
        return None
    one = dt.timedelta(days=1)
    spans = [want]
    if covered is None:
        spans.append(loaded)
    else:
        if loaded[0] < covered[0]:
            spans.append((loaded[0], covered[0] - one))
        if loaded[1] > covered[1]:
            spans.append((covered[1] + one, loaded[1]))
    inside = [(max(lo, loaded[0]), min(hi, loaded[1])) for lo, hi in spans]
    inside = [s for s in inside if s[0] <= s[1]]
    if not inside:
        return None
    return min(s[0] for s in inside), max(s[1] for s in inside)
