"""``marts.provider_day``: one row per provider per local date of the provider's range.

Sources: active time and its categories (CONTRACT.md section 3); scheduled minutes, WOW
(Sinsky et al. 2020; Arndt et al. 2023), outside-slot minutes (for PSH40), pajama time
(Epic's definition as used by Rotenstein et al. 2023), inbox messages and vacation days
(CONTRACT.md section 4).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from functools import partial

import polars as pl

from metrics.active import active_pieces, active_sessions, provider_events, provider_instants
from metrics.ahead import ahead, concurrently
from metrics.intervals import overlap_with_interval, overlap_with_union
from metrics.ranges import provider_grid, provider_ranges
from metrics.schedule import KEYS, counted, scheduled_day, slot_pieces, slot_union, window_union
from metrics.timeutil import (
    local_date,
    local_instant,
    minutes,
    repeated_overlap_us,
    span_us,
)
from schemas.config import Config
from schemas.contract import CATEGORIES

DAY_COLUMNS = [
    "provider_id", "date", "ehr_minutes",
    "chart_review_minutes", "notes_minutes", "orders_minutes", "prescriptions_minutes",
    "inbox_minutes", "other_minutes",
    "scheduled_minutes", "appointments", "unscheduled_day", "wow_minutes",
    "outside_slot_minutes", "pajama_minutes", "inbox_messages", "vacation_day", "vacation_login",
]


def pajama_us(cfg: Config) -> pl.Expr:
    """µs of a same-date piece [start, end) inside the pajama window of its date.

    Weekdays: before ``weekday_end`` or at/after ``weekday_start`` by the wall clock
    (CONTRACT.md section 1: a clock window uses local wall-clock time), so where clocks go
    back across a boundary, the repeated wall times before it count by the clock both
    times; Saturday and Sunday entirely when ``pajama.weekends`` is true.
    """
    p = cfg.pajama
    s, e = pl.col("start"), pl.col("end")
    date, tz = pl.col("date"), cfg.timezone

    morning_end = local_instant(date, tz, p.weekday_end)
    evening_start = local_instant(date, tz, p.weekday_start)
    weekday_part = (
        span_us(s, pl.min_horizontal(e, morning_end))
        + repeated_overlap_us(s, e, date, tz, p.weekday_end)
        + span_us(pl.max_horizontal(s, evening_start), e)
        - repeated_overlap_us(s, e, date, tz, p.weekday_start)
    )
    if not p.weekends:
        return weekday_part
    return pl.when(pl.col("date").dt.weekday() >= 6).then(span_us(s, e)).otherwise(weekday_part)


def active_by_day(pieces: pl.LazyFrame, sessions: pl.LazyFrame, slots: pl.LazyFrame,
                  window: pl.LazyFrame, cfg: Config) -> pl.LazyFrame:
    """Per provider and date: active minutes in total and by category (from the
    ``pieces`` of :func:`metrics.active.active_pieces`), and outside the window, outside
    the slots and in pajama hours (from the same time as the far fewer ``sessions`` of
    :func:`metrics.active.active_sessions`; every sum is of whole microseconds, so the
    totals are exactly those of the pieces)."""
    us = span_us(pl.col("start"), pl.col("end"))
    per_cat = [
        minutes(pl.col("_us").filter(pl.col("category") == c).sum()).alias(f"{c}_minutes")
        for c in CATEGORIES
    ]
    by_category = pieces.with_columns(us.alias("_us")).group_by(KEYS).agg(
        minutes(pl.col("_us").sum()).alias("ehr_minutes"), *per_cat
    ).with_columns(pl.col("provider_id").cast(pl.String))
    if cfg.wow.window == "span":  # one window interval per provider and date
        p = overlap_with_interval(sessions, window, KEYS, "_in_window")
    else:
        p = overlap_with_union(sessions, window, KEYS, "_in_window")
    p = overlap_with_union(p, slots, KEYS, "_in_slot")
    p = p.with_columns(us.alias("_us"), pajama_us(cfg).alias("_pajama"))
    outside = p.group_by(KEYS).agg(
        minutes((pl.col("_us") - pl.col("_in_window")).sum()).alias("wow_minutes"),
        minutes((pl.col("_us") - pl.col("_in_slot")).sum()).alias("outside_slot_minutes"),
        minutes(pl.col("_pajama").sum()).alias("pajama_minutes"),
    )
    return by_category.join(outside, on=KEYS, how="left")


def vacation_dates(time_off: pl.LazyFrame, cfg: Config) -> pl.LazyFrame:
    """One row per provider and date inside a time-off block of a vacation type."""
    return (
        time_off.filter(pl.col("type").is_in(list(cfg.vacation_types)))
        .select("provider_id", pl.date_ranges("start_date", "end_date").alias("date"))
        .explode("date")
        .unique()
        .with_columns(pl.lit(True).alias("vacation_day"))
    )


#: Events per batch of providers in :func:`provider_day`. Batches bound its working memory
#: whatever the size of the extract. Reading the batches from the warehouse, two at a time
#: (:data:`DAY_WORKERS`), a full rebuild of 30 million events took 5.9-6.0 s with batches
#: of 500,000 events, 4.5-4.9 s with 1,000,000 (1.2 GB peak of the process), 4.1-4.2 s
#: with 2,000,000 (1.4 GB) and 3.9-4.3 s with 3 or 4 million (1.7-1.8 GB): each batch has
#: fixed costs (docs/performance.md).
BATCH_EVENTS = 2_000_000
#: Batches of providers :func:`provider_day_read` computes at a time. On the two-core
#: machine one batch at a time kept 1.6 cores busy and two kept 1.8: a full rebuild of
#: 30 million events took 4.5 s instead of 5.1-5.4 s, for 0.2 GB more memory (three
#: gained nothing more; docs/performance.md).
DAY_WORKERS = 2


def user_counts(events: pl.DataFrame) -> pl.DataFrame:
    """Events per login: ``user_id``, ``n`` (the input of :func:`provider_batches`)."""
    return events.group_by("user_id").agg(pl.len().alias("n"))


def provider_batches(counts: pl.DataFrame, providers: pl.DataFrame,
                     batch_events: int = BATCH_EVENTS) -> list[list[str]]:
    """Providers (in id order) packed into batches of at most ``batch_events`` events
    (a provider with more events makes a batch of its own); every rostered provider is in
    exactly one batch, those without events too. ``counts``: events per login
    (``user_id``, ``n``; :func:`user_counts`)."""
    logins = providers.select("user_id", "provider_id").unique()
    counts = (
        logins.join(counts.select("user_id", "n"), on="user_id", how="left")
        .group_by("provider_id")
        .agg(pl.col("n").fill_null(0).sum())
        .sort("provider_id")
    )
    batches: list[list[str]] = []
    size = batch_events + 1
    for pid, n in counts.iter_rows():
        if size + n > batch_events and (not batches or batches[-1]):
            batches.append([])
            size = 0
        batches[-1].append(pid)
        size += n
    return [b for b in batches if b]


def provider_day(
    events: pl.DataFrame,
    providers: pl.DataFrame,
    schedule: pl.DataFrame,
    time_off: pl.DataFrame,
    inbox: pl.DataFrame,
    action_map: pl.DataFrame,
    cfg: Config,
    loaded: tuple[dt.date, dt.date],
    batch_events: int = BATCH_EVENTS,
) -> pl.DataFrame:
    """Build ``marts.provider_day`` (grain: one row per provider per local date of their
    range, zeros included). Frames follow :mod:`schemas.frames`.

    Every figure depends on one provider's rows only, so providers are processed in
    batches of about ``batch_events`` events (:func:`provider_batches`) and the batches
    concatenated: the result is the same, and memory stays bounded at any extract size.
    """
    return _concat([
        _provider_day(provider_events(ev.lazy(), prov.lazy(), action_map.lazy()), prov, *rest,
                      cfg, loaded)
        for ev, prov, *rest in batch_frames(events, providers, schedule, time_off, inbox,
                                            batch_events)
    ])


def provider_day_read(
    read_events: Callable[[list[str]], pl.DataFrame],
    counts: pl.DataFrame,
    providers: pl.DataFrame,
    schedule: pl.DataFrame,
    time_off: pl.DataFrame,
    inbox: pl.DataFrame,
    cfg: Config,
    loaded: tuple[dt.date, dt.date],
    batch_events: int = BATCH_EVENTS,
    workers: int = DAY_WORKERS,
) -> pl.DataFrame:
    """:func:`provider_day` with the events read one batch of providers at a time:
    ``read_events(user_ids)`` returns the events of those logins already joined to their
    providers and categorized, in any order (the input of
    :func:`metrics.active.provider_instants`: ``provider_id``, ``event_time``,
    ``category``; :class:`pipelines.day_inputs.EventReader` reads them so), ``counts``
    the events per login (:func:`user_counts`).

    The next batch is read in a worker thread (:class:`metrics.ahead.ahead`) while
    ``workers`` batches are computed at a time (:func:`metrics.ahead.concurrently`), so
    at most ``workers`` + 2 batches of events are in memory at a time. Batches are
    independent, so the result is the same for any ``workers``."""
    batches = provider_batches(counts, providers, batch_events) or [[]]
    parts = _split_others(batches, providers, schedule, time_off, inbox)
    logins = [sorted(prov.get_column("user_id").unique().to_list()) for prov, *_ in parts]

    def day_of(events: pl.DataFrame, frames: tuple[pl.DataFrame, ...]) -> pl.DataFrame:
        return _provider_day(provider_instants(events.lazy()), *frames, cfg, loaded)

    # DuckDB reads the next batch while Polars computes: neither alone, nor one Polars
    # query at a time, keeps both cores busy (docs/performance.md)
    with ahead(read_events(users) for users in logins) as batch_events_read:
        return _concat(list(concurrently(
            (partial(day_of, events, frames)
             for events, frames in zip(batch_events_read, parts, strict=True)),
            workers)))


def _concat(parts: list[pl.DataFrame]) -> pl.DataFrame:
    return parts[0] if len(parts) == 1 else pl.concat(parts).sort(KEYS)


def batch_frames(
    events: pl.DataFrame,
    providers: pl.DataFrame,
    schedule: pl.DataFrame,
    time_off: pl.DataFrame,
    inbox: pl.DataFrame,
    batch_events: int = BATCH_EVENTS,
) -> Iterator[tuple[pl.DataFrame, ...]]:
    """(events, providers, schedule, time_off, inbox) of each batch of
    :func:`provider_batches`; the frames themselves when there is a single batch.

    Rows are assigned their batch once (events through their login) and split with one
    stable arg-sort, so splitting costs O(rows) whatever the number of batches, and only
    one batch of events is copied at a time.
    """
    batches = provider_batches(user_counts(events), providers, batch_events)
    if len(batches) <= 1:
        yield events, providers, schedule, time_off, inbox
        return
    batch_of = _batch_of(batches)
    user_batch = (providers.select("user_id", "provider_id").unique()
                  .join(batch_of, on="provider_id").select("user_id", "_batch").unique())
    shared = user_batch.get_column("user_id").is_duplicated().any()
    others = _split_others(batches, providers, schedule, time_off, inbox)
    if shared:  # a login shared by providers of different batches: filter per batch
        for i in range(len(batches)):
            users = user_batch.filter(pl.col("_batch") == i).get_column("user_id").implode()
            yield events.filter(pl.col("user_id").is_in(users)), *others[i]
        return
    ids = _batch_ids(events.get_column("user_id"), user_batch.rename({"user_id": "provider_id"}))
    for i, ev in enumerate(_split(events, ids, len(batches))):
        yield ev, *others[i]


def _batch_of(batches: list[list[str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"provider_id": [p for b in batches for p in b],
         "_batch": [i for i, b in enumerate(batches) for _ in b]},
        schema={"provider_id": pl.String, "_batch": pl.UInt32},
    )


def _split_others(batches: list[list[str]], *frames: pl.DataFrame
                  ) -> list[tuple[pl.DataFrame, ...]]:
    """Each of ``frames`` (keyed by ``provider_id``) split by batch: one tuple per batch."""
    if len(batches) == 1:
        return [frames]
    batch_of = _batch_of(batches)
    split = [list(_split(f, _batch_ids(f.get_column("provider_id"), batch_of), len(batches)))
             for f in frames]
    return [tuple(s[i] for s in split) for i in range(len(batches))]


def _batch_ids(keys: pl.Series, batch_of: pl.DataFrame) -> pl.Series:
    """The batch of each key (null when the key is in no batch)."""
    return keys.replace_strict(batch_of.get_column("provider_id"),
                               batch_of.get_column("_batch"), default=None,
                               return_dtype=pl.UInt32)


def _split(frame: pl.DataFrame, ids: pl.Series, n: int) -> Iterator[pl.DataFrame]:
    """The rows of ``frame`` with batch id 0, 1, ..., n - 1 (rows with a null id are
    dropped), in their original order."""
    ranked = (ids.rename("_batch").to_frame().with_row_index("_row")
              .sort("_batch", maintain_order=True, nulls_last=True))
    order, sorted_ids = ranked.get_column("_row"), ranked.get_column("_batch")
    bounds = sorted_ids.search_sorted(pl.Series(range(n + 1), dtype=pl.UInt32), side="left")
    for i in range(n):
        lo, hi = int(bounds[i]), int(bounds[i + 1])
        yield frame[order.slice(lo, hi - lo)]


def _provider_day(
    instants_of_batch: pl.LazyFrame,
    providers: pl.DataFrame,
    schedule: pl.DataFrame,
    time_off: pl.DataFrame,
    inbox: pl.DataFrame,
    cfg: Config,
    loaded: tuple[dt.date, dt.date],
) -> pl.DataFrame:
    """:func:`provider_day` for one batch of providers, from the batch's instants
    (:func:`metrics.active.provider_events` or ``provider_instants``, not collected yet).
    They are collected first, by the in-memory engine (twice as fast as the streaming one
    on that plan), with each instant's local date: the active pieces, the runs and the
    login days all read them."""
    tz = cfg.timezone
    grid = provider_grid(provider_ranges(providers, loaded))
    instants = (
        instants_of_batch
        .collect(engine="in-memory")
        .with_columns(local_date(pl.col("event_time"), tz).alias("date"))
        .lazy()
    )
    appts = counted(schedule.lazy(), cfg)
    pieces_of_slots = slot_pieces(appts, cfg)
    slots = slot_union(pieces_of_slots)
    sched = scheduled_day(appts, slots, cfg)
    active = active_by_day(active_pieces(instants, cfg), active_sessions(instants, cfg), slots,
                           window_union(pieces_of_slots, cfg), cfg)
    # Instants come grouped by provider in instant order, so a provider's dates are
    # non-decreasing: the distinct (provider, date) are the first row of each run.
    pid = pl.col("provider_id").to_physical()
    new_day = (pid != pid.shift(1)) | (pl.col("date") != pl.col("date").shift(1))
    logins = (
        instants.select("provider_id", "date")
        .filter(new_day.fill_null(True))
        .with_columns(pl.col("provider_id").cast(pl.String), pl.lit(True).alias("_login"))
    )
    messages = (
        inbox.lazy()
        .select("provider_id", local_date(pl.col("received_time"), tz).alias("date"))
        .group_by(KEYS)
        .agg(pl.len().cast(pl.Int64).alias("inbox_messages"))
    )
    day = (
        grid.join(active, on=KEYS, how="left")
        .join(sched, on=KEYS, how="left")
        .join(messages, on=KEYS, how="left")
        .join(vacation_dates(time_off.lazy(), cfg), on=KEYS, how="left")
        .join(logins, on=KEYS, how="left")
    )
    float_cols = [c for c in DAY_COLUMNS if c.endswith("_minutes")]
    day = day.with_columns(
        *[pl.col(c).fill_null(0.0) for c in float_cols],
        pl.col("appointments").fill_null(0),
        pl.col("inbox_messages").fill_null(0),
        pl.col("vacation_day").fill_null(False),
    ).with_columns(
        (pl.col("scheduled_minutes") == 0).alias("unscheduled_day"),
        (pl.col("vacation_day") & pl.col("_login").fill_null(False)).alias("vacation_login"),
    )
    # The in-memory engine: the frames are in memory already, and on this plan it is about
    # 20% faster than the streaming engine at the same peak memory (docs/performance.md).
    return day.select(DAY_COLUMNS).sort(KEYS).collect(engine="in-memory")
