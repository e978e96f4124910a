"""Asset checks: data-quality gates between staging and the marts.

Blocking checks (a failure stops the marts and nothing is published): the Great
Expectations suite of each staged extract, the quarantined share of the delivery and the
share of unmapped actions. Non-blocking but failing loudly: the freshness of the events,
and a roster and a schedule that were never delivered (CONTRACT.md section 1: an empty
extract is valid, and a delivery may hold any subset of the kinds, so a warehouse
without them is published, with what that means for its figures said in the check).
"""

import datetime as dt

import dagster as dg

from metrics.ahead import ahead
from metrics.categories import unmapped_events
from pipelines.assets.staging import QUARANTINE_KEY, STAGING_KINDS
from pipelines.ingest import read_staged
from pipelines.ingest.rejected import rejected_lines
from pipelines.ingest.repeats import create_repeated
from pipelines.ingest.staged import staged_action_counts, staged_tables
from pipelines.ingest.tables import OF_DELIVERY
from pipelines.settings import SettingsResource
from pipelines.warehouse import WarehouseResource, work_key
from schemas import expectations

QUARANTINE_SHARE = "quarantine_share"
UNMAPPED_SHARE = "unmapped_share"
EVENTS_FRESH = "events_fresh"
#: Days between the newest accepted event and the run before the events count as late.
MAX_EVENT_AGE_DAYS = 3


def gx_check_name(kind: str) -> str:
    return f"gx_suite_{kind}"


def _gx_check(kind: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=dg.AssetKey(["staging", kind]), name=gx_check_name(kind),
                    blocking=True,
                    description=f"Great Expectations suite of staging.{kind} (this delivery).")
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
               ) -> dg.AssetCheckResult:
        con = warehouse.connect(work_key(context.run))
        try:
            validation = validate_staged(con, kind, context.run.run_id)
        finally:
            con.close()
        if validation is None:
            return dg.AssetCheckResult(passed=True, description="no new rows in this delivery",
                                       metadata={"rows_validated": 0})
        ok, failed = validation.result()
        return dg.AssetCheckResult(
            passed=ok,
            description="; ".join(failed) if failed else "all expectations met",
            metadata={"rows_validated": validation.rows_validated, "failed": len(failed),
                      "columns_read": ", ".join(validation.columns),
                      "duplicated_key_rows": validation.duplicated_key_rows},
        )

    return _check


def validate_staged(con, kind: str, delivery_id: str, *, chunk_rows: int | None = None,
                    fingerprint: bool | None = None) -> expectations.DeliveryValidation | None:
    """Validate the GX suite of ``kind`` on the rows ``delivery_id`` staged, through the
    DuckDB connection ``con``.

    None when the delivery staged no rows of ``kind`` (an empty or absent extract is
    valid, CONTRACT.md section 1). Otherwise GX validates, in one context (see
    :mod:`schemas.expectations`): only the columns the row expectations name, streamed
    in chunks of ``chunk_rows`` rows (default ``expectations.CHUNK_ROWS``); and the keys
    found more than once in the delivery, with all their occurrences. Python's memory is
    bounded by the chunk size and the keys' hashes (16 bytes a row, up to
    ``pipelines.ingest.repeats.MAX_ROWS`` rows), DuckDB's by its memory limit (its sort
    spills to disk); every reader is closed before this returns. The duplicated keys are
    found on a cursor of ``con`` in a worker thread while GX validates the rows.
    """
    chunk = chunk_rows or expectations.CHUNK_ROWS
    of_delivery = {"delivery": delivery_id}
    rows = con.sql(f"SELECT count(*) FROM staging.{kind} WHERE {OF_DELIVERY}",
                   params=of_delivery).fetchall()[0][0]
    if rows == 0:
        return None
    validation = expectations.DeliveryValidation(kind, fingerprint=fingerprint)
    # The duplicated keys are found (a sort of their hashes on two threads) in a worker
    # thread while GX validates the rows (pandas, one thread); GX only runs in this thread.
    keys = (_AheadReader(ahead(_duplicated_keys(con.cursor(), validation.key_columns, kind,
                                                delivery_id, chunk, rows)))
            if validation.key_columns else None)
    try:
        if validation.columns:
            cols = ", ".join(validation.columns)
            reader = con.sql(f"SELECT {cols} FROM staging.{kind} WHERE {OF_DELIVERY}",
                             params=of_delivery).to_arrow_reader(chunk)
            _stream(reader, validation.rows, lambda batches: _rebatch(batches, chunk))
        if keys is not None:
            _stream(keys, validation.duplicated_keys, lambda groups: _expand(groups, chunk),
                    drop=(_OCCURRENCES,))
    finally:
        if keys is not None:
            keys.close()
    return validation


