"""Writing charts as self-contained HTML (no network needed) and PNG, with safe file modes.

Offline HTML: the Vega, Vega-Lite and Vega-Embed JavaScript is inlined from the bundle
that ships inside ``vl-convert-python`` (``vl_convert.javascript_bundle``, the same
bundle altair's ``chart.save(path, inline=True)`` uses), so a page opens from a file
share or an e-mail attachment with no network at all. The chart's data is inlined in
its spec. The page also carries a small error hook: if the chart cannot be drawn, the
reason is shown on the page (and recorded in ``data-render-errors`` on ``<html>``)
instead of a blank space; a drawn chart's container gets ``data-rendered="true"``.
Charts render as SVG, so they stay sharp when zoomed or printed.

PNG: ``vl_convert.vegalite_to_png`` at ``SCALE`` times the chart's size; with Vega's
``fit`` autosize the PNG is exactly ``width x SCALE`` by ``height x SCALE`` pixels.

Files are written with mode 0640 and folders 0750: the report folder may be shared with
a group, never with everyone (CONTRACT.md section 6).
"""

from __future__ import annotations

import functools
import html
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import altair as alt
import vl_convert as vlc
from altair.utils._importers import vl_version_for_vl_convert

SCALE = 2
FILE_MODE = 0o640
DIR_MODE = 0o750

EMBED_OPTIONS: dict[str, Any] = {
    "mode": "vega-lite",
    "renderer": "svg",
    # "Open in Vega Editor" would send the data to a web site: off, as is the source view.
    "actions": {"export": True, "source": False, "compiled": False, "editor": False},
}

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans",
       Arial, sans-serif; color: #222; max-width: 980px; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
