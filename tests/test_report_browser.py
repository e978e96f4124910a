"""The exported pages render in a real browser with no network.

Headless Chromium (``/usr/bin/chromium``, or ``$EHRLOG_CHROMIUM``) runs with networking
disabled (and any proxied request sent to a closed port, any host name unresolvable)
and dumps the DOM after scripts ran (``--dump-dom --virtual-time-budget``). Console
output is captured with ``--enable-logging=stderr``.

- ``index.html`` and one chart page are opened directly via ``file://``.
- Every page of the folder (index, every chart, one clinician's page), plus a
  deliberately broken chart as a negative control, is opened in one further Chromium
  run by a small harness page that loads each page in an ``<iframe>`` (file pages may
  read each other only with ``--allow-file-access-from-files``, used for this run only)
  and writes what it found as JSON into its own DOM: one browser start instead of one
  per page keeps the test fast.

A page passes when every chart container (``div.chart``) has ``data-rendered="true"``
(set once ``vegaEmbed`` resolved) and holds an ``<svg>`` with drawn marks, the page's
error hook recorded nothing (``data-render-errors`` on ``<html>``, filled by
``window.onerror``, unhandled rejections and ``console.error``), every ``<img>`` loaded,
and Chromium's console log shows no error for it.

Without Chromium the tests are skipped; with ``EHRLOG_REQUIRE_BROWSER=1`` a missing
browser is a failure.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from test_report import leader_folder, provider_ids, run_report

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-default-browser-check",
    "--proxy-server=http://127.0.0.1:9",  # anything that tries the network fails
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--enable-logging=stderr",
    "--v=0",
    "--dump-dom",
)

HARNESS = """<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body><pre id="results"></pre>
<script>
const pages = %s;
function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
function settled(d) {
  if (!d || d.readyState !== "complete") { return false; }
  if (d.documentElement.hasAttribute("data-render-errors")) { return true; }
  const charts = Array.from(d.querySelectorAll("div.chart"));
  return charts.every(function (c) { return c.getAttribute("data-rendered") === "true"; });
}
async function check(url) {
  const frame = document.createElement("iframe");
  frame.style.width = "1100px";
  frame.style.height = "900px";
  const loaded = new Promise(function (r) { frame.onload = r; });
  frame.src = url;
  document.body.appendChild(frame);
  await loaded;
  let d = frame.contentDocument;
  for (let i = 0; i < 200 && !settled(d); i++) { await sleep(50); d = frame.contentDocument; }
  if (!d) { return {page: url, error: "the frame's document is not readable"}; }
  const marks = ".role-mark path, .role-mark rect, .role-mark text, .role-mark line";
  const result = {
    page: url,
    charts: Array.from(d.querySelectorAll("div.chart")).map(function (c) {
      return {id: c.id, rendered: c.getAttribute("data-rendered"),
              svg: c.querySelectorAll("svg.marks").length,
              marks: c.querySelectorAll(marks).length};
    }),
    images: Array.from(d.images).map(function (i) {
      return {src: i.getAttribute("src"), ok: i.complete && i.naturalWidth > 0};
    }),
    errors: d.documentElement.getAttribute("data-render-errors"),
    box: (d.getElementById("render-errors") || {}).textContent || ""
  };
  frame.remove();
  return result;
}
(async function () {
  const results = [];
  for (const p of pages) {
    try { results.push(await check(p)); }
    catch (e) { results.push({page: p, error: String(e)}); }
  }
  document.getElementById("results").textContent = JSON.stringify(results);
  document.documentElement.setAttribute("data-done", "1");
})();
</script></body></html>
"""


def find_chromium() -> str | None:
    """The Chromium executable, or None."""
    override = os.environ.get("EHRLOG_CHROMIUM")
    for cand in (override, *CHROMIUM_CANDIDATES):
        if cand and (found := shutil.which(cand)):
            return found
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        if os.environ.get("EHRLOG_REQUIRE_BROWSER") == "1":
            pytest.fail("EHRLOG_REQUIRE_BROWSER=1 but no Chromium was found")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return path


@dataclass(frozen=True)
class Rendered:
    """What Chromium made of one page: the DOM after scripts ran, and console lines."""

    page: str
    dom: str
    console: list[str]
    returncode: int


def render(chromium: str, page: Path, *extra: str, budget_ms: int = 15_000) -> Rendered:
    """Open ``page`` in headless Chromium (fresh profile); return the DOM and console."""
    with tempfile.TemporaryDirectory(prefix="ehrlog-chromium-") as profile:
        proc = subprocess.run(
            [chromium, *FLAGS, *extra, f"--virtual-time-budget={budget_ms}",
             f"--user-data-dir={profile}", page.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    console = [ln for ln in proc.stderr.splitlines() if ":CONSOLE" in ln]
    return Rendered(page.name, proc.stdout, console, proc.returncode)


def console_errors(lines: list[str], page_uri: str | None = None) -> list[str]:
    """Console lines reporting an error (optionally only those from one page)."""
    bad = [ln for ln in lines if re.search(r"uncaught|error", ln, re.I)]
    return [ln for ln in bad if page_uri is None or page_uri in ln]


def html_tag(dom: str) -> str:
    """The opening ``<html>`` tag of a dumped DOM."""
    m = re.search(r"<html\b[^>]*>", dom)
    assert m, "no <html> element in the dumped DOM"
    return m.group(0)


def error_box(dom: str) -> str:
    """Text of the page's ``#render-errors`` box."""
    m = re.search(r'<pre id="render-errors"[^>]*>(.*?)</pre>', dom, re.S)
    return m.group(1).strip() if m else ""


