"""``ehrlog report``: the leader folder and the individual page (docs/reports.md).

A small warehouse is written here from hand-made Polars frames with the catalog's exact
columns (``pipelines.tables.write_table`` refuses any other): 3 departments, one of them
("Zanzibar Microclinic", 3 providers) below ``min_cell_size`` = 5. Its name, and every
provider id, must appear in no file of the leader folder, not even in the data embedded
in the chart specs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

from pipelines.catalog import TABLES
from pipelines.commands.report import command
from schemas.config import Config

SMALL_DEPARTMENT = "Zanzibar Microclinic"
RANGE = (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
#: Charts every leader folder must hold (the seed-documents profile adds levels_*).
EXPECTED_CHARTS = {
    "wow_per_clinic_day",
    "inbox_per_week",
    "vacation_ehr_minutes",
    "vacation_days_with_ehr",
    "ehr_time8_by_specialty",
    "psh40_by_specialty",
    "trend_wow_per_clinic_day",
    "trend_inbox_per_week",
    "trend_ehr_time8",
    "trend_psh40",
    "levels_wow_minutes_per_clinic_day",
    "levels_inbox_messages_per_week",
    "levels_vacation_ehr_minutes_per_day",
    "levels_pto_inbox_self_completed_share",
    "levels_pto_weeks_taken",
    "cost_of_burnout",
}

# (department, specialty, role, count): ids are ZQX + 4 digits (absent from the JS bundle).
ROSTER = [
    ("Cardiology", "Cardiology", "physician", 6),
    ("Family Medicine", "Family Medicine", "physician", 5),
    ("Family Medicine", "Family Medicine", "app", 2),
    ("Family Medicine", "Family Medicine", "resident", 1),
    (SMALL_DEPARTMENT, "Family Medicine", "physician", 3),
]


def _providers() -> pl.DataFrame:
    rows = []
    n = 0
    for dept, spec, role, count in ROSTER:
        for _ in range(count):
            n += 1
            rows.append(
                {
                    "provider_id": f"ZQX{7000 + n:04d}",
                    "department": dept,
                    "specialty": spec,
                    "role": role,
                    "clinical_fte": 0.8,
                    "start_date": None,
                    "end_date": None,
                    "range_start": RANGE[0],
                    "range_end": RANGE[1],
                }
            )
    return pl.DataFrame(rows, schema_overrides={"start_date": pl.Date, "end_date": pl.Date})


def _ratios(rng: random.Random, days: int) -> dict[str, Any]:
    """Every shared ratio column with a plausible value."""
    sched = rng.uniform(20, 32) * days / 7
    inbox = rng.randint(60, 360) * days // 7
    return {
        "days_in_range": days,
        "scheduled_hours": sched,
        "clinic_days": max(1, days * 4 // 7),
        "ehr_time8": rng.uniform(3, 8),
        "wow8": rng.uniform(0.5, 3),
        "ib_time8": rng.uniform(0.5, 2),
        "note_time8": rng.uniform(1, 3),
        "order_time8": rng.uniform(0.2, 1),
        "rx_time8": rng.uniform(0.1, 0.6),
        "wow_minutes_per_clinic_day": rng.uniform(10, 260),
        "ehr_minutes_per_scheduled_hour": rng.uniform(20, 60),
        "psh40": rng.uniform(24, 38),
        "inbox_messages": inbox,
        "inbox_messages_per_cfte": inbox / 0.8,
        "wow_minutes_per_cfte": rng.uniform(100, 900),
    }


def _weeks(providers: pl.DataFrame, rng: random.Random) -> pl.DataFrame:
    rows = []
    week = dt.date(2025, 12, 29)
    while week <= RANGE[1]:
        days = sum(
            RANGE[0] <= week + dt.timedelta(d) <= RANGE[1] for d in range(7)
        )
        for pid in providers.get_column("provider_id"):
            rows.append({"provider_id": pid, "week_start": week, **_ratios(rng, days)})
        week += dt.timedelta(weeks=1)
    return pl.DataFrame(rows)


def _periods(providers: pl.DataFrame, rng: random.Random) -> pl.DataFrame:
    rows = []
    for month in (1, 2, 3):
        start = dt.date(2026, month, 1)
        end = dt.date(2026, month + 1, 1) - dt.timedelta(1) if month < 12 else None
        days = (end - start).days + 1
        for pid in providers.get_column("provider_id"):
            vac = rng.choice([0, 3, 5])
            with_ehr = rng.randint(0, vac)
            base = _ratios(rng, days)
            rows.append(
                {
                    "provider_id": pid,
                    "period_type": "month",
                    "period_start": start,
                    "period_end": end,
                    "complete": True,
                    **base,
                    "inbox_messages_per_week": base["inbox_messages"] / (days / 7),
                    "inbox_messages_per_week_per_cfte": base["inbox_messages"] / (days / 7) / 0.8,
                    "wow_minutes_per_week_per_cfte": rng.uniform(30, 400),
                    "vacation_days": vac,
                    "vacation_days_with_login": with_ehr,
                    "vacation_days_with_ehr": with_ehr,
                    "vacation_days_over_30_min": rng.randint(0, with_ehr),
                    "vacation_ehr_minutes_per_day": rng.uniform(0, 60) if vac else None,
                    "pto_inbox_messages": rng.randint(0, 20) if vac else 0,
                    "pto_inbox_self_completed_share": rng.choice([0.0, 0.0, 0.3]) if vac else None,
                }
            )
    return pl.DataFrame(rows, infer_schema_length=None)


def _years(providers: pl.DataFrame, rng: random.Random) -> pl.DataFrame:
    days = rng.choices(range(5, 30), k=providers.height)
    return pl.DataFrame(
        {
            "provider_id": providers.get_column("provider_id"),
            "period_start": [RANGE[1] - dt.timedelta(364)] * providers.height,
            "period_end": [RANGE[1]] * providers.height,
            "pto_weekdays_taken": days,
            "pto_weeks_taken": [d / 5 for d in days],
        }
    )


def _methods(config: Config) -> pl.DataFrame:
    row = {
        "run_id": "run-0001",
        "run_at": dt.datetime(2026, 4, 1, 2, 30, tzinfo=dt.UTC),
        "software_version": "0.1.0",
        "settings_json": json.dumps(config.metric_settings(), sort_keys=True),
        "settings_hash": config.metric_settings_hash(),
        "delivery": None,
        "input_files_json": "[]",
        "quarantine_counts_json": json.dumps(
            [{"kind": "events", "reason": "bad_time", "n": 3},
             {"kind": "schedule", "reason": "duplicate_key", "n": 2}]
        ),
        "rows_staged_json": "{}",
        "unmapped_share": 0.0123,
        "unrostered_events": 4,
        "range_start": RANGE[0],
        "range_end": RANGE[1],
        "thresholds_profile": config.thresholds,
        "thresholds_sha256": "0" * 64,
        "methods_choices_json": "{}",
    }
    return pl.DataFrame([row], schema_overrides={"delivery": pl.String})


def make_warehouse(path: Path, seed: int = 7) -> Path:
    """Write a small published-warehouse lookalike with every table the report reads."""
    import duckdb

    from metrics.aggregates import group_period
    from metrics.flags import burnout_risk_flags
    from metrics.thresholds import load_profile
    from pipelines.tables import write_table

    rng = random.Random(seed)
    config = Config()
    providers = _providers()
    week, period, year = _weeks(providers, rng), _periods(providers, rng), _years(providers, rng)
    flags = burnout_risk_flags(period, year, providers, load_profile(config.thresholds))
    con = duckdb.connect(str(path))
    try:
        for table, frame in {
            "core.providers": providers,
            "marts.provider_week": week,
            "marts.provider_period": period,
            "marts.provider_year": year,
            "marts.burnout_risk_flags": flags,
            "marts.department_period": group_period(flags, providers, "department", 5),
            "marts.specialty_period": group_period(flags, providers, "specialty", 5),
            "marts.methods": _methods(config),
        }.items():
            assert set(frame.columns) == set(TABLES[table][1]), table
            write_table(con, table, frame)
    finally:
        con.close()
    return path


def provider_ids(warehouse: Path) -> list[str]:
    """All provider ids of ``core.providers`` (read-only)."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT provider_id FROM core.providers").fetchall()]
    finally:
        con.close()