#: Column of the duplicated-key query: how often the key occurs in the delivery.
_OCCURRENCES = "occurrences_in_delivery"
#: Temporary table of the hashes of keys seen twice (on the check's own cursor).
_TWICE = "_check_twice"


def _duplicated_keys(cursor, keys: tuple[str, ...], kind: str, delivery_id: str, chunk: int,
                     rows: int):
    """The reader's schema, then the Arrow batches of the keys that occur more than once in
    the delivery, with how often (``_OCCURRENCES``); closes the reader and ``cursor``.

    The 64-bit hashes of the delivery's ``rows`` keys are sorted
    (:mod:`pipelines.ingest.repeats`: by Polars, or by DuckDB, whose sort spills to disk,
    for very large deliveries; grouping by the keys measured slower and took twice the
    memory); equal neighbours are the candidates, and only rows whose hash is a candidate
    are grouped by their key, exactly. Rows whose key columns are all missing are left
    out, as GX leaves them out. Each duplicated key reaches GX as many times as it occurs,
    never split across two batches (``_expand``).
    """
    cols = ", ".join(keys)
    present = " OR ".join(f"{c} IS NOT NULL" for c in keys)
    params = {"delivery": delivery_id}
    try:
        none = create_repeated(cursor, _TWICE, f"SELECT hash({cols}) AS _h FROM staging."
                               f"{kind} WHERE {OF_DELIVERY} AND ({present})",
                               params, rows) == 0
        reader = cursor.sql(
            f"""SELECT {cols}, count(*) AS {_OCCURRENCES} FROM staging.{kind}
                WHERE {OF_DELIVERY} AND ({present})
                  AND hash({cols}) IN (SELECT _h FROM {_TWICE})
                GROUP BY ALL HAVING count(*) > 1{' LIMIT 0' if none else ''}""",
            params=params).to_arrow_reader(chunk)
        try:
            yield reader.schema
            yield from reader
        finally:
            reader.close()
    finally:
        cursor.close()


class _AheadReader:
    """A record-batch reader over :func:`_duplicated_keys` run by :class:`ahead`: what
    :func:`_stream` needs (``schema``, iteration, ``close``)."""

    def __init__(self, items: ahead) -> None:
        self._items = items
        self._schema = None

    @property
    def schema(self):
        if self._schema is None:
            self._schema = next(self._items)
        return self._schema

    def __iter__(self):
        _ = self.schema
        return self._items

    def close(self) -> None:
        self._items.close()


def _stream(reader, validate, parts, drop: tuple[str, ...] = ()) -> None:
    """Hand the Arrow batches of ``reader``, regrouped by ``parts``, to ``validate`` as
    pandas frames, or one empty frame when there is none; always close the reader, which
    otherwise keeps the database open. The frames keep Arrow's types (``pd.ArrowDtype``):
    no conversion of every value to a Python object."""
    import pandas as pd

    try:
        given = False
        for part in parts(iter(reader)):
            validate(part.to_pandas(types_mapper=pd.ArrowDtype))
            given = True
        if not given:
            validate(reader.schema.empty_table().drop_columns(list(drop))
                     .to_pandas(types_mapper=pd.ArrowDtype))
    finally:
        reader.close()


def _rebatch(batches, rows: int):
    """Arrow tables of about ``rows`` rows from smaller record batches (DuckDB streams a
    table scan in batches of its row groups, whatever batch size is asked for)."""
    import pyarrow as pa

    held: list = []
    count = 0
    for batch in batches:
        held.append(batch)
        count += batch.num_rows
        if count >= rows:
            yield pa.Table.from_batches(held)
            held, count = [], 0
    if count:
        yield pa.Table.from_batches(held)


def _expand(groups, rows: int):
    for batch in groups:
        yield from expectations.expand_groups(batch, _OCCURRENCES, rows)


GX_CHECKS = [_gx_check(kind) for kind in STAGING_KINDS]


@dg.asset_check(asset=QUARANTINE_KEY, name=QUARANTINE_SHARE, blocking=True,
                description="Share of this delivery's rows that were quarantined.")
