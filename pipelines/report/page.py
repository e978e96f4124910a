"""``index.html`` of the leader folder: every chart as a PNG with one or two sentences,
a link to its interactive HTML, the period, the data's date range, the cost calculator's
figures and the methods card summary. Plain HTML with relative links: it opens offline.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import TYPE_CHECKING

from metrics.cost import LABELS, SUFFIX, CostInputs
from pipelines.report.export import page_html

if TYPE_CHECKING:
    from pipelines.report.build import ReportContext

IMAGE_CHECK = """<script>
window.addEventListener("load", function () {
  var imgs = document.querySelectorAll("img"), ok = 0;
  imgs.forEach(function (i) {
    var good = i.complete && i.naturalWidth > 0;
    i.setAttribute("data-loaded", String(good));
    if (good) { ok += 1; }
  });
  document.documentElement.setAttribute("data-images-loaded", ok + "/" + imgs.length);
});
</script>"""

PALETTE_NOTE = (
    "Colours: the Okabe-Ito palette, readable with the common colour-vision deficiencies; "
    "levels are blue (low), orange (elevated) and vermillion (high) and are always named "
    "in the legend and the tooltip too. Departments are listed alphabetically, never "
    "ranked."
)


def _e(x: object) -> str:
    return html.escape("" if x is None else str(x))


def _slug(section: str) -> str:
    return section.lower().replace(" ", "-")


def _row(label: str, value: object) -> str:
    return f"<tr><th scope=\"row\">{_e(label)}</th><td>{_e(value)}</td></tr>"


def _methods_table(ctx: ReportContext) -> str:
    m = ctx.methods
    start, end = ctx.data_range
    rows = [_row("Data loaded (local dates)", f"{start} to {end}")]
    if m is None:
        rows.append(_row("Methods card", "no run recorded in marts.methods"))
    else:
        quarantined = m.quarantined_by_reason
        q_text = (
            ", ".join(f"{k}: {v:,}" for k, v in quarantined.items()) if quarantined else "none"
        )
        unmapped = "n/a" if m.unmapped_share is None else f"{m.unmapped_share:.2%}"
        rows += [
            _row("Software version", m.software_version),
            _row("Metric settings hash", m.settings_hash),
            _row("Thresholds profile", m.thresholds_profile),
            _row("Unmapped audit-log actions (share of events)", unmapped),
            _row("Rows quarantined in the latest run, by reason", q_text),
            _row("Events of user ids not in the roster",
                 "n/a" if m.unrostered_events is None else f"{m.unrostered_events:,}"),
            _row("Latest run", m.run_at),
        ]
    rows.append(_row("Smallest group shown (min_cell_size)", ctx.min_cell_size))
    rows.append(_row("Roles included", ", ".join(ctx.roles)))
    return "<table>" + "".join(rows) + "</table>"


def _cost_table(inputs: CostInputs, shown: dict[str, str]) -> str:
    given = [
        _row("Physicians", f"{inputs.physicians:,.0f}"),
        _row("Burnout rate", f"{inputs.burnout_rate * 100:g}%"),
        _row("Overall turnover per year", f"{inputs.turnover_rate * 100:g}%"),
        _row("Cost per physician departure", f"${inputs.cost_per_turnover:,.0f}"),
        _row("Intervention cost per year", shown["intervention_cost"]),
        _row("Relative burnout reduction", f"{inputs.burnout_reduction * 100:g}%"),
    ]
    figures = [_row(LABELS[k], shown[k] + SUFFIX.get(k, "")) for k in LABELS]
    return (
        "<h3>Inputs</h3><table>" + "".join(given) + "</table>"
        "<h3>Figures</h3><table>" + "".join(figures) + "</table>"
    )


def _sources(ctx: ReportContext) -> str:
    items = []
    for mb in ctx.profile.measures:
        bands = ", ".join(f"{b.level} {b.rule}" for b in mb.bands)
        items.append(
            f"<li><strong>{_e(mb.measure)}</strong> ({_e(bands)}): "
            f"{_e(' '.join(mb.citation.split()))}. {_e(' '.join(mb.meaning.split()))}</li>"
        )
    return f"<ul>{''.join(items)}</ul>"


def index_html(
    ctx: ReportContext,
    cost_inputs: CostInputs,
    cost_shown: dict[str, str],
    *,
    generated_at: dt.datetime,
) -> str:
    """The index page of the leader folder (safe HTML, every value escaped)."""
    p = ctx.period
    start, end = ctx.data_range
    by_name = {f.name: f for f in ctx.files}
    toc = "".join(
        f"<li><a href=\"#{_slug(s)}\">{_e(s)}</a></li>" for s in [*ctx.sections, "Methods"]
    )
    parts = [
        "<h1>EHR work and clinician well-being: department report</h1>",
        f"<p class=\"lede\">Reporting period: <strong>{_e(p.label)}</strong> "
        f"({_e(p.start)} to {_e(p.end)}). Data loaded: <strong>{_e(start)} to {_e(end)}"
        f"</strong>. Generated {_e(generated_at.strftime('%Y-%m-%d %H:%M UTC'))}.</p>",
        "<p class=\"banner\">Measure for learning, not for judgment (NAM Perspectives 2020, "
        "Table 2). These charts show department and specialty aggregates only: a group with "
        f"fewer than {ctx.min_cell_size} providers with a value is never drawn. Individual "
        "results go to the clinician and their direct leader only.</p>",
        f"<nav><ul>{toc}</ul></nav>",
    ]
    for section, names in ctx.sections.items():
        parts.append(f"<h2 id=\"{_slug(section)}\">{_e(section)}</h2>")
        for name in names:
            f = by_name[name]
            notes = "".join(f"<p class=\"note\">{_e(n)}</p>" for n in f.notes)
            parts.append(
                f"<h3>{_e(f.title)}</h3><p>{_e(f.summary)}</p>"
                f"<figure><a href=\"{_e(f.html)}\"><img src=\"{_e(f.png)}\" "
                f"width=\"{f.width}\" height=\"{f.height}\" alt=\"{_e(f.title)}. "
                f"{_e(f.summary)}\"></a><figcaption class=\"note\">"
                f"<a href=\"{_e(f.html)}\">Interactive version with tooltips</a> (opens "
                "without a network).</figcaption></figure>" + notes
            )
        if section == "Cost of burnout":
            parts.append(_cost_table(cost_inputs, cost_shown))
    parts += [
        "<h2 id=\"methods\">Methods</h2>",
        _methods_table(ctx),
        "<h3>Thresholds and their sources</h3>",
        f"<p>Profile <code>{_e(ctx.profile.name)}</code>. "
        f"{_e(' '.join(ctx.profile.description.split()))}</p>",
        _sources(ctx),
        "<p class=\"note\">PSH40 references: the 40-hour week itself and the national "
        "median of 33.2 hours (Sinsky, Rotenstein, Holmgren, Apathy, JAMIA 2024).</p>",
        f"<p class=\"note\">{_e(PALETTE_NOTE)}</p>",
        IMAGE_CHECK,
    ]
    return page_html(f"Department report {p.label}", [], "\n".join(parts))