def run_report(*args: str) -> Any:
    """Invoke the click command; return the click Result."""
    return CliRunner().invoke(command, list(args), catch_exceptions=False)


def build_folder(tmp: Path, *extra: str) -> tuple[Path, Path]:
    """(warehouse, leader folder) built in ``tmp``."""
    wh = make_warehouse(tmp / "ehrlog.duckdb")
    out = tmp / "report"
    res = run_report("--warehouse", str(wh), "--out", str(out), *extra)
    assert res.exit_code == 0, res.output
    return wh, out


_FOLDER: dict[str, tuple[Path, Path]] = {}


def leader_folder(factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The default leader folder, built once per test session (shared with the browser
    tests, which import this function)."""
    if "default" not in _FOLDER:
        _FOLDER["default"] = build_folder(factory.mktemp("report"))
    return _FOLDER["default"]


@pytest.fixture(scope="module")
def leader(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A warehouse and the default leader folder built from it (session-cached)."""
    return leader_folder(tmp_path_factory)


@pytest.fixture
def fast_png(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace PNG rendering by a 1x1 PNG, for tests about something else (speed)."""
    import pipelines.report.export as export

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF
        )

    one_pixel = (
        PNG_MAGIC
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )
    monkeypatch.setattr(export, "render_png", lambda spec: one_pixel)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert data[:8] == PNG_MAGIC, "not a PNG"
    assert data[12:16] == b"IHDR"
    w, h = struct.unpack(">II", data[16:24])
    return w, h


def embedded_specs(html_text: str) -> list[dict[str, Any]]:
    """The Vega-Lite specs a chart page embeds (the JSON passed to vegaEmbed)."""
    m = re.search(r"var charts = (\[.*?\]);\n  var options", html_text, re.S)
    assert m, "no embedded charts"
    return [c["spec"] for c in json.loads(m.group(1).replace("<\\/", "</"))]


def inline_values(spec: Any) -> list[dict[str, Any]]:
    """Every inline data row anywhere in a spec."""
    out: list[dict[str, Any]] = []
    if isinstance(spec, dict):
        for k, v in spec.items():
            if k == "values" and isinstance(v, list):
                out += [r for r in v if isinstance(r, dict)]
            else:
                out += inline_values(v)
    elif isinstance(spec, list):
        for v in spec:
            out += inline_values(v)
    return out


def manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "manifest.json").read_text())


# ---------------------------------------------------------------------------------------


def test_every_chart_has_html_and_png_of_the_expected_size(leader: tuple[Path, Path]) -> None:
    _, out = leader
    charts = {c["name"]: c for c in manifest(out)["charts"]}
    assert set(charts) >= EXPECTED_CHARTS
    for name, c in charts.items():
        assert (out / f"{name}.html").is_file(), name
        data = (out / f"{name}.png").read_bytes()
        assert png_size(data) == (c["width"] * c["scale"], c["height"] * c["scale"]), name
        assert c["width"] >= 600 and c["height"] >= 200


def test_index_mentions_period_range_methods_and_every_chart(leader: tuple[Path, Path]) -> None:
    _, out = leader
    index = (out / "index.html").read_text()
    assert "2026-03" in index  # the default period: the latest complete month
    assert "2026-03-01 to 2026-03-31" in index
    assert "2026-01-01 to 2026-03-31" in index  # the data's date range
    for text in ("0.1.0", "bad_time: 3", "duplicate_key: 2", "1.23%", "seed-documents"):
        assert text in index, text
    assert "Measure for learning, not for judgment" in index
    for c in manifest(out)["charts"]:
        assert f'src="{c["png"]}"' in index and f'href="{c["html"]}"' in index
    # The cost calculator with the playbook's example inputs shows the playbook's figures.
    for figure in ("4.29%", "$10,822,085", "$2,164,417", "116.44%"):
        assert figure in index, figure


def test_no_provider_id_and_no_small_group_anywhere(leader: tuple[Path, Path]) -> None:
    wh, out = leader
    ids = provider_ids(wh)
    files = [p for p in out.iterdir() if p.is_file()]
    assert len(files) >= 2 * len(EXPECTED_CHARTS) + 2
    for path in files:
        data = path.read_bytes()
        for pid in ids:
            assert pid.encode() not in data, (path.name, pid)
        assert SMALL_DEPARTMENT.encode() not in data, path.name
        assert b"Zanzibar" not in data, path.name


def test_embedded_chart_data_holds_group_rows_only(leader: tuple[Path, Path]) -> None:
    _, out = leader
    allowed_groups = {"Cardiology", "Family Medicine"}
    for c in manifest(out)["charts"]:
        specs = embedded_specs((out / c["html"]).read_text())
        assert len(specs) == 1
        for row in inline_values(specs[0]):
            assert "provider_id" not in row
            if "group" in row:
                assert row["group"] in allowed_groups, (c["name"], row)
            if row.get("n_providers") is not None:
                assert row["n_providers"] >= 5, (c["name"], row)


def test_suppressed_department_is_counted_in_a_note_not_named(leader: tuple[Path, Path]) -> None:
    _, out = leader
    page = (out / "wow_per_clinic_day.html").read_text()
    assert ("1 department has fewer than 5 providers with a value (or none) and is not "
            "shown") in page


def test_pages_work_offline(leader: tuple[Path, Path]) -> None:
    _, out = leader
    for path in out.glob("*.html"):
        text = path.read_text()
        for bad in ("cdn.jsdelivr", "unpkg", "<link "):
            assert bad not in text, (path.name, bad)
        srcs = re.findall(r"<(?:script|img|iframe)\b[^>]*\bsrc\s*=\s*[\"']?([^\"' >]*)", text)
        assert not [s for s in srcs if "://" in s or s.startswith("//")], (path.name, srcs)
        if path.name != "index.html":
            assert "<script src" not in text
            assert "vegaEmbed" in text and "window.vega" in text  # the inlined bundle


def test_folder_is_not_world_readable(leader: tuple[Path, Path]) -> None:
    _, out = leader
    assert out.stat().st_mode & 0o007 == 0
    for path in out.iterdir():
        assert path.stat().st_mode & 0o007 == 0, path.name


def test_warehouse_is_only_read(tmp_path: Path, fast_png: None) -> None:
    wh = make_warehouse(tmp_path / "w.duckdb")
    before = hashlib.sha256(wh.read_bytes()).hexdigest()
    assert run_report("--warehouse", str(wh), "--out", str(tmp_path / "o"),
                      "--period", "2026-02").exit_code == 0
    assert hashlib.sha256(wh.read_bytes()).hexdigest() == before
    index = (tmp_path / "o" / "index.html").read_text()
    assert "2026-02-01 to 2026-02-28" in index


def test_larger_min_cell_size_from_config_hides_more(tmp_path: Path, fast_png: None) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("min_cell_size: 7\n")
    _, out = build_folder(tmp_path, "--config", str(cfg))
    # Cardiology has 6 providers: hidden at 7; Family Medicine has 7 flagged providers.
    for c in manifest(out)["charts"]:
        text = (out / c["html"]).read_text()
        groups = {r.get("group") for r in inline_values(embedded_specs(text)[0])}
        assert "Cardiology" not in groups, c["name"]
    assert "2 departments have fewer than 7" in (out / "wow_per_clinic_day.html").read_text()


def test_cost_inputs_are_the_organizations_own(tmp_path: Path, fast_png: None) -> None:
    _, out = build_folder(tmp_path, "--physicians", "100", "--burnout-rate", "50")
    index = (out / "index.html").read_text()
    assert "Physicians</th><td>100" in index
    assert "$10,822,085" not in index


def test_bad_inputs_are_refused_naming_the_option(tmp_path: Path) -> None:
    wh = make_warehouse(tmp_path / "w.duckdb")
    res = CliRunner().invoke(
        command, ["--warehouse", str(wh), "--out", str(tmp_path / "o"), "--burnout-rate", "130"]
    )
    assert res.exit_code != 0 and "--burnout-rate" in res.output
    res = CliRunner().invoke(
        command, ["--warehouse", str(wh), "--out", str(tmp_path / "o"), "--period", "2019-01"]
    )
    assert res.exit_code != 0 and "not in the warehouse" in res.output
    res = CliRunner().invoke(
        command, ["--warehouse", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "o")]
    )
    assert res.exit_code != 0 and "warehouse not found" in res.output


def test_provider_page_shows_their_weeks(leader: tuple[Path, Path], tmp_path: Path) -> None:
    wh, _ = leader
    ids = provider_ids(wh)
    me = ids[0]  # Cardiology, 6 providers: department median shown
    res = run_report("--warehouse", str(wh), "--out", str(tmp_path), "--provider", me)
    assert res.exit_code == 0, res.output
    page = tmp_path / f"provider-{me}.html"
    text = page.read_text()
    assert me in text
    for other in ids[1:]:
        assert other not in text
    for week in ("2026-01-05", "2026-02-02", "2026-03-30"):
        assert week in text
    specs = embedded_specs(text)
    assert len(specs) == 4
    series = {r.get("series") for s in specs for r in inline_values(s)}
    assert {"Your weeks", "Department median"} <= series
    assert page.stat().st_mode & 0o007 == 0


def test_provider_page_of_a_small_department_has_no_median(
    leader: tuple[Path, Path], tmp_path: Path
) -> None:
    wh, _ = leader
    me = provider_ids(wh)[-1]  # one of the 3 providers of the small department
    assert run_report("--warehouse", str(wh), "--out", str(tmp_path),
                      "--provider", me).exit_code == 0
    text = (tmp_path / f"provider-{me}.html").read_text()
    series = {r.get("series") for s in embedded_specs(text) for r in inline_values(s)}
    assert "Department median" not in series
    assert "No department median" in text


def test_unknown_provider_is_an_error(leader: tuple[Path, Path], tmp_path: Path) -> None:
    wh, _ = leader
    res = CliRunner().invoke(
        command, ["--warehouse", str(wh), "--out", str(tmp_path), "--provider", "nobody"]
    )
    assert res.exit_code != 0 and "not in core.providers" in res.output


# --- the real pipeline's sample warehouse -------------------------------------------------

SAMPLE = Path(__file__).resolve().parent.parent / "sample_logs"


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z0-9_\-]+", text))


@pytest.mark.skipif(
    not any(SAMPLE.glob("events*")), reason="sample_logs/ has no events extract yet"
)
def test_sample_warehouse_report_has_no_identifiers(
    sample_warehouse: Path, tmp_path: Path
) -> None:
    import duckdb

    out = tmp_path / "report"
    res = run_report("--warehouse", str(sample_warehouse), "--out", str(out))
    assert res.exit_code == 0, res.output
    con = duckdb.connect(str(sample_warehouse), read_only=True)
    try:
        ids = {r[0] for r in con.execute("SELECT provider_id FROM core.providers").fetchall()}
        hashes = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT patient_hash FROM staging.events WHERE patient_hash IS NOT NULL"
            ).fetchall()
        }
    finally:
        con.close()
    raw: set[str] = set()
    for path in sorted(SAMPLE.glob("events*")):
        for p in [path] if path.is_file() else sorted(path.iterdir()):
            if p.suffix == ".parquet":
                f = pl.read_parquet(p).cast(pl.String)
            elif ".csv" in p.name:
                f = pl.read_csv(p, infer_schema=False)
            else:
                continue
            if "patient_id" in f.columns:
                raw |= set(f.get_column("patient_id").drop_nulls().to_list())
    secrets = ids | hashes | raw
    assert ids and hashes and raw
    simple = {s for s in secrets if re.fullmatch(r"[A-Za-z0-9_\-]+", s)}
    other = secrets - simple
    for path in out.iterdir():
        text = path.read_text(errors="replace") if path.suffix != ".png" else ""
        leaked = (_tokens(text) & simple) | {s for s in other if s in text}
        assert not leaked, (path.name, sorted(leaked)[:5])


def test_notes_count_groups_in_plain_english(leader: tuple[Path, Path]) -> None:
    _, out = leader
    text = (out / "index.html").read_text() + "".join(
        p.read_text() for p in out.glob("*_by_specialty.html"))
    assert "specialtys" not in text
    from pipelines.report.build import _suppressed_note

    assert _suppressed_note(3, 5, "specialty") == [
        "3 specialties have fewer than 5 providers with a value (or none) and are not shown "
        "(small-cell rule)."]
    assert _suppressed_note(1, 5, "department")[0].startswith("1 department has fewer")
    assert _suppressed_note(0, 5, "department") == []
