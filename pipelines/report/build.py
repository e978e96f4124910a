"""The two entry points: the leader folder and one clinician's page.

``build_leader_report`` reads the warehouse read-only, aggregates to groups (dropping
every group smaller than ``min_cell_size``), builds the charts of :mod:`.charts`, writes
each as HTML and PNG, then ``index.html`` and ``manifest.json``. Nothing below the
group level, and no provider id, name or patient identifier, reaches the folder.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import altair as alt

from metrics.cost import CostInputs, compute_cost, display
from metrics.thresholds import Profile
from pipelines.report import charts, page
from pipelines.report.data import (
    GroupStats,
    Methods,
    Period,
    Warehouse,
    WarehouseError,
    effective_min_cell_size,
)
from pipelines.report.export import ChartFile, prepare_dir, write_chart, write_text
from pipelines.report.texts import MEASURES, TREND_WEEKS
from pipelines.report.thresholds import Reference, load_profiles, reference, short_source
from schemas.config import WEEKDAYS, Config

REQUIRED = (
    "core.providers",
    "marts.provider_period",
    "marts.provider_week",
    "marts.department_period",
)


class ReportError(RuntimeError):
    """The report cannot be built; the message is one line."""


@dataclass
class ReportContext:
    """What every chart of one leader report shares."""

    wh: Warehouse
    period: Period
    min_cell_size: int
    profile: Profile
    seed: Profile
    methods: Methods | None
    data_range: tuple[dt.date | None, dt.date | None]
    out_dir: Path
    files: list[ChartFile] = field(default_factory=list)
    sections: dict[str, list[str]] = field(default_factory=dict)

    @property
    def roles(self) -> tuple[str, ...]:
        """Roles aggregated: those the thresholds profile flags (the flags' population)."""
        return self.profile.roles

    def ref(self, measure: str) -> Reference:
        """The lines and bands to draw for ``measure``."""
        return reference(measure, self.profile, self.seed)

    def add(self, section: str, name: str, chart: alt.TopLevelMixin, title: str,
            summary: str, notes: list[str]) -> None:
        """Write one chart and file it under ``section`` of the index."""
        f = write_chart(self.out_dir, name, chart, title=title, summary=summary, notes=notes)
        self.files.append(f)
        self.sections.setdefault(section, []).append(name)


def _plural(noun: str, n: int) -> str:
    if n == 1:
        return noun
    return noun[:-1] + "ies" if noun.endswith("y") else noun + "s"


def _suppressed_note(n: int, m: int, noun: str) -> list[str]:
    if n <= 0:
        return []
    verb = "has" if n == 1 else "have"
    return [
        f"{n} {_plural(noun, n)} {verb} fewer than {m} providers with a value (or none) "
        f"and {'is' if n == 1 else 'are'} not shown (small-cell rule)."
    ]


def _not_shown(ctx: ReportContext, stats: GroupStats, noun: str) -> int:
    """Groups of the roster (the profile's roles) that a one-row-per-group chart leaves
    out: too few providers with a value, or none at all."""
    shown = stats.rows.get_column("group").n_unique() if stats.rows.height else 0
    return max(ctx.wh.group_count(noun, ctx.roles) - shown, stats.n_suppressed)


def _ref_notes(ref: Reference) -> list[str]:
    if not ref.citation:
        return []
    out = [f"Reference lines and shading: {ref.citation}."]
    if ref.meaning:
        out.append(ref.meaning)
    return out


def _ref_subtitle(ref: Reference) -> str:
    if not ref.lines:
        return "No cited threshold for this measure."
    values = ", ".join(ln.label.split(":")[0] for ln in ref.lines)
    shade = "; shading: the cited levels" if ref.shades else ""
    return f"Dashed lines: {values} ({ref.short_source}){shade}."


def _distribution(ctx: ReportContext, group: str, measure: str, name: str) -> None:
    text = MEASURES[measure]
    stats = ctx.wh.group_stats(group, measure, ctx.period, ctx.roles, ctx.min_cell_size)
    ref = ctx.ref(measure)
    noun = group
    title = f"{text.title}, by {group}"
    chart = charts.distribution_chart(
        stats.rows,
        title=title,
        subtitle=[
            f"{ctx.period.label}: median (diamond) and middle half of providers (bar).",
            _ref_subtitle(ref),
        ],
        value_title=text.axis,
        group_title=group.capitalize(),
        ref=ref,
        value_format=text.fmt,
        domain_max=45.0 if measure == "psh40" else None,
    )
    notes = _suppressed_note(_not_shown(ctx, stats, noun), ctx.min_cell_size, noun) + (
        _ref_notes(ref))
    notes.append(f"Source: {stats.source}; providers of roles {', '.join(ctx.roles)}.")
    section = "By department" if group == "department" else "By specialty"
    ctx.add(section, name, chart, title, text.sentence, notes)


def _vacation_share(ctx: ReportContext) -> None:
    stats = ctx.wh.vacation_share(ctx.period, ctx.roles, ctx.min_cell_size)
    ref = ctx.ref("vacation_ehr_minutes_per_day")
    title = "Vacation days with EHR work, by department"
    chart = charts.vacation_share_chart(
        stats.rows,
        title=title,
        subtitle=[
            f"{ctx.period.label}: share of vacation days with any EHR work, and with more "
            "than 30 minutes of it.",
            f"30 minutes: {ref.short_source or 'Value of Feeling Valued playbook'}.",
        ],
    )
    notes = _suppressed_note(_not_shown(ctx, stats, "department"), ctx.min_cell_size,
                             "department")
    notes += [
        "Ratio of sums over the department's providers who had vacation days in the "
        "period; a department is shown only when at least "
        f"{ctx.min_cell_size} such providers contribute.",
        *_ref_notes(ref),
        f"Source: {stats.source}.",
    ]
    ctx.add(
        "By department",
        "vacation_days_with_ehr",
        chart,
        title,
        "How often vacation days included EHR work. Full inbox coverage and real time "
        "away were associated with lower odds of burnout.",
        notes,
    )


def _trends(ctx: ReportContext, week_start: str) -> None:
    end = ctx.period.end
    first_loaded, last_loaded = ctx.data_range
    if last_loaded is not None:
        end = min(end, last_loaded)
    first, last = charts.week_range(
        end, TREND_WEEKS, WEEKDAYS.index(week_start) + 1, not_before=first_loaded
    )
    results: dict[str, GroupStats] = {
        m: ctx.wh.weekly_medians(m, ctx.roles, ctx.min_cell_size, first, last)
        for m in ("wow_minutes_per_clinic_day", "inbox_messages_per_week", "ehr_time8", "psh40")
    }
    departments = [g for s in results.values() for g in s.rows.get_column("group").to_list()]
    scales = charts.department_scales(departments)
    for measure, stats in results.items():
        text = MEASURES[measure]
        ref = ctx.ref(measure)
        title = f"{text.title}: weekly department medians"
        chart = charts.trend_chart(
            stats.rows,
            title=title,
            subtitle=[
                f"Weeks starting {first.isoformat()} to {last.isoformat()}; each point is a "
                f"department's median over at least {ctx.min_cell_size} providers.",
                _ref_subtitle(ref),
            ],
            value_title=text.axis,
            scales=scales,
            ref=ref,
            value_format=text.fmt,
        )
        notes = _suppressed_note(stats.n_suppressed, ctx.min_cell_size, "department")
        weeks_out = int(stats.extra.get("n_suppressed_weeks", 0))
        if weeks_out:
            notes.append(
                f"{weeks_out} department-weeks with fewer than {ctx.min_cell_size} providers "
                "are left out; lines break there."
            )
        notes += _ref_notes(ref) + [f"Source: {stats.source}."]
        ctx.add("Weekly trends", f"trend_{_short(measure)}", chart, title, text.sentence, notes)


def _short(measure: str) -> str:
    return {
        "wow_minutes_per_clinic_day": "wow_per_clinic_day",
        "inbox_messages_per_week": "inbox_per_week",
    }.get(measure, measure)


def _levels(ctx: ReportContext) -> None:
    for mb in ctx.profile.measures:
        stats = ctx.wh.group_stats("department", mb.measure, ctx.period, ctx.roles,
                                   ctx.min_cell_size)
        rules = " · ".join(f"{b.level} {b.rule}" for b in mb.bands)
        when = (
            f"trailing year ending in {ctx.period.label}"
            if mb.grain == "trailing_year"
            else ctx.period.label
        )
        title = f"Providers at each level: {mb.unit}"
        chart = charts.level_share_chart(
            stats.rows,
            title=title,
            subtitle=[
                f"{when}; levels {rules}.",
                f"Source of the levels: {short_source(mb.citation)}.",
            ],
            levels=mb.levels,
        )
        notes = _suppressed_note(_not_shown(ctx, stats, "department"), ctx.min_cell_size,
                                 "department")
        notes += [
            f"A level with 1 to {ctx.min_cell_size - 1} providers is not shown (small-cell "
            "rule), so such a bar does not reach 100%.",
            f"Levels: {' '.join(mb.citation.split())}.",
            " ".join(mb.meaning.split()),
        ]
        ctx.add(
            "Flag levels",
            f"levels_{mb.measure}",
            chart,
            title,
            "The share of each department's flagged providers at each level: a starting "
            "point for a conversation, not a verdict on anyone.",
            notes,
        )


def _cost(ctx: ReportContext, inputs: CostInputs) -> dict[str, str]:
    result = compute_cost(inputs)
    shown = display(result)
    shown_k = f"${int(inputs.intervention_cost):,}"
    chart = charts.cost_chart(
        {
            "cost_of_departures": result.cost_of_departures,
            "savings": result.savings,
            "intervention_cost": inputs.intervention_cost,
        },
        {**shown, "intervention_cost": shown_k},
        title="Organizational cost of burnout",
        subtitle=[
            f"{shown['departures_due_to_burnout']} physicians a year leave due to burnout; "
            f"ROI of the intervention {shown['roi']}.",
            "Calculator of the AMA Value of Feeling Valued playbook (2024).",
        ],
    )
    notes = [
        "Burned-out physicians leave at twice the rate of others (AMA Wellness-Centered "
        "Leadership playbook, 2023): turnover without burnout t0 = t / (1 + b); "
        "departures = N x (t - t0); cost = departures x cost per departure; savings = "
        "reduction x cost; ROI = (savings - intervention cost) / intervention cost.",
    ]
    ctx.add(
        "Cost of burnout",
        "cost_of_burnout",
        chart,
        "Organizational cost of burnout",
        "What physician turnover due to burnout costs per year with this organization's "
        "figures, and what a well-being intervention could save.",
        notes,
    )
    return {**shown, "intervention_cost": shown_k}


def build_leader_report(
    warehouse: Path,
    out_dir: Path,
    *,
    config: Config,
    cost_inputs: CostInputs,
    period_text: str | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> list[Path]:
    """Write the leader folder; return the paths written (charts, index, manifest)."""
    try:
        with Warehouse(warehouse) as wh:
            wh.require(*REQUIRED)
            methods = wh.methods()
            profile, seed = load_profiles(
                (methods.thresholds_profile if methods else None) or config.thresholds
            )
            ctx = ReportContext(
                wh=wh,
                period=wh.select_period(period_text),
                min_cell_size=effective_min_cell_size(config.min_cell_size, methods),
                profile=profile,
                seed=seed,
                methods=methods,
                data_range=wh.data_range(),
                out_dir=prepare_dir(out_dir),
            )
            week_start = str((methods.settings if methods else {}).get("week_start")
                             or config.week_start)
            _distribution(ctx, "department", "wow_minutes_per_clinic_day", "wow_per_clinic_day")
            _distribution(ctx, "department", "inbox_messages_per_week", "inbox_per_week")
            _distribution(ctx, "department", "vacation_ehr_minutes_per_day",
                          "vacation_ehr_minutes")
            _vacation_share(ctx)
            _distribution(ctx, "specialty", "ehr_time8", "ehr_time8_by_specialty")
            _distribution(ctx, "specialty", "psh40", "psh40_by_specialty")
            _trends(ctx, week_start if week_start in WEEKDAYS else "monday")
            _levels(ctx)
            cost_shown = _cost(ctx, cost_inputs)
    except WarehouseError as e:
        raise ReportError(str(e)) from None
    index = page.index_html(ctx, cost_inputs, cost_shown, generated_at=now())
    written = [out_dir / f.html for f in ctx.files] + [out_dir / f.png for f in ctx.files]
    written.append(write_text(out_dir / "index.html", index))
    manifest = {
        "period": {"type": ctx.period.period_type, "start": ctx.period.start.isoformat(),
                   "end": ctx.period.end.isoformat(), "label": ctx.period.label},
        "min_cell_size": ctx.min_cell_size,
        "charts": [f.as_dict() for f in ctx.files],
    }
    written.append(write_text(out_dir / "manifest.json", json.dumps(manifest, indent=2)))
    return written


def build_provider_page(
    warehouse: Path,
    out_dir: Path,
    provider_id: str,
    *,
    config: Config,
    period_text: str | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Path:
    """Write one clinician's own page into ``out_dir``; return its path."""
    from pipelines.report.individual import provider_page

    try:
        with Warehouse(warehouse) as wh:
            wh.require("core.providers", "marts.provider_week")
            return provider_page(wh, prepare_dir(out_dir), provider_id, config=config,
                                 period_text=period_text, generated_at=now())
    except WarehouseError as e:
        raise ReportError(str(e)) from None


__all__ = ["ReportError", "build_leader_report", "build_provider_page"]