def quarantine_share_check(context: dg.AssetCheckExecutionContext,
                           warehouse: WarehouseResource, settings: SettingsResource
                           ) -> dg.AssetCheckResult:
    limit = settings.load().quality.max_quarantine_share
    con = warehouse.connect(work_key(context.run))
    try:
        read = con.execute("SELECT coalesce(sum(rows), 0) FROM raw.files WHERE delivery_id = ?",
                           [context.run.run_id]).fetchall()[0][0]
        bad, first = rejected_lines(con, context.run.run_id, 1)
    finally:
        con.close()
    share = bad / read if read else 0.0
    passed = share <= limit
    # a failed check publishes nothing, so its description names the first rejected row
    where = "see quarantine.rows" if passed else (
        f"first: {first[0]}; correct the extract, or raise the limit to publish the "
        "delivery and read every rejected row in quarantine.rows")
    return dg.AssetCheckResult(
        passed=passed,
        description=(f"quarantined {share:.2%} of this delivery's rows ({bad:,} of {read:,}); "
                     f"limit {limit:.2%} (quality.max_quarantine_share); {where}"),
        metadata={"share": share, "quarantined": bad, "rows_read": read, "limit": limit},
    )


@dg.asset_check(asset=dg.AssetKey(["staging", "events"]), name=UNMAPPED_SHARE, blocking=True,
                description="Share of staged events whose action is not in the action map.")
def unmapped_share_check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource,
                         settings: SettingsResource) -> dg.AssetCheckResult:
    limit = settings.load().quality.max_unmapped_share
    con = warehouse.connect(work_key(context.run))
    try:
        actions = staged_action_counts(con)
        amap = read_staged(con, kinds=("action_map",))["action_map"]
    finally:
        con.close()
    unmapped, total = unmapped_events(actions, amap)
    share = unmapped / total if total else 0.0
    return dg.AssetCheckResult(
        passed=share <= limit,
        description=(f"{share:.2%} of staged events have an unmapped action ({unmapped:,}); "
                     f"limit {limit:.2%} (quality.max_unmapped_share); add them to an "
                     "action_map extract"),
        metadata={"share": share, "unmapped_events": unmapped, "limit": limit},
    )


@dg.asset_check(asset=dg.AssetKey(["staging", "events"]), name=EVENTS_FRESH, blocking=False,
                description=f"The newest accepted event is at most {MAX_EVENT_AGE_DAYS} days "
                            "old: an events extract that stops arriving is reported.")
def events_fresh_check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
                       ) -> dg.AssetCheckResult:
    con = warehouse.connect(work_key(context.run))
    try:
        newest = con.sql("SELECT max(event_time) FROM staging.events").fetchall()[0][0]
    finally:
        con.close()
    now = dt.datetime.now(dt.UTC)
    if newest is None:
        return dg.AssetCheckResult(passed=False, description="no events extract was ever loaded")
    age = (now - newest).total_seconds() / 86400
    return dg.AssetCheckResult(
        passed=age <= MAX_EVENT_AGE_DAYS,
        description=(f"newest accepted event {newest:%Y-%m-%d %H:%M} UTC is {age:.1f} days "
                     f"before this run (limit {MAX_EVENT_AGE_DAYS} days)"),
        metadata={"newest_event": str(newest), "age_days": age},
    )


#: Per kind: what a staged row is called, and what the marts are without any.
ABSENT = {
    "providers": ("roster row", "no provider has a figure (events of users not in the "
                                "roster are kept)"),
    "schedule": ("appointment", "every day is unscheduled, WOW is all EHR time and the "
                                "schedule-based ratios are null"),
}


def _present_check(kind: str) -> dg.AssetChecksDefinition:
    noun, consequence = ABSENT[kind]

    @dg.asset_check(asset=dg.AssetKey(["staging", kind]), name=f"{kind}_present",
                    blocking=False,
                    description=f"staging.{kind} holds rows; without any, {consequence}.")
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
               ) -> dg.AssetCheckResult:
        con = warehouse.connect(work_key(context.run))
        try:
            rows = (con.sql(f"SELECT count(*) FROM staging.{kind}").fetchall()[0][0]
                    if kind in staged_tables(con) else 0)
        finally:
            con.close()
        return dg.AssetCheckResult(
            passed=rows > 0,
            description=(f"{rows:,} rows staged" if rows
                         else f"no {noun} was ever loaded: {consequence}"),
            metadata={"rows_staged": rows})

    return _check


PRESENT_CHECKS = [_present_check(kind) for kind in ABSENT]

CHECKS = [*GX_CHECKS, quarantine_share_check, unmapped_share_check, events_fresh_check,
          *PRESENT_CHECKS]
