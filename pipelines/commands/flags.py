"""``ehrlog flags``: flagged providers of one period, for their direct leaders.

Reads ``marts.burnout_risk_flags`` joined to ``core.providers`` from the published
warehouse, opened read-only, and prints an aligned table. Values reach SQL as bound
parameters only.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import click
import duckdb

LEVELS = ("low", "elevated", "high")
TRAILING_YEAR = "trailing_year"
COLUMNS = (
    "provider_id",
    "department",
    "specialty",
    "period",
    "measure",
    "value",
    "level",
    "threshold",
)

_PERIODS_SQL = """
SELECT DISTINCT period_type, period_start, period_end
FROM marts.burnout_risk_flags
WHERE period_type <> 'trailing_year'
ORDER BY period_start DESC, period_type
"""

# Rows of the selected periods, plus trailing-year rows whose window ends inside one.
_ROWS_SQL = """
WITH sel AS (
    SELECT DISTINCT period_type, period_start, period_end
    FROM marts.burnout_risk_flags
    WHERE period_type <> 'trailing_year' AND period_start = $start
      AND (CAST($ptype AS VARCHAR) IS NULL OR period_type = $ptype)
)
SELECT f.provider_id, p.department, p.specialty, f.period_type, f.period_start,
       f.period_end, f.complete, f.measure, f.value, f.level, f.threshold
FROM marts.burnout_risk_flags AS f
LEFT JOIN core.providers AS p USING (provider_id)
WHERE list_contains($levels, f.level)
  AND (CAST($department AS VARCHAR) IS NULL OR p.department = $department)
  AND (
    EXISTS (SELECT 1 FROM sel AS s WHERE s.period_type = f.period_type
            AND s.period_start = f.period_start AND s.period_end = f.period_end)
    OR (f.period_type = 'trailing_year' AND EXISTS (
        SELECT 1 FROM sel AS s WHERE f.period_end BETWEEN s.period_start AND s.period_end))
  )
ORDER BY p.department NULLS LAST, f.provider_id, f.period_type = 'trailing_year',
         f.measure
"""


def _parse_period(text: str | None) -> tuple[dt.date | None, str | None]:
    """``YYYY-MM`` -> (first of month, 'month'); ``YYYY-MM-DD`` -> (date, any type)."""
    if text is None:
        return None, None
    try:
        if re.fullmatch(r"\d{4}-\d{2}", text):
            return dt.date.fromisoformat(f"{text}-01"), "month"
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return dt.date.fromisoformat(text), None
    except ValueError:
        pass
    raise click.BadParameter(f"expected YYYY-MM or YYYY-MM-DD, got {text!r}", param_hint="--period")


def period_label(period_type: str, start: dt.date, end: dt.date, complete: bool) -> str:
    """A short human label: '2026-03', '2026-Q1', 'week of 2026-03-02', 'year to 2026-03-31'."""
    if period_type == "month":
        label = f"{start:%Y-%m}"
    elif period_type == "quarter":
        label = f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    elif period_type == "week":
        label = f"week of {start.isoformat()}"
    elif period_type == TRAILING_YEAR:
        label = f"year to {end.isoformat()}"
    else:
        label = f"{start.isoformat()}..{end.isoformat()}"
    return label if complete else f"{label} (partial)"


def _number(v: float | None) -> str:
    if v is None:
        return ""
    text = f"{v:,.2f}".rstrip("0").rstrip(".")
    return text or "0"


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    right = {COLUMNS.index("value")}
    lines = []
    for r in rows:
        cells = [
            r[i].rjust(widths[i]) if i in right else r[i].ljust(widths[i])
            for i in range(len(COLUMNS))
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
        [schema, name],
    ).fetchall()[0]
    views = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE schema_name = ? AND view_name = ?",
        [schema, name],
    ).fetchall()[0]
    return bool((found and found[0]) or (views and views[0]))


@click.command(name="flags")
@click.option(
    "--warehouse",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The published DuckDB warehouse (opened read-only).",
)
@click.option(
    "--period",
    "period_text",
    metavar="YYYY-MM|YYYY-MM-DD",
    help="The month starting there (YYYY-MM) or the period starting on that date; "
    "default: the latest period.",
)
@click.option(
    "--level",
    "levels",
    type=click.Choice(LEVELS),
    multiple=True,
    help="Levels to list (repeatable); default: elevated and high.",
)
@click.option("--department", help="Only providers of this department.")
def command(
    warehouse: Path, period_text: str | None, levels: tuple[str, ...], department: str | None
) -> None:
    """List providers flagged at elevated or high burnout risk for one period.

    For clinicians' direct leaders, to start a conversation: measure for learning, not
    for judgment (NAM Perspectives 2020). Each row shows the measure, its value, the
    level and the threshold it crossed; the sources are in docs/flags.md. Trailing-year
    measures (vacation weeks) are shown with the period in which their year ends.
    Aggregates for wider audiences are in marts.department_period and
    marts.specialty_period.
    """
    start, ptype = _parse_period(period_text)
    if not warehouse.is_file():
        raise click.ClickException(f"warehouse not found: {warehouse}")
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise click.ClickException(f"cannot open warehouse {warehouse}: {first}") from None
    try:
        for schema, name in (("marts", "burnout_risk_flags"), ("core", "providers")):
            if not _has_table(con, schema, name):
                raise click.ClickException(
                    f"warehouse {warehouse} has no table {schema}.{name}; run `ehrlog run` first"
                )
        periods = con.execute(_PERIODS_SQL).fetchall()
        if not periods:
            raise click.ClickException(f"warehouse {warehouse} holds no flagged periods yet")
        if start is None:
            start = periods[0][1]
        matching = [p for p in periods if p[1] == start and (ptype is None or p[0] == ptype)]
        if not matching:
            recent = ", ".join(sorted({f"{p[1]:%Y-%m-%d}" for p in periods}, reverse=True)[:6])
            raise click.ClickException(
                f"period {period_text} is not in the warehouse (latest period starts: {recent})"
            )
        params: dict[str, Any] = {
            "start": start,
            "ptype": ptype,
            "levels": list(levels or ("elevated", "high")),
            "department": department,
        }
        rows = con.execute(_ROWS_SQL, params).fetchall()
    finally:
        con.close()
    shown = " or ".join(levels or ("elevated", "high"))
    labels = ", ".join(period_label(p[0], p[1], p[2], True) for p in matching)
    click.echo(
        f"Burnout-risk flags at {shown} for {labels}. Measure for learning, not for judgment."
    )
    if not rows:
        click.echo("No provider is flagged at these levels.")
        return
    table: list[tuple[str, ...]] = [COLUMNS]
    for r in rows:
        provider_id, dep, spec, p_type, p_start, p_end, complete, measure, value, level, thr = r
        table.append(
            (
                str(provider_id),
                dep or "",
                spec or "",
                period_label(p_type, p_start, p_end, bool(complete)),
                measure,
                _number(value),
                level,
                thr or "",
            )
        )
    click.echo(_table(table))
    click.echo(f"{len(rows)} row(s), {len({r[0] for r in rows})} provider(s).")
