"""One function per chart. Each takes group-level rows only and returns an Altair chart.

Charts are layered (never concatenated or faceted) with a fixed ``width`` and
``height``; :func:`pipelines.report.export.finalize` sizes them with Vega's ``fit``
autosize so that the whole chart, axes and legend included, is exactly that size and
the PNG exactly ``scale`` times it.

Colours are the Okabe-Ito palette (Okabe and Ito 2008, "Color Universal Design"),
distinguishable with the common colour-vision deficiencies: blue / orange / vermillion
for the low / elevated / high levels, always with the level named in the legend and
tooltip too, never colour alone. Departments in the trend charts keep one colour each
across charts; beyond eight departments the colours repeat with a different dash.
Departments are listed alphabetically, never ranked: "measure for learning, not for
judgment" (NAM Perspectives 2020, Table 2).
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from collections.abc import Sequence
from typing import Any

import altair as alt
import polars as pl

from pipelines.report.thresholds import NO_REFERENCE, Line, Reference

#: Okabe-Ito, ordered for lines on white (yellow last: weakest contrast).
OKABE_ITO = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#000000",
    "#F0E442",
)
LEVEL_COLORS = {"low": "#0072B2", "elevated": "#E69F00", "high": "#D55E00"}
LEVEL_ORDER = ("low", "elevated", "high")
MAIN = "#0072B2"
ACCENT = "#D55E00"
INK = "#333333"
DASHES = ([1, 0], [6, 3], [2, 2], [8, 3, 2, 3])
SHADE_OPACITY = {"low": 0.06, "elevated": 0.10, "high": 0.16}

WIDTH = 760
#: Characters per subtitle line (12 px text in a 760 px chart).
SUBTITLE_CHARS = 115


def _values(frame: pl.DataFrame) -> alt.Data:
    """Inline data from a frame: dates as ISO strings, NaN/inf as null."""
    frame = frame.with_columns(
        pl.col(c).cast(pl.Float64) for c, t in frame.schema.items() if isinstance(t, pl.Decimal)
    )
    out = frame.with_columns(
        [pl.col(c).cast(pl.String) for c, t in frame.schema.items() if t in (pl.Date,)]
        + [
            pl.when(pl.col(c).is_finite()).then(pl.col(c)).otherwise(None).alias(c)
            for c, t in frame.schema.items()
            if t in (pl.Float64, pl.Float32)
        ]
    )
    return alt.Data(values=out.to_dicts())


def nice_ceiling(x: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k at or above ``x``.

    >>> nice_ceiling(187.0), nice_ceiling(259.2), nice_ceiling(0)
    (200.0, 300.0, 1.0)
    """
    if not math.isfinite(x) or x <= 0:
        return 1.0
    k = math.floor(math.log10(x))
    for m in (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if m * 10**k >= x * (1 - 1e-12):
            return float(m * 10**k)
    return float(10 ** (k + 1))


def _title(text: str, subtitle: Sequence[str]) -> alt.Title:
    """A left-aligned title; subtitle lines wrapped to fit the chart's width."""
    lines = [part for s in subtitle for part in textwrap.wrap(s, SUBTITLE_CHARS)]
    return alt.Title(text, subtitle=lines, anchor="start")


def empty_chart(
    title: str, message: str, subtitle: Sequence[str] = (), height: int = 200
) -> alt.Chart:
    """A chart that says why there is nothing to draw (e.g. every group is too small)."""
    return (
        alt.Chart(alt.Data(values=[{"message": message}]))
        .mark_text(fontSize=15, color=INK)
        .encode(text="message:N")
        .properties(width=WIDTH, height=height, title=_title(title, subtitle))
    )


def _shade_layer(ref: Reference, channel: str, top: float) -> list[alt.Chart]:
    """Faint background bands of the cited levels, along ``channel`` ('x' or 'y').

    One layer per band with a fixed colour (no colour encoding), so that the bands never
    share a colour scale with the data layers.
    """
    out: list[alt.Chart] = []
    for s in ref.shades:
        if s.lo >= top:
            continue
        row = {
            "lo": s.lo,
            "hi": top if s.hi is None else min(s.hi, top),
            "band": f"{s.level} ({s.rule}), {ref.short_source}",
        }
        enc: dict[str, Any] = {
            channel: alt.X("lo:Q") if channel == "x" else alt.Y("lo:Q"),
            f"{channel}2": "hi:Q",
            "tooltip": [alt.Tooltip("band:N", title="Cited band")],
        }
        out.append(
            alt.Chart(alt.Data(values=[row]))
            .mark_rect(color=LEVEL_COLORS[s.level], opacity=SHADE_OPACITY[s.level])
            .encode(**enc)
        )
    return out


def _line_layers(lines: Sequence[Line], channel: str, top: float) -> list[alt.Chart]:
    """Dashed reference lines with their labels (value and short citation).

    Vertical lines (``channel`` 'x') are labelled above the plot, one row per line so
    that labels of nearby lines never collide; horizontal lines at their left and right
    ends in turn.
    Labels get a white halo so that they stay readable over data.
    """
    shown = [ln for ln in lines if ln.value <= top]
    rules: list[alt.Chart] = []
    halos: list[alt.Chart] = []
    texts: list[alt.Chart] = []
    for i, line in enumerate(shown):
        data = alt.Data(values=[{"value": line.value, "label": line.label}])
        pos = alt.X("value:Q") if channel == "x" else alt.Y("value:Q")
        rules.append(
            alt.Chart(data)
            .mark_rule(color=INK, strokeDash=[6, 4], strokeWidth=1.5)
            .encode(**{channel: pos, "tooltip": [alt.Tooltip("label:N", title="Reference")]})
        )
        if channel == "x":
            right = line.value > 0.55 * top
            style: dict[str, Any] = {
                "align": "right" if right else "left",
                "baseline": "bottom",
                "dx": 4 if right else -4,
                "dy": -4 - 15 * (len(shown) - 1 - i),
            }
            enc: dict[str, Any] = {"x": pos, "y": alt.value(0), "text": "label:N"}
        else:  # alternate left and right ends, so labels of close lines do not collide
            right = i % 2 == 1
            style = {"align": "right" if right else "left", "baseline": "bottom",
                     "dx": -4 if right else 4, "dy": -3}
            enc = {"y": pos, "x": alt.value("width" if right else 0), "text": "label:N"}
        halo = {"stroke": "white", "strokeWidth": 4, "strokeOpacity": 0.9, "strokeJoin": "round"}
        halos.append(alt.Chart(data).mark_text(fontSize=11, **halo, **style).encode(**enc))
        texts.append(alt.Chart(data).mark_text(fontSize=11, color=INK, **style).encode(**enc))
    return rules + halos + texts


def distribution_chart(
    rows: pl.DataFrame,
    *,
    title: str,
    subtitle: Sequence[str],
    value_title: str,
    group_title: str,
    ref: Reference = NO_REFERENCE,
    value_format: str = ",.0f",
    domain_max: float | None = None,
) -> alt.LayerChart | alt.Chart:
    """Median (diamond) and interquartile range (bar) of a measure per group.

    ``rows``: ``group``, ``n_providers``, ``median``, ``p25``, ``p75`` for shown groups.
    """
    if rows.height == 0:
        return empty_chart(
            title, "No group has enough providers with a value to show.", subtitle[:1]
        )
    top = domain_max or nice_ceiling(
        max(
            rows.select(pl.max_horizontal("median", "p25", "p75").max()).item() or 0.0,
            ref.max_value,
        )
        * 1.08
    )
    groups = sorted(rows.get_column("group").to_list())
    height = max(240, 110 + 36 * len(groups))
    xq = {"scale": alt.Scale(domain=[0, top], nice=False, clamp=True), "title": value_title}
    y = alt.Y("group:N", title=group_title, sort=groups, axis=alt.Axis(labelLimit=240))
    tips = [
        alt.Tooltip("group:N", title=group_title),
        alt.Tooltip("n_providers:Q", title="Providers"),
        alt.Tooltip("median:Q", title="Median", format=value_format),
        alt.Tooltip("p25:Q", title="25th percentile", format=value_format),
        alt.Tooltip("p75:Q", title="75th percentile", format=value_format),
    ]
    iqr = (
        alt.Chart()
        .mark_rule(strokeWidth=6, color="#56B4E9", opacity=0.85)
        .encode(y=y, x=alt.X("p25:Q", **xq), x2="p75:Q", tooltip=tips)
    )
    med = (
        alt.Chart()
        .mark_point(filled=True, size=130, shape="diamond", color=MAIN, opacity=1)
        .encode(y=y, x=alt.X("median:Q", **xq), tooltip=tips)
    )
    label = (
        alt.Chart()
        .mark_text(align="left", dx=9, dy=-11, fontSize=11, color=INK)
        .encode(y=y, x=alt.X("median:Q", **xq), text=alt.Text("median:Q", format=value_format))
    )
    frame = rows.select("group", "n_providers", "median", "p25", "p75")
    main = alt.layer(iqr, med, label, data=_values(frame))
    layers = [*_shade_layer(ref, "x", top), main, *_line_layers(ref.lines, "x", top)]
    return alt.layer(*layers).properties(
        width=WIDTH, height=height, title=_title(title, subtitle)
    )


STROKE_LEGEND = alt.Legend(symbolType="stroke", symbolStrokeWidth=3, symbolSize=400)


def _week_axis(weeks: pl.Series) -> alt.X:
    """A UTC time axis with ticks on the weeks' own start dates (at most 14 labels)."""
    days = sorted(set(weeks.drop_nulls().to_list()))
    step = max(1, math.ceil(len(days) / 14))
    epoch = dt.date(1970, 1, 1)
    ticks = [(d - epoch).days * 86_400_000 for d in days[::step]]
    return alt.X(
        "week_start:T",
        title="Week starting",
        scale=alt.Scale(type="utc"),
        axis=alt.Axis(
            values=ticks, format="%b %-d", labelAngle=0, labelOverlap=True, labelFlush=False
        ),
    )


def department_scales(departments: Sequence[str]) -> tuple[alt.Scale, alt.Scale]:
    """Colour and dash scales giving each department one look across charts."""
    names = sorted(set(departments))
    colors = [OKABE_ITO[i % len(OKABE_ITO)] for i in range(len(names))]
    dashes = [DASHES[(i // len(OKABE_ITO)) % len(DASHES)] for i in range(len(names))]
    return alt.Scale(domain=names, range=colors), alt.Scale(domain=names, range=dashes)


def _with_gaps(rows: pl.DataFrame, key: str = "group") -> pl.DataFrame:
    """Insert null rows for missing weeks inside each ``key``'s span, so lines break there."""
    if rows.height == 0:
        return rows
    spans = rows.group_by(key).agg(
        first=pl.col("week_start").min(), last=pl.col("week_start").max()
    )
    grid = spans.with_columns(
        week_start=pl.date_ranges("first", "last", interval="1w")
    ).explode("week_start").select(key, "week_start")
    return grid.join(rows, on=[key, "week_start"], how="left").sort(key, "week_start")


def _axis_title(text: str, max_chars: int = 28) -> str | list[str]:
    """An axis title, on two lines when long (so it never outgrows a short axis).

    >>> _axis_title("Patient scheduled hours per 40-hour week")
    ['Patient scheduled', 'hours per 40-hour week']
    """
    if len(text) <= max_chars:
        return text
    words = text.split()
    best = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - len(text) / 2))
    return [" ".join(words[:best]), " ".join(words[best:])]


def trend_chart(
    rows: pl.DataFrame,
    *,
    title: str,
    subtitle: Sequence[str],
    value_title: str,
    scales: tuple[alt.Scale, alt.Scale],
    ref: Reference = NO_REFERENCE,
    value_format: str = ",.0f",
) -> alt.LayerChart | alt.Chart:
    """Weekly department medians over time, with the cited lines and bands.

    ``rows``: ``group``, ``week_start``, ``n_providers``, ``median``; weeks a department
    had too few providers are absent and the line breaks there.
    """
    if rows.height == 0:
        return empty_chart(
            title, "No department-week has enough providers to show.", subtitle[:1]
        )
    top = nice_ceiling(max(rows.get_column("median").max() or 0.0, ref.max_value) * 1.1)
    data = _with_gaps(rows.select("group", "week_start", "n_providers", "median"))
    data = data.with_columns(week=pl.col("week_start").dt.strftime("%Y-%m-%d"))
    color, dash = scales
    x = _week_axis(rows.get_column("week_start"))
    yq = {
        "scale": alt.Scale(domain=[0, top], nice=False, clamp=True),
        "title": _axis_title(value_title),
    }
    tips = [
        alt.Tooltip("group:N", title="Department"),
        alt.Tooltip("week:N", title="Week starting"),
        alt.Tooltip("median:Q", title="Median", format=value_format),
        alt.Tooltip("n_providers:Q", title="Providers"),
    ]
    lines = (
        alt.Chart(_values(data))
        .mark_line(point=alt.OverlayMarkDef(filled=True, size=40), strokeWidth=2,
                   invalid="break-paths-show-domains")
        .encode(
            x=x,
            y=alt.Y("median:Q", **yq),
            color=alt.Color("group:N", scale=color, title="Department", legend=STROKE_LEGEND),
            strokeDash=alt.StrokeDash(
                "group:N", scale=dash, title="Department", legend=STROKE_LEGEND
            ),
            tooltip=tips,
        )
    )
    layers = [*_shade_layer(ref, "y", top), lines, *_line_layers(ref.lines, "y", top)]
    return alt.layer(*layers).properties(width=WIDTH, height=380, title=_title(title, subtitle))


def level_share_chart(
    rows: pl.DataFrame, *, title: str, subtitle: Sequence[str], levels: Sequence[str]
) -> alt.LayerChart | alt.Chart:
    """Share of providers at each flag level per department (stacked bars).

    ``rows``: ``group``, ``n_providers``, ``n_low``, ``n_elevated``, ``n_high``. A null
    count (between 1 and min_cell_size - 1) is left out, never estimated: such bars do
    not reach 100%.
    """
    long = (
        rows.unpivot(
            index=["group", "n_providers"],
            on=[f"n_{lv}" for lv in levels],
            variable_name="level",
            value_name="count",
        )
        .with_columns(pl.col("level").str.strip_prefix("n_"))
        .filter(pl.col("count").is_not_null() & (pl.col("count") > 0))
        .with_columns(
            share=pl.col("count") / pl.col("n_providers"),
            level_order=pl.col("level").replace_strict(
                {lv: i for i, lv in enumerate(LEVEL_ORDER)}, return_dtype=pl.Int64
            ),
        )
    )
    if long.height == 0:
        message = (
            "Every level with providers in it has fewer than the smallest group size, so "
            "none is shown."
            if rows.height
            else "No department has enough providers to show."
        )
        return empty_chart(title, message, subtitle)
    groups = sorted(rows.get_column("group").to_list())
    height = max(240, 110 + 36 * len(groups))
    y = alt.Y("group:N", title="Department", sort=groups, axis=alt.Axis(labelLimit=240))
    x = alt.X(
        "share:Q",
        stack="zero",
        title="Share of providers with a value",
        scale=alt.Scale(domain=[0, 1], nice=False),
        axis=alt.Axis(format="%"),
    )
    shown_levels = [lv for lv in LEVEL_ORDER if lv in levels]
    color = alt.Color(
        "level:N",
        title="Level",
        sort=shown_levels,
        scale=alt.Scale(domain=shown_levels, range=[LEVEL_COLORS[lv] for lv in shown_levels]),
    )
    tips = [
        alt.Tooltip("group:N", title="Department"),
        alt.Tooltip("level:N", title="Level"),
        alt.Tooltip("count:Q", title="Providers at this level"),
        alt.Tooltip("n_providers:Q", title="Providers with a value"),
        alt.Tooltip("share:Q", title="Share", format=".0%"),
    ]
    bars = alt.Chart().mark_bar(height={"band": 0.7}).encode(
        x=x, y=y, color=color, order=alt.Order("level_order:Q"), tooltip=tips
    )
    text = (
        alt.Chart()
        .transform_filter("datum.share >= 0.07")
        .mark_text(align="right", dx=-4, fontSize=11, color="white", fontWeight="bold")
        .encode(x=x, y=y, detail="level:N", order=alt.Order("level_order:Q"), text="count:Q")
    )
    return alt.layer(bars, text, data=_values(long)).properties(
        width=WIDTH, height=height, title=_title(title, subtitle)
    )


def vacation_share_chart(
    rows: pl.DataFrame, *, title: str, subtitle: Sequence[str]
) -> alt.LayerChart | alt.Chart:
    """Share of vacation days with any EHR work and with more than 30 minutes, per department.

    ``rows``: ``group``, ``n_providers``, ``vacation_days``, ``days_with_ehr``,
    ``days_over_30_min``, ``share_any``, ``share_over_30``.
    """
    if rows.height == 0:
        return empty_chart(
            title, "No department has enough providers with vacation days.", subtitle[:1]
        )
    any_label, over_label = "Any EHR work", "More than 30 minutes of EHR work"
    long = pl.concat(
        [
            rows.select(
                "group", "n_providers", "vacation_days",
                days=pl.col("days_with_ehr"), share=pl.col("share_any"),
                series=pl.lit(any_label),
            ),
            rows.select(
                "group", "n_providers", "vacation_days",
                days=pl.col("days_over_30_min"), share=pl.col("share_over_30"),
                series=pl.lit(over_label),
            ),
        ]
    )
    groups = sorted(rows.get_column("group").to_list())
    height = max(260, 120 + 56 * len(groups))
    y = alt.Y("group:N", title="Department", sort=groups, axis=alt.Axis(labelLimit=240))
    x = alt.X(
        "share:Q",
        title="Share of vacation days",
        scale=alt.Scale(domain=[0, 1], nice=False),
        axis=alt.Axis(format="%"),
    )
    series = [any_label, over_label]
    color = alt.Color(
        "series:N", title="Vacation days with", sort=series,
        scale=alt.Scale(domain=series, range=[MAIN, ACCENT]),
    )
    off = alt.YOffset("series:N", sort=series)
    tips = [
        alt.Tooltip("group:N", title="Department"),
        alt.Tooltip("series:N", title="Days with"),
        alt.Tooltip("days:Q", title="Vacation days with it"),
        alt.Tooltip("vacation_days:Q", title="Vacation days"),
        alt.Tooltip("share:Q", title="Share", format=".0%"),
        alt.Tooltip("n_providers:Q", title="Providers with vacation days"),
    ]
    bars = alt.Chart().mark_bar().encode(x=x, y=y, yOffset=off, color=color, tooltip=tips)
    text = (
        alt.Chart()
        .mark_text(align="left", dx=4, fontSize=11, color=INK)
        .encode(x=x, y=y, yOffset=off, text=alt.Text("share:Q", format=".0%"))
    )
    return alt.layer(bars, text, data=_values(long)).properties(
        width=WIDTH, height=height, title=_title(title, subtitle)
    )


def cost_chart(
    figures: dict[str, float], shown: dict[str, str], *, title: str, subtitle: Sequence[str]
) -> alt.LayerChart:
    """The calculator's money figures as bars labelled with the playbook's display strings.

    ``figures``/``shown``: unrounded and displayed values keyed ``cost_of_departures``,
    ``savings`` and ``intervention_cost``.
    """
    labels = {
        "cost_of_departures": "Annual cost of physician turnover due to burnout",
        "savings": "Savings from the intervention",
        "intervention_cost": "Cost of the intervention",
    }
    colors = {"cost_of_departures": ACCENT, "savings": "#009E73", "intervention_cost": MAIN}
    rows = [
        {"what": labels[k], "amount": max(figures[k], 0.0), "shown": shown[k], "key": k}
        for k in labels
    ]
    order = [labels[k] for k in labels]
    top = nice_ceiling(max(r["amount"] for r in rows) * 1.25)
    y = alt.Y("what:N", title=None, sort=order, axis=alt.Axis(labelLimit=340))
    x = alt.X(
        "amount:Q",
        title="US dollars per year",
        axis=alt.Axis(format="$~s"),
        scale=alt.Scale(domain=[0, top], nice=False),
    )
    color = alt.Color(
        "what:N", legend=None,
        scale=alt.Scale(domain=order, range=[colors[k] for k in labels]),
    )
    tips = [alt.Tooltip("what:N", title="Figure"), alt.Tooltip("shown:N", title="Amount")]
    bars = alt.Chart().mark_bar(height={"band": 0.6}).encode(
        x=x, y=y, color=color, tooltip=tips
    )
    text = alt.Chart().mark_text(align="left", dx=5, fontSize=13, color=INK).encode(
        x=x, y=y, text="shown:N"
    )
    return alt.layer(bars, text, data=alt.Data(values=rows)).properties(
        width=WIDTH, height=300, title=_title(title, subtitle)
    )


def provider_trend_chart(
    mine: pl.DataFrame,
    department: pl.DataFrame | None,
    *,
    title: str,
    subtitle: Sequence[str],
    value_title: str,
    ref: Reference = NO_REFERENCE,
    value_format: str = ",.0f",
    mine_label: str = "Your weeks",
    department_label: str = "Department median",
) -> alt.LayerChart | alt.Chart:
    """One clinician's weekly values against the thresholds and their department median.

    ``mine``: ``week_start``, ``value``. ``department``: ``week_start``, ``value``,
    ``n_providers`` (weeks with enough providers only) or None when not shown.
    """
    parts = [mine.select("week_start", "value", series=pl.lit(mine_label))]
    if department is not None and department.height:
        parts.append(
            department.select("week_start", "value", series=pl.lit(department_label))
        )
    data = _with_gaps(pl.concat(parts, how="diagonal_relaxed"), key="series").with_columns(
        week=pl.col("week_start").dt.strftime("%Y-%m-%d")
    )
    if data.get_column("value").drop_nulls().len() == 0 and not ref.lines:
        return empty_chart(title, "No week has a value for this measure.", subtitle)
    vmax = data.get_column("value").drop_nans().max()
    top = nice_ceiling(max(float(vmax) if vmax is not None else 0.0, ref.max_value) * 1.1)
    series = [mine_label, department_label]
    x = _week_axis(data.get_column("week_start"))
    y = alt.Y(
        "value:Q",
        title=_axis_title(value_title),
        scale=alt.Scale(domain=[0, top], nice=False, clamp=True),
    )
    lines = (
        alt.Chart(_values(data))
        .mark_line(point=alt.OverlayMarkDef(filled=True, size=40), strokeWidth=2,
                   invalid="break-paths-show-domains")
        .encode(
            x=x,
            y=y,
            color=alt.Color("series:N", title=None, sort=series, legend=STROKE_LEGEND,
                            scale=alt.Scale(domain=series, range=["#000000", MAIN])),
            strokeDash=alt.StrokeDash("series:N", title=None, sort=series, legend=STROKE_LEGEND,
                                      scale=alt.Scale(domain=series, range=[[1, 0], [6, 3]])),
            tooltip=[
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("week:N", title="Week starting"),
                alt.Tooltip("value:Q", title="Value", format=value_format),
            ],
        )
    )
    layers = [*_shade_layer(ref, "y", top), lines, *_line_layers(ref.lines, "y", top)]
    return alt.layer(*layers).properties(width=WIDTH, height=300, title=_title(title, subtitle))


def week_of(day: dt.date, week_start_weekday: int) -> dt.date:
    """The start of the week holding ``day`` (weeks start on ISO weekday ``week_start_weekday``).

    >>> week_of(dt.date(2026, 3, 31), 1)
    datetime.date(2026, 3, 30)
    """
    return day - dt.timedelta(days=(day.isoweekday() - week_start_weekday) % 7)


def week_range(
    end: dt.date, weeks: int, week_start_weekday: int, not_before: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """First and last week start of the ``weeks`` weeks whose last one contains ``end``,
    starting no earlier than the week holding ``not_before``.

    >>> week_range(dt.date(2026, 3, 31), 2, 1)
    (datetime.date(2026, 3, 23), datetime.date(2026, 3, 30))
    """
    last = week_of(end, week_start_weekday)
    first = last - dt.timedelta(weeks=weeks - 1)
    if not_before is not None:
        first = max(first, week_of(not_before, week_start_weekday))
    return first, last
