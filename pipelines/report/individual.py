"""One clinician's own page, for them and their direct leader (never for wider audiences).

Shows the clinician's weekly measures against the cited thresholds and against their
department's weekly median (only in weeks when the department has at least
``min_cell_size`` providers of the flagged roles with a value), their flags for the
period, and a table of their weeks. It names the provider id, as it is for them; it
holds no patient identifier (the warehouse tables it reads have none).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import polars as pl

from pipelines.report import charts
from pipelines.report.data import WEEK_MEASURES, Warehouse, WarehouseError, effective_min_cell_size
from pipelines.report.export import page_html, spec_dict, write_text
from pipelines.report.texts import MEASURES, TREND_WEEKS
from pipelines.report.thresholds import load_profiles, reference
from schemas.config import WEEKDAYS, Config

WEEK_COLUMNS = {
    "week_start": "Week starting",
    "days_in_range": "Days",
    "scheduled_hours": "Scheduled hours",
    "clinic_days": "Clinic days",
    "wow_minutes_per_clinic_day": "WOW min per clinic day",
    "inbox_messages_per_week": "Inbox messages per week",
    "ehr_time8": "EHR time per 8 h",
    "psh40": "PSH40 (h)",
}


def page_file_name(provider_id: str) -> str:
    """``provider-<id>.html`` with characters outside ``[A-Za-z0-9._-]`` replaced.

    >>> page_file_name("PRV 001/a")
    'provider-PRV_001_a.html'
    """
    return f"provider-{re.sub(r'[^A-Za-z0-9._-]', '_', provider_id)}.html"


def _e(x: object) -> str:
    return html.escape("" if x is None else str(x))


def _num(v: object, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return _e(v)


def _table(frame: pl.DataFrame, columns: dict[str, str]) -> str:
    head = "".join(f"<th scope=\"col\">{_e(t)}</th>" for t in columns.values())
    body = []
    for rec in frame.iter_rows(named=True):
        cells = []
        for c in columns:
            v = rec.get(c)
            cls = " class=\"num\"" if isinstance(v, int | float) else ""
            cells.append(f"<td{cls}>{_num(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def provider_page(
    wh: Warehouse,
    out_dir: Path,
    provider_id: str,
    *,
    config: Config,
    period_text: str | None,
    generated_at: dt.datetime,
) -> Path:
    """Write ``out_dir/provider-<id>.html`` and return its path."""
    prov = wh.provider(provider_id)
    if prov is None:
        raise WarehouseError(f"provider {provider_id!r} is not in core.providers")
    methods = wh.methods()
    profile, seed = load_profiles(
        (methods.thresholds_profile if methods else None) or config.thresholds
    )
    m = effective_min_cell_size(config.min_cell_size, methods)
    period = wh.select_period(period_text)
    week_start = str((methods.settings if methods else {}).get("week_start") or config.week_start)
    weekday = WEEKDAYS.index(week_start) + 1 if week_start in WEEKDAYS else 1
    first_loaded, last_loaded = wh.data_range()
    end = min(period.end, last_loaded) if last_loaded else period.end
    first, last = charts.week_range(end, TREND_WEEKS, weekday, not_before=first_loaded)
    mine = wh.provider_weeks(provider_id, first, last)
    department = prov.get("department")
    specs: list[tuple[str, dict]] = []
    blocks: list[str] = []
    for i, measure in enumerate(WEEK_MEASURES):
        text = MEASURES[measure]
        dept_rows = None
        if department is not None:
            stats = wh.weekly_medians(measure, profile.roles, m, first, last, department)
            dept_rows = stats.rows.select("week_start", "n_providers", value=pl.col("median"))
        note = (
            f"Department median: {department}, providers of roles "
            f"{', '.join(profile.roles)}, shown in weeks with at least {m} of them."
            if dept_rows is not None and dept_rows.height
            else "No department median: the department has fewer than "
            f"{m} providers with a value in these weeks."
        )
        ref = reference(measure, profile, seed)
        chart = charts.provider_trend_chart(
            mine.select("week_start", value=pl.col(measure)),
            dept_rows,
            title=text.title,
            subtitle=[note],
            value_title=text.axis,
            ref=ref,
            value_format=text.fmt,
        )
        cid = f"chart-{i + 1}"
        specs.append((cid, spec_dict(chart, f"{text.title}, your weeks. {note}")))
        cite = f"<p class=\"note\">Reference lines: {_e(ref.citation)}.</p>" if ref.citation else ""
        blocks.append(
            f"<h2>{_e(text.title)}</h2><p>{_e(text.sentence)}</p>"
            f"<figure><div class=\"chart\" id=\"{cid}\"></div></figure>{cite}"
        )
    flags = wh.provider_flags(provider_id, period)
    flags_html = (
        _table(flags, {"measure": "Measure", "value": "Value", "level": "Level",
                       "threshold": "Band", "source": "Source", "period_end": "Period end"})
        if flags.height
        else "<p>No flag for this period (no flagged measure had a value, or the role is "
        "not flagged).</p>"
    )
    body = "\n".join(
        [
            f"<h1>Your EHR work, week by week: {_e(provider_id)}</h1>",
            f"<p class=\"lede\">Department {_e(department)}, "
            f"specialty {_e(prov.get('specialty'))}. "
            f"Weeks starting {first} to {last}; reporting period {_e(period.label)}. "
            f"Generated {_e(generated_at.strftime('%Y-%m-%d %H:%M UTC'))}.</p>",
            "<p class=\"banner\">This page is for you and your direct leader: measure for "
            "learning, not for judgment (NAM Perspectives 2020, Table 2). The thresholds "
            "come from survey studies of groups of clinicians; they start a conversation, "
            "they do not diagnose anyone.</p>",
            *blocks,
            f"<h2>Your flags for {_e(period.label)}</h2>",
            flags_html,
            "<h2>Your weeks</h2>",
            _table(mine.sort("week_start"), WEEK_COLUMNS),
        ]
    )
    path = out_dir / page_file_name(provider_id)
    write_text(path, page_html(f"EHR work: {provider_id}", specs, body))
    return path