.lede { color: #444; }
.note { color: #555; font-size: .92rem; }
.banner { background: #eef5fb; border-left: 4px solid #0072B2; padding: .6rem .9rem; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
table { border-collapse: collapse; margin: .6rem 0; font-size: .93rem; }
th, td { border: 1px solid #ddd; padding: .3rem .6rem; text-align: left;
         vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.render-errors { background: #fdecea; border: 1px solid #D55E00; padding: .6rem;
                 white-space: pre-wrap; }
a { color: #0060a0; }
"""

ERROR_HOOK = """
(function () {
  var errors = [];
  function report(message) {
    var text = String(message && message.stack ? message.message || message : message);
    errors.push(text);
    document.documentElement.setAttribute("data-render-errors", String(errors.length));
    var box = document.getElementById("render-errors");
    if (box) {
      box.hidden = false;
      box.textContent += "This chart could not be drawn: " + text + "\\n";
    }
  }
  window.ehrlogReportError = report;
  window.addEventListener("error", function (e) { report(e.message || e); });
  window.addEventListener("unhandledrejection", function (e) { report(e.reason); });
  var original = console.error;
  console.error = function () {
    report(Array.prototype.map.call(arguments, String).join(" "));
    return original.apply(console, arguments);
  };
})();
"""

EMBED_SCRIPT = """
(function () {
  var charts = %s;
  var options = %s;
  charts.forEach(function (c) {
    var el = document.getElementById(c.id);
    vegaEmbed(el, c.spec, options)
      .then(function () { el.setAttribute("data-rendered", "true"); })
      .catch(function (e) { window.ehrlogReportError(c.id + ": " + e); });
  });
})();
"""


@dataclass(frozen=True)
class ChartFile:
    """One exported chart: file names (relative to the folder), size and text."""

    name: str
    title: str
    html: str
    png: str
    width: int
    height: int
    scale: int
    summary: str
    notes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (for ``manifest.json``)."""
        return asdict(self)


@functools.cache
def js_bundle() -> str:
    """The inlined Vega + Vega-Lite + Vega-Embed JavaScript (from vl-convert, offline)."""
    return vlc.javascript_bundle(vl_version=vl_version_for_vl_convert())


def script_json(obj: Any) -> str:
    """JSON safe to place inside a ``<script>`` element.

    >>> script_json({"a": "</script>"})
    '{"a": "<\\\\/script>"}'
    """
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def finalize(chart: alt.TopLevelMixin, description: str) -> alt.TopLevelMixin:
    """Top-level configuration: exact-size autosize, fonts, accessible description."""
    return chart.properties(description=description).configure(
        autosize=alt.AutoSizeParams(type="fit", contains="padding"),
        padding=12,
        background="white",
    ).configure_title(
        fontSize=17, subtitleFontSize=12, subtitleColor="#444", offset=10
    ).configure_axis(
        labelFontSize=12, titleFontSize=13, gridColor="#e6e6e6"
    ).configure_legend(
        labelFontSize=12, titleFontSize=12, orient="bottom", labelLimit=320
    ).configure_view(stroke=None)


def spec_dict(chart: alt.TopLevelMixin, description: str) -> dict[str, Any]:
    """The Vega-Lite spec of a finalized chart."""
    return finalize(chart, description).to_dict()


def render_png(spec: dict[str, Any]) -> bytes:
    """PNG bytes of a Vega-Lite spec at ``SCALE`` (vl-convert, no browser, no network)."""
    return vlc.vegalite_to_png(spec, vl_version=vl_version_for_vl_convert(), scale=SCALE)


def prepare_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with mode 0750 for the leaf; never world-readable."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)
    return path


def write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` with mode 0640 (created private, then widened to group)."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text with :func:`write_bytes`."""
    return write_bytes(path, text.encode("utf-8"))


def page_html(
    title: str,
    charts: Sequence[tuple[str, dict[str, Any]]],
    body: str,
    *,
    include_js: bool = True,
) -> str:
    """A complete HTML page. ``body`` holds ``<div id=...>`` placeholders for ``charts``.

    ``charts`` are (element id, Vega-Lite spec). With ``include_js`` the Vega bundle is
    inlined (needed whenever ``charts`` is not empty).
    """
    head_js = ""
    tail_js = ""
    if charts:
        if not include_js:
            raise ValueError("charts need the inlined JavaScript")
        payload = [{"id": cid, "spec": spec} for cid, spec in charts]
        head_js = (
            f"<script>{ERROR_HOOK}</script>\n"
            f"<script>\n// Vega, Vega-Lite and Vega-Embed, inlined from vl-convert\n"
            f"{js_bundle()}\n</script>"
        )
        embed = EMBED_SCRIPT % (script_json(payload), script_json(EMBED_OPTIONS))
        tail_js = f"<script>{embed}</script>"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n{head_js}\n</head>\n"
        "<body>\n<pre id=\"render-errors\" class=\"render-errors\" role=\"alert\" hidden></pre>\n"
        f"{body}\n{tail_js}\n</body>\n</html>\n"
    )


def write_chart(
    out_dir: Path,
    name: str,
    chart: alt.TopLevelMixin,
    *,
    title: str,
    summary: str,
    notes: Sequence[str] = (),
    context_html: str = "",
) -> ChartFile:
    """Write ``<name>.html`` (interactive, offline) and ``<name>.png``; return the record.

    ``summary`` (one or two sentences) and ``notes`` (suppression notes, sources) are
    plain text, escaped here; ``context_html`` (already safe HTML) is appended.
    """
    spec = spec_dict(chart, f"{title}. {summary}")
    width, height = int(spec["width"]), int(spec["height"])
    write_bytes(out_dir / f"{name}.png", render_png(spec))
    notes_html = "".join(f"<p class=\"note\">{html.escape(n)}</p>" for n in notes)
    body = (
        f"<p class=\"note\"><a href=\"index.html\">All charts</a></p>\n"
        f"<h1>{html.escape(title)}</h1>\n<p class=\"lede\">{html.escape(summary)}</p>\n"
        f"<figure><div class=\"chart\" id=\"chart\"></div>"
        f"<noscript>JavaScript is off: see {html.escape(name)}.png beside this file."
        f"</noscript></figure>\n{notes_html}\n{context_html}"
    )
    write_text(out_dir / f"{name}.html", page_html(title, [("chart", spec)], body))
    return ChartFile(
        name=name,
        title=title,
        html=f"{name}.html",
        png=f"{name}.png",
        width=width,
        height=height,
        scale=SCALE,
        summary=summary,
        notes=tuple(notes),
    )
