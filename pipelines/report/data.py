"""Read-only queries of the published warehouse, aggregated before anything is charted.

Every leader-facing figure leaves DuckDB as a group-level row: medians, quartiles and
level counts per department, specialty or department-week. Where a group has fewer than
``min_cell_size`` providers with a value, its statistics are computed as null inside
the query (``CASE WHEN count(...) >= $min``) and the group is dropped before charting,
so a small group's figures never reach Python, let alone a chart. Rows read from
``marts.department_period`` / ``marts.specialty_period`` are re-suppressed with
:func:`metrics.aggregates.suppress` at the report's ``min_cell_size`` (the stricter of
the report's configuration and the run's), so a larger cell size at report time wins.

Values reach SQL as bound parameters. Column names in SQL come only from the fixed
lists in this module (``GROUPS``, ``WEEK_MEASURES``, :data:`metrics.thresholds.PERIOD_MEASURES`),
never from input.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import polars as pl

from metrics.aggregates import suppress
from metrics.thresholds import PERIOD_MEASURES, YEAR_MEASURES
from pipelines.commands.flags import period_label

TRAILING_YEAR = "trailing_year"
GROUPS = ("department", "specialty")
#: Label shown for providers whose group is not recorded in the roster.
NO_GROUP = "(not recorded)"

#: Weekly measures of the trend charts, as SQL over ``marts.provider_week AS w``.
#: ``inbox_messages_per_week`` follows the period definition, messages / (days / 7).
WEEK_MEASURES: dict[str, str] = {
    "wow_minutes_per_clinic_day": "w.wow_minutes_per_clinic_day",
    "inbox_messages_per_week": "w.inbox_messages * 7.0 / w.days_in_range",
    "ehr_time8": "w.ehr_time8",
    "psh40": "w.psh40",
}

#: Columns of group statistics returned to the charts.
STAT_COLUMNS = ("group", "n_providers", "median", "p25", "p75", "n_low", "n_elevated", "n_high")


class WarehouseError(RuntimeError):
    """The warehouse cannot serve a report; the message is one line."""


@dataclass(frozen=True)
class Period:
    """One reporting period (``period_type`` week, month or quarter)."""

    period_type: str
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        """Human label, e.g. ``2026-03`` or ``2026-Q1``."""
        return period_label(self.period_type, self.start, self.end, True)


@dataclass(frozen=True)
class Methods:
    """The latest row of ``marts.methods`` (the methods card), parsed."""

    run_at: dt.datetime | None
    software_version: str | None
    settings_hash: str | None
    settings: dict[str, Any]
    range_start: dt.date | None
    range_end: dt.date | None
    unmapped_share: float | None
    unrostered_events: int | None
    quarantine_counts: list[dict[str, Any]]
    thresholds_profile: str | None

    @property
    def quarantined_by_reason(self) -> dict[str, int]:
        """Rows quarantined in the run, summed over kinds, by reason code."""
        out: dict[str, int] = {}
        for q in self.quarantine_counts:
            reason = str(q.get("reason", "unknown"))
            out[reason] = out.get(reason, 0) + int(q.get("n", 0) or 0)
        return dict(sorted(out.items()))


@dataclass(frozen=True)
class GroupStats:
    """Statistics of the groups large enough to show, and how many were withheld.

    ``rows`` has the columns of :data:`STAT_COLUMNS` (plus extras for some queries) and
    holds shown groups only. ``n_suppressed`` counts groups withheld for having fewer
    than ``min_cell_size`` providers with a value; they are never named.
    """

    rows: pl.DataFrame
    n_suppressed: int
    source: str
    extra: dict[str, Any] = field(default_factory=dict)


def parse_period_text(text: str | None) -> tuple[dt.date | None, str | None]:
    """``YYYY-MM`` -> (first of month, 'month'); ``YYYY-MM-DD`` -> (date, any type).

    Anything else raises :class:`WarehouseError` naming ``--period``.

    >>> parse_period_text("2026-03")
    (datetime.date(2026, 3, 1), 'month')
    """
    if text is None:
        return None, None
    try:
        if len(text) == 7 and text[4] == "-":
            return dt.date.fromisoformat(f"{text}-01"), "month"
        if len(text) == 10:
            return dt.date.fromisoformat(text), None
    except ValueError:
        pass
    raise WarehouseError(f"--period: expected YYYY-MM or YYYY-MM-DD, got {text!r}")


def _check_group(group: str) -> str:
    if group not in GROUPS:
        raise ValueError(f"group must be one of {GROUPS}, got {group!r}")
    return group


def _period_sql(grain: str, alias: str) -> str:
    """WHERE clause matching the selected period ($ptype, $start, $end) for one grain."""
    if grain == TRAILING_YEAR:
        return (
            f"{alias}.period_type = 'trailing_year' "
            f"AND {alias}.period_end BETWEEN $start AND $end"
        )
    return (
        f"{alias}.period_type = $ptype AND {alias}.period_start = $start "
        f"AND {alias}.period_end = $end"
    )


class Warehouse:
    """The published warehouse, opened read-only for the duration of one report.

    >>> # with Warehouse(Path("warehouse/ehrlog.duckdb")) as wh: wh.periods()
    """

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise WarehouseError(f"warehouse not found: {path}")
        try:
            self.con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as e:
            first = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise WarehouseError(f"cannot open warehouse {path}: {first}") from None
        self.path = path

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self.con.close()

    def _frame(self, sql: str, params: dict[str, Any]) -> pl.DataFrame:
        """Run a query with bound parameters; the result as a Polars frame."""
        return self.con.sql(sql, params=params).pl()

    # -- catalogue -------------------------------------------------------------------

    def has_table(self, schema: str, name: str) -> bool:
        """Whether ``schema.name`` exists as a table or view."""
        row = self.con.execute(
            "SELECT (SELECT count(*) FROM duckdb_tables() WHERE schema_name = $s "
            "AND table_name = $n) + (SELECT count(*) FROM duckdb_views() "
            "WHERE schema_name = $s AND view_name = $n)",
            {"s": schema, "n": name},
        ).fetchall()[0]
        return bool(row and row[0])

    def require(self, *tables: str) -> None:
        """Raise :class:`WarehouseError` naming the first missing table."""
        for table in tables:
            schema, name = table.split(".")
            if not self.has_table(schema, name):
                raise WarehouseError(
                    f"warehouse {self.path} has no table {table}; run `ehrlog run` first"
                )

    # -- methods card and periods ----------------------------------------------------

    def methods(self) -> Methods | None:
        """The latest methods-card row, or None when there is none."""
        if not self.has_table("marts", "methods"):
            return None
        rows = self._frame("SELECT * FROM marts.methods ORDER BY run_at DESC LIMIT 1", {})
        if rows.height == 0:
            return None
        rec = rows.row(0, named=True)

        def _json(key: str, default: Any) -> Any:
            try:
                return json.loads(rec.get(key) or "null") or default
            except (TypeError, ValueError):
                return default

        return Methods(
            run_at=rec.get("run_at"),
            software_version=rec.get("software_version"),
            settings_hash=rec.get("settings_hash"),
            settings=_json("settings_json", {}),
            range_start=rec.get("range_start"),
            range_end=rec.get("range_end"),
            unmapped_share=rec.get("unmapped_share"),
            unrostered_events=rec.get("unrostered_events"),
            quarantine_counts=_json("quarantine_counts_json", []),
            thresholds_profile=rec.get("thresholds_profile"),
        )

    def data_range(self) -> tuple[dt.date | None, dt.date | None]:
        """First and last date of the loaded range (methods card, else core.providers)."""
        m = self.methods()
        if m is not None and m.range_start is not None:
            return m.range_start, m.range_end
        row = self.con.execute(
            "SELECT min(range_start), max(range_end) FROM core.providers"
        ).fetchall()[0]
        return (row[0], row[1]) if row else (None, None)

    def periods(self) -> list[Period]:
        """Reporting periods present, newest first (trailing-year rows excluded)."""
        table = (
            "marts.department_period"
            if self.has_table("marts", "department_period")
            else "marts.provider_period"
        )
        rows = self.con.execute(
            f"SELECT DISTINCT period_type, period_start, period_end FROM {table} "
            "WHERE period_type <> 'trailing_year' ORDER BY period_start DESC, period_type"
        ).fetchall()
        return [Period(r[0], r[1], r[2]) for r in rows]

    def select_period(self, text: str | None) -> Period:
        """The period ``--period`` names, or by default the latest complete one.

        "Complete" means the period ends on or before the last loaded date; when no
        period is complete, the latest period is used.
        """
        start, ptype = parse_period_text(text)
        periods = self.periods()
        if not periods:
            raise WarehouseError(f"warehouse {self.path} holds no reporting periods yet")
        if start is None:
            _, last = self.data_range()
            complete = [p for p in periods if last is None or p.end <= last]
            return (complete or periods)[0]
        matching = [p for p in periods if p.start == start and ptype in (None, p.period_type)]
        if not matching:
            recent = ", ".join(sorted({p.start.isoformat() for p in periods}, reverse=True)[:6])
            raise WarehouseError(
                f"period {text} is not in the warehouse (latest period starts: {recent})"
            )
        return matching[0]

    def mart_measures(self, group: str) -> set[str]:
        """Measures present in ``marts.<group>_period``."""
        table = f"{_check_group(group)}_period"
        if not self.has_table("marts", table):
            return set()
        rows = self.con.execute(f"SELECT DISTINCT measure FROM marts.{table}").fetchall()
        return {r[0] for r in rows}

    # -- group statistics ------------------------------------------------------------

    def group_count(self, group: str, roles: tuple[str, ...]) -> int:
        """Departments (or specialties) that have a provider of ``roles`` in the roster:
        the groups a chart of them could show."""
        column = {"department": "department", "specialty": "specialty"}[group]
        return int(self._frame(
            f"SELECT count(DISTINCT {column}) AS n FROM core.providers "  # a constant name
            "WHERE list_contains($roles, role)", {"roles": list(roles)}).item())

    def group_stats(
        self,
        group: str,
        measure: str,
        period: Period,
        roles: tuple[str, ...],
        min_cell_size: int,
    ) -> GroupStats:
        """Median, quartiles and level counts of ``measure`` per group, shown groups only.

        From ``marts.<group>_period`` when it carries the measure (flagged measures);
        otherwise aggregated here from ``marts.provider_period`` over providers of
        ``roles`` (the population the flags cover), with the same suppression rules.
        """
        _check_group(group)
        if measure in self.mart_measures(group):
            return self._mart_stats(group, measure, period, min_cell_size)
        if measure in YEAR_MEASURES:  # flagged-only; no rows in the mart: nothing to show
            return _finish(pl.DataFrame(), min_cell_size, source=f"marts.{group}_period")
        if measure not in PERIOD_MEASURES:
            raise ValueError(f"{measure!r} is not a measure of marts.provider_period")
        return self._derived_stats(group, measure, period, roles, min_cell_size)

    def _mart_stats(
        self, group: str, measure: str, period: Period, min_cell_size: int
    ) -> GroupStats:
        grain = TRAILING_YEAR if measure in YEAR_MEASURES else "period"
        sql = (
            f"SELECT g.{group} AS \"group\", g.n_providers, g.median, g.p25, g.p75, "
            "g.n_low, g.n_elevated, g.n_high, g.suppressed AS mart_suppressed "
            f"FROM marts.{group}_period AS g WHERE g.measure = $measure "
            f"AND {_period_sql(grain, 'g')}"
        )
        params = {
            "measure": measure,
            "ptype": period.period_type,
            "start": period.start,
            "end": period.end,
        }
        if grain == TRAILING_YEAR:
            params.pop("ptype")
        raw = self._frame(sql, params)
        return _finish(raw, min_cell_size, source=f"marts.{group}_period")

    def _derived_stats(
        self,
        group: str,
        measure: str,
        period: Period,
        roles: tuple[str, ...],
        min_cell_size: int,
    ) -> GroupStats:
        v = f"pp.{measure}"
        sql = f"""
            WITH vals AS (
                SELECT p.{group} AS grp, {v} AS v
                FROM marts.provider_period AS pp
                JOIN core.providers AS p USING (provider_id)
                WHERE {_period_sql('period', 'pp')} AND list_contains($roles, p.role)
                  AND {v} IS NOT NULL AND isfinite({v})
            )
            SELECT grp AS "group", count(*)::BIGINT AS n_providers,
                   CASE WHEN count(*) >= $min THEN quantile_cont(v, 0.5) END AS median,
                   CASE WHEN count(*) >= $min THEN quantile_cont(v, 0.25) END AS p25,
                   CASE WHEN count(*) >= $min THEN quantile_cont(v, 0.75) END AS p75
            FROM vals GROUP BY grp
        """
        raw = self._frame(
            sql,
            {
                "ptype": period.period_type,
                "start": period.start,
                "end": period.end,
                "roles": list(roles),
                "min": min_cell_size,
            },
        )
        raw = raw.with_columns(
            n_low=pl.lit(None, pl.Int64),
            n_elevated=pl.lit(None, pl.Int64),
            n_high=pl.lit(None, pl.Int64),
            mart_suppressed=pl.lit(False),
        )
        return _finish(raw, min_cell_size, source="marts.provider_period, aggregated here")

    def vacation_share(
        self, period: Period, roles: tuple[str, ...], min_cell_size: int
    ) -> GroupStats:
        """Per department: share of vacation days with any EHR work and with > 30 min.

        Ratio of sums over the providers of ``roles`` who had vacation days in the
        period; a department counts as shown only when at least ``min_cell_size`` such
        providers contribute.
        """
        sql = f"""
            SELECT p.department AS "group", count(*)::BIGINT AS n_providers,
                   CASE WHEN count(*) >= $min THEN sum(pp.vacation_days)::BIGINT END
                       AS vacation_days,
                   CASE WHEN count(*) >= $min THEN sum(pp.vacation_days_with_ehr)::BIGINT END
                       AS days_with_ehr,
                   CASE WHEN count(*) >= $min THEN sum(pp.vacation_days_over_30_min)::BIGINT END
                       AS days_over_30_min
            FROM marts.provider_period AS pp
            JOIN core.providers AS p USING (provider_id)
            WHERE {_period_sql('period', 'pp')} AND list_contains($roles, p.role)
              AND pp.vacation_days > 0
            GROUP BY p.department
        """
        raw = self._frame(
            sql,
            {
                "ptype": period.period_type,
                "start": period.start,
                "end": period.end,
                "roles": list(roles),
                "min": min_cell_size,
            },
        )
        shown = raw.filter(pl.col("n_providers") >= min_cell_size)
        shown = shown.with_columns(
            pl.col("group").fill_null(NO_GROUP),
            share_any=pl.col("days_with_ehr") / pl.col("vacation_days"),
            share_over_30=pl.col("days_over_30_min") / pl.col("vacation_days"),
        ).sort("group")
        return GroupStats(
            rows=shown,
            n_suppressed=raw.height - shown.height,
            source="marts.provider_period, aggregated here",
        )

    def weekly_medians(
        self,
        measure: str,
        roles: tuple[str, ...],
        min_cell_size: int,
        first_week: dt.date,
        last_week: dt.date,
        department: str | None = None,
    ) -> GroupStats:
        """Per department and week: the median of a weekly measure over providers of ``roles``.

        Department-weeks with fewer than ``min_cell_size`` providers with a value are
        dropped (their median is never computed outside the database).
        ``extra["n_suppressed_weeks"]`` counts them.
        """
        if measure not in WEEK_MEASURES:
            raise ValueError(f"no weekly definition for {measure!r}")
        v = WEEK_MEASURES[measure]
        sql = f"""
            WITH vals AS (
                SELECT p.department AS grp, w.week_start, {v} AS v
                FROM marts.provider_week AS w
                JOIN core.providers AS p USING (provider_id)
                WHERE w.week_start BETWEEN $first AND $last
                  AND list_contains($roles, p.role)
                  AND (CAST($dept AS VARCHAR) IS NULL OR p.department = $dept)
                  AND w.days_in_range > 0
            )
            SELECT grp AS "group", week_start, count(v)::BIGINT AS n_providers,
                   CASE WHEN count(v) >= $min THEN quantile_cont(v, 0.5) END AS median
            FROM vals WHERE v IS NOT NULL AND isfinite(v)
            GROUP BY grp, week_start
        """
        raw = self._frame(
            sql,
            {
                "first": first_week,
                "last": last_week,
                "roles": list(roles),
                "dept": department,
                "min": min_cell_size,
            },
        )
        shown = (
            raw.filter(pl.col("n_providers") >= min_cell_size)
            .with_columns(pl.col("group").fill_null(NO_GROUP))
            .sort("group", "week_start")
        )
        dropped = raw.height - shown.height
        all_groups = raw.get_column("group").n_unique() if raw.height else 0
        hidden_groups = all_groups - (shown.get_column("group").n_unique() if shown.height else 0)
        return GroupStats(
            rows=shown,
            n_suppressed=hidden_groups,
            source="marts.provider_week joined to core.providers, aggregated here",
            extra={"n_suppressed_weeks": dropped},
        )

    # -- one provider (individual page only) -----------------------------------------

    def provider(self, provider_id: str) -> dict[str, Any] | None:
        """The ``core.providers`` row of one provider, or None."""
        rows = self._frame(
            "SELECT * FROM core.providers WHERE provider_id = $id", {"id": provider_id}
        )
        return rows.row(0, named=True) if rows.height else None

    def provider_weeks(self, provider_id: str, first: dt.date, last: dt.date) -> pl.DataFrame:
        """The provider's weeks between two week starts, with the trend measures."""
        cols = ", ".join(f"{expr} AS {name}" for name, expr in WEEK_MEASURES.items())
        return self._frame(
            f"SELECT w.week_start, w.days_in_range, w.scheduled_hours, w.clinic_days, "
            f"w.inbox_messages, {cols} FROM marts.provider_week AS w "
            "WHERE w.provider_id = $id AND w.week_start BETWEEN $first AND $last "
            "ORDER BY w.week_start",
            {"id": provider_id, "first": first, "last": last},
        )

    def provider_flags(self, provider_id: str, period: Period) -> pl.DataFrame:
        """The provider's flags of the period (and the trailing year ending in it)."""
        if not self.has_table("marts", "burnout_risk_flags"):
            return pl.DataFrame()
        return self._frame(
            "SELECT f.period_type, f.period_start, f.period_end, f.complete, f.measure, "
            "f.value, f.level, f.threshold, f.source FROM marts.burnout_risk_flags AS f "
            "WHERE f.provider_id = $id AND ((f.period_type = $ptype AND "
            "f.period_start = $start AND f.period_end = $end) OR "
            "(f.period_type = 'trailing_year' AND f.period_end BETWEEN $start AND $end)) "
            "ORDER BY f.period_type = 'trailing_year', f.measure",
            {
                "id": provider_id,
                "ptype": period.period_type,
                "start": period.start,
                "end": period.end,
            },
        )