def harness_run(
    chromium: str, pages: list[Path], workdir: Path
) -> tuple[dict[str, Any], list[str]]:
    """Load every page in one Chromium via the iframe harness; results by file name."""
    harness = workdir / "harness.html"
    harness.write_text(HARNESS % json.dumps([p.resolve().as_uri() for p in pages]))
    r = render(chromium, harness, "--allow-file-access-from-files", budget_ms=300_000)
    assert r.returncode == 0, r.returncode
    assert 'data-done="1"' in html_tag(r.dom), "the harness did not finish"
    m = re.search(r'<pre id="results">(.*?)</pre>', r.dom, re.S)
    assert m, "no harness results"
    results = json.loads(html.unescape(m.group(1)))
    return {Path(x["page"]).name: x for x in results}, r.console


def assert_page_ok(result: dict[str, Any], n_charts: int, console: list[str]) -> None:
    """Every chart drawn with marks, every image loaded, no error of any kind."""
    page = result["page"]
    assert "error" not in result, result
    assert result["errors"] is None and not result["box"].strip(), (page, result["box"])
    charts = result["charts"]
    assert len(charts) == n_charts, (page, charts)
    for c in charts:
        assert c["rendered"] == "true" and c["svg"] >= 1 and c["marks"] >= 1, (page, c)
    assert all(i["ok"] for i in result["images"]), (page, result["images"])
    assert not console_errors(console, page), console_errors(console, page)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The default leader folder of test_report (built once per session)."""
    return leader_folder(tmp_path_factory)


def test_index_renders_with_every_image(chromium: str, folder: tuple[Path, Path]) -> None:
    _, out = folder
    r = render(chromium, out / "index.html")
    assert r.returncode == 0
    assert "data-render-errors" not in html_tag(r.dom) and error_box(r.dom) == ""
    n = len(list(out.glob("*.png")))
    assert f'data-images-loaded="{n}/{n}"' in html_tag(r.dom), html_tag(r.dom)
    assert not console_errors(r.console), r.console


def test_a_chart_page_renders_directly(chromium: str, folder: tuple[Path, Path]) -> None:
    _, out = folder
    r = render(chromium, out / "trend_wow_per_clinic_day.html")
    assert r.returncode == 0
    assert "data-render-errors" not in html_tag(r.dom) and error_box(r.dom) == ""
    m = re.search(r'<div class="chart[^"]*" id="chart"[^>]*>(.*?)</figure>', r.dom, re.S)
    assert m and 'data-rendered="true"' in m.group(0), "chart not drawn"
    assert re.search(r'<svg\b[^>]*class="marks"', m.group(1)), "no Vega SVG"
    assert len(re.findall(r'class="mark-line role-mark', m.group(1))) >= 1
    assert len(re.findall(r"<path\b", m.group(1))) >= 10
    assert not console_errors(r.console), r.console


def test_every_page_renders_offline(
    chromium: str, folder: tuple[Path, Path], tmp_path: Path
) -> None:
    wh, out = folder
    me = provider_ids(wh)[0]
    personal = tmp_path / "personal"
    assert run_report("--warehouse", str(wh), "--out", str(personal), "--provider", me
                      ).exit_code == 0
    chart_pages = sorted(p for p in out.glob("*.html") if p.name != "index.html")
    assert len(chart_pages) >= 16
    # Negative control: a chart whose spec Vega rejects must be reported, not blank.
    source = (out / "wow_per_clinic_day.html").read_text()
    broken = source.replace('"mark": {"type": "rule"', '"mark": {"type": "no-such-mark"', 1)
    assert broken != source
    (tmp_path / "broken.html").write_text(broken)
    pages = [out / "index.html", *chart_pages, personal / f"provider-{me}.html",
             tmp_path / "broken.html"]
    results, console = harness_run(chromium, pages, tmp_path)
    assert set(results) == {p.name for p in pages}
    assert_page_ok(results["index.html"], 0, console)
    assert len(results["index.html"]["images"]) == len(chart_pages)
    for p in chart_pages:
        assert_page_ok(results[p.name], 1, console)
    assert_page_ok(results[f"provider-{me}.html"], 4, console)
    bad = results["broken.html"]
    assert bad["errors"] and "could not be drawn" in bad["box"], bad