def _finish(raw: pl.DataFrame, min_cell_size: int, source: str) -> GroupStats:
    """Re-apply the small-cell rules at ``min_cell_size`` and keep shown groups only."""
    if raw.height == 0:
        empty = pl.DataFrame(
            schema={
                "group": pl.String,
                "n_providers": pl.Int64,
                **{c: pl.Float64 for c in ("median", "p25", "p75")},
                **{c: pl.Int64 for c in ("n_low", "n_elevated", "n_high")},
            }
        )
        return GroupStats(rows=empty, n_suppressed=0, source=source)
    stats = raw.with_columns(
        pl.col("n_providers").cast(pl.Int64).fill_null(0),
        *(pl.col(c).cast(pl.Int64) for c in ("n_low", "n_elevated", "n_high")),
    )
    again = suppress(stats.drop("mart_suppressed"), min_cell_size)
    again = again.with_columns(
        suppressed=pl.col("suppressed") | stats.get_column("mart_suppressed").fill_null(True)
    )
    shown = (
        again.filter(~pl.col("suppressed"))
        .with_columns(pl.col("group").fill_null(NO_GROUP))
        .select(STAT_COLUMNS)
        .sort("group")
    )
    return GroupStats(rows=shown, n_suppressed=again.height - shown.height, source=source)


def effective_min_cell_size(config_min: int, methods: Methods | None) -> int:
    """The stricter of the report's ``min_cell_size`` and the one the run used."""
    run_min = methods.settings.get("min_cell_size") if methods else None
    if isinstance(run_min, int) and not isinstance(run_min, bool):
        return max(config_min, run_min)
    return config_min
