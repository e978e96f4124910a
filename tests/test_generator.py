"""Tests of the synthetic delivery generator (``ehrlog generate``, ``pipelines/generator``).

Small extracts only, so the module runs in seconds: determinism of the written files, the
input contract, the calibration at full density, the idle-gap invariant and the persona
bands that make every flag level of CONTRACT.md section 5 fire.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from pipelines.commands.generate import command
from pipelines.generator import Extract, generate_extract, write_extract
from pipelines.generator.clock import LocalClock
from schemas import contract

TZ = "America/New_York"
COUNTED = ["scheduled", "arrived", "completed", "no_show"]
VACATION_TYPES = ["vacation", "pto"]


# ----------------------------------------------------------------------------- helpers


def instants(col: str) -> pl.Expr:
    """Epoch seconds of a naive local timestamp column (earlier instant when ambiguous)."""
    return (
        pl.col(col)
        .dt.replace_time_zone(TZ, ambiguous="earliest", non_existent="null")
        .dt.epoch("s")
    )


def seconds_of_day(col: str) -> pl.Expr:
    """Seconds after local midnight of a naive timestamp column."""
    c = pl.col(col)
    return (
        c.dt.hour().cast(pl.Int32) * 3600
        + c.dt.minute().cast(pl.Int32) * 60
        + c.dt.second().cast(pl.Int32)
    )


def provider_events(x: Extract) -> pl.DataFrame:
    """Events with provider_id and instant, sorted, with the gap to the next event."""
    logins = x.providers.select("provider_id", "user_id")
    return (
        x.events.join(logins, on="user_id")
        .with_columns(t=instants("event_time"))
        .sort("provider_id", "t")
        .with_columns(gap=pl.col("t").shift(-1).over("provider_id") - pl.col("t"))
    )


def monthly_measures(x: Extract) -> pl.DataFrame:
    """Per provider and calendar month, the CONTRACT.md section 4 measures the flags use.

    A compact re-implementation (active intervals attributed by their start; they are at
    most 300 s long), independent of ``metrics/``.
    """
    ev = provider_events(x).filter((pl.col("gap") > 0) & (pl.col("gap") <= 300))
    sch = (
        x.schedule.filter(pl.col("status").is_in(COUNTED))
        .with_columns(
            date=pl.col("start_time").dt.date(),
            end=pl.col("start_time") + pl.duration(minutes=pl.col("duration_minutes")),
        )
        .group_by("provider_id", "date")
        .agg(ws=pl.col("start_time").min(), we=pl.col("end").max())
    )
    day = (
        ev.with_columns(date=pl.col("event_time").dt.date())
        .join(sch, on=["provider_id", "date"], how="left")
        .with_columns(
            inside=((pl.col("event_time") >= pl.col("ws")) & (pl.col("event_time") < pl.col("we")))
            .fill_null(False)
        )
        .group_by("provider_id", "date")
        .agg(
            ehr=pl.col("gap").sum() / 60,
            wow=pl.col("gap").filter(~pl.col("inside")).sum() / 60,
        )
    )
    first, last = x.events["event_time"].min().date(), x.events["event_time"].max().date()
    dates = pl.DataFrame({"date": pl.date_range(first, last, eager=True)})
    roster = x.providers.group_by("provider_id").agg(
        users=pl.col("user_id"), start_date=pl.col("start_date").first()
    )
    grid = roster.select("provider_id", "start_date").join(dates, how="cross").filter(
        pl.col("start_date").is_null() | (pl.col("date") >= pl.col("start_date"))
    )
    vac = (
        x.time_off.filter(pl.col("type").is_in(VACATION_TYPES))
        .with_columns(date=pl.date_ranges("start_date", "end_date"))
        .explode("date")
        .select("provider_id", "date")
        .unique()
        .with_columns(vac=pl.lit(True))
    )
    inbox = (
        x.inbox.with_columns(date=pl.col("received_time").dt.date())
        .join(roster, on="provider_id")
        .join(vac, on=["provider_id", "date"], how="left")
        .with_columns(on_vac=pl.col("vac").fill_null(False) & pl.col("completed_by").is_not_null())
        .group_by("provider_id", "date")
        .agg(
            msgs=pl.len(),
            pto_done=pl.col("on_vac").sum(),
            pto_self=(pl.col("on_vac") & pl.col("completed_by").is_in(pl.col("users").first()))
            .sum(),
        )
    )
    g = (
        grid.join(day, on=["provider_id", "date"], how="left")
        .join(sch.with_columns(clinic=pl.lit(True)), on=["provider_id", "date"], how="left")
        .join(vac, on=["provider_id", "date"], how="left")
        .join(inbox, on=["provider_id", "date"], how="left")
        .with_columns(
            pl.col("ehr", "wow").fill_null(0.0),
            pl.col("msgs", "pto_done", "pto_self").fill_null(0),
            pl.col("clinic", "vac").fill_null(False),
            month=pl.col("date").dt.truncate("1mo"),
        )
    )
    return (
        g.group_by("provider_id", "month")
        .agg(
            days=pl.len(),
            clinic_days=pl.col("clinic").sum(),
            wow=pl.col("wow").sum(),
            msgs=pl.col("msgs").sum(),
            vac_days=pl.col("vac").sum(),
            vac_ehr=pl.col("ehr").filter(pl.col("vac")).sum(),
            pto_done=pl.col("pto_done").sum(),
            pto_self=pl.col("pto_self").sum(),
        )
        .with_columns(
            wow_per_clinic_day=pl.col("wow") / pl.col("clinic_days"),
            inbox_per_week=pl.col("msgs") / (pl.col("days") / 7),
            vacation_ehr_minutes_per_day=pl.when(pl.col("vac_days") > 0).then(
                pl.col("vac_ehr") / pl.col("vac_days")
            ),
            pto_inbox_self_completed_share=pl.when(pl.col("pto_done") > 0).then(
                pl.col("pto_self") / pl.col("pto_done")
            ),
        )
    )


def file_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file in a folder, by name."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def read_kind(folder: Path, kind: str) -> pl.DataFrame:
    """Read one written extract back as all-string columns (as a loader would see it)."""
    path = next(p for p in folder.iterdir() if p.name.startswith(kind + "."))
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    return pl.read_csv(path, infer_schema=False)


def persona_ids(x: Extract, name: str) -> list[str]:
    """Provider ids with the given persona."""
    return [pid for pid, p in x.personas.items() if p == name]


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def full() -> Extract:
    """Full density, 6 providers x 14 days, across the spring-forward transition."""
    return generate_extract(6, 14, dt.date(2025, 3, 3), seed=11, events_per_workday=1500)


@pytest.fixture(scope="module")
def long_low() -> Extract:
    """Low density, 8 providers x 250 days (both DST transitions), for persona bands."""
    return generate_extract(8, 250, dt.date(2025, 3, 1), seed=5, events_per_workday=100)


@pytest.fixture(scope="module")
def written(long_low: Extract, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``long_low`` written as CSV (gzip for the large kinds)."""
    out = tmp_path_factory.mktemp("delivery")
    write_extract(long_low, out)
    return out


# ----------------------------------------------------------------------------- determinism


def _run_cli(out: Path, seed: int, fmt: str = "csv") -> str:
    result = CliRunner().invoke(
        command,
        ["--out", str(out), "--providers", "6", "--days", "10", "--start", "2025-11-01",
         "--seed", str(seed), "--events-per-workday", "300", "--format", fmt],
    )
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_seed_gives_identical_files_and_other_seed_differs(
    tmp_path: Path, fmt: str
) -> None:
    _run_cli(tmp_path / "a", 3, fmt)
    _run_cli(tmp_path / "b", 3, fmt)
    _run_cli(tmp_path / "c", 4, fmt)
    a, b, c = (file_hashes(tmp_path / k) for k in "abc")
    assert len(a) == 5
    assert a == b
    assert a["events" + (".parquet" if fmt == "parquet" else ".csv.gz")] != c[
        "events" + (".parquet" if fmt == "parquet" else ".csv.gz")
    ]
    assert a != c


def test_cli_prints_one_summary_line_and_names_files(tmp_path: Path) -> None:
    output = _run_cli(tmp_path, 1)
    assert len(output.strip().splitlines()) == 1
    for kind in ("providers=", "schedule=", "time_off=", "inbox=", "events="):
        assert kind in output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["events.csv.gz", "inbox.csv.gz", "providers.csv", "schedule.csv.gz",
                     "time_off.csv"]
    # A second run in another format replaces, never doubles, each kind.
    _run_cli(tmp_path, 1, "parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"{k}.parquet" for k in ("events", "inbox", "providers", "schedule", "time_off")
    ]


# ----------------------------------------------------------------------------- contract


def test_written_files_obey_the_contract(written: Path) -> None:
    frames = {k: read_kind(written, k) for k in ("providers", "schedule", "time_off", "inbox",
                                                  "events")}
    for name, frame in frames.items():
        kind = contract.KINDS[name]
        assert set(kind.required) <= set(frame.columns), name
        assert set(frame.columns) <= set(kind.columns), name
        for col, allowed in kind.enums.items():
            assert set(frame[col].unique().to_list()) <= set(allowed), (name, col)
        for col in kind.required:
            assert frame[col].null_count() == 0, (name, col)
        key = list(kind.key)
        assert frame.select(key).is_duplicated().sum() == 0, name
        assert frame.height > 0, name

    fte = frames["providers"]["clinical_fte"].cast(pl.Float64)
    assert ((fte > 0) & (fte <= 1)).all()
    assert (fte < 1).any()
    dur = frames["schedule"]["duration_minutes"].cast(pl.Float64)
    assert ((dur >= 1) & (dur <= 720)).all()
    assert set(frames["schedule"]["status"]) >= {"completed", "no_show", "cancelled"}
    start, end = (frames["time_off"][c].str.to_date("%Y-%m-%d") for c in ("start_date",
                                                                          "end_date"))
    assert (end >= start).all()

    rostered = set(frames["providers"]["provider_id"])
    for name in ("schedule", "time_off", "inbox"):
        assert set(frames[name]["provider_id"]) <= rostered, name
    assert set(frames["events"]["user_id"]) <= set(frames["providers"]["user_id"])
    assert frames["providers"].group_by("provider_id").len()["len"].max() == 2

    text = resources.files("schemas").joinpath("action_map.csv").read_text(encoding="utf-8")
    mapped = {r["action"].strip().casefold() for r in csv.DictReader(text.splitlines())}
    emitted = {a.strip().casefold() for a in frames["events"]["action"].unique()}
    assert emitted <= mapped

    assert frames["events"]["patient_id"].drop_nulls().str.contains(r"^P\d{6,}$").all()


def test_every_timestamp_parses_and_exists_in_new_york(written: Path) -> None:
    columns = {
        "schedule": ["start_time"],
        "inbox": ["received_time", "completed_time"],
        "events": ["event_time"],
    }
    seen_dates: set[dt.date] = set()
    for kind, cols in columns.items():
        frame = read_kind(written, kind)
        for col in cols:
            values = frame[col].drop_nulls()
            parsed = values.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=True)
            assert parsed.null_count() == 0, (kind, col)
            local = parsed.dt.replace_time_zone(TZ, ambiguous="earliest", non_existent="null")
            assert local.null_count() == 0, (kind, col)
            seen_dates |= set(parsed.dt.date().unique().to_list())
    # The range crosses both transitions and the events cover those days.
    assert {dt.date(2025, 3, 9), dt.date(2025, 11, 2)} <= seen_dates


def test_local_clock_never_writes_a_missing_time() -> None:
    clock = LocalClock(TZ, dt.date(2025, 3, 1), dt.date(2025, 3, 20))
    gap_start = (dt.date(2025, 3, 9) - dt.date(1970, 1, 1)).days * 86400 + 2 * 3600
    planned = gap_start + np.arange(0, 3600, 60)
    written = clock.to_local(clock.to_instant(planned))
    assert (written == planned + 3600).all()  # moved forward across the gap
    assert clock.exists(written).all()


def test_events_are_sorted_per_user_and_ids_unique(long_low: Extract) -> None:
    ev = long_low.events
    assert ev["event_id"].n_unique() == ev.height
    per_user = ev.with_columns(t=instants("event_time")).with_columns(
        d=pl.col("t").diff().over("user_id")
    )
    assert per_user["d"].drop_nulls().min() >= 0


# ----------------------------------------------------------------------------- calibration


@pytest.mark.parametrize("which", ["full", "long_low"])
def test_gaps_inside_sessions_stay_under_the_idle_timeout(
    which: str, request: pytest.FixtureRequest
) -> None:
    x: Extract = request.getfixturevalue(which)
    gaps = provider_events(x)["gap"].drop_nulls()
    # Inside a session a gap is at most 240 s; between sessions more than 300 s.
    assert ((gaps > 240) & (gaps <= 300)).sum() == 0
    assert (gaps > 300).sum() > 0


def test_full_density_events_per_workday(full: Extract) -> None:
    clinic_days = (
        full.schedule.filter(pl.col("status").is_in(COUNTED))
        .select("provider_id", pl.col("start_time").dt.date())
        .unique()
        .height
    )
    per_day = full.events.height / clinic_days
    assert abs(per_day - 1500) <= 150


def test_full_density_category_mix_and_ehr_time(full: Extract) -> None:
    text = resources.files("schemas").joinpath("action_map.csv").read_text(encoding="utf-8")
    cat = {r["action"]: r["category"] for r in csv.DictReader(text.splitlines())}
    shares = full.events["action"].replace_strict(cat).value_counts(normalize=True)
    share = dict(zip(shares[:, 0].to_list(), shares[:, 1].to_list(), strict=True))
    order = sorted(share, key=share.__getitem__, reverse=True)
    assert order[0] == "chart_review"
    assert share["chart_review"] > share["notes"] > share["orders"] > share["prescriptions"]
    # Typical full-time physician: 4.5-7 h of active EHR time per clinic day.
    ev = provider_events(full).filter((pl.col("gap") > 0) & (pl.col("gap") <= 300))
    typical = persona_ids(full, "typical")[0]
    minutes = ev.filter(pl.col("provider_id") == typical)["gap"].sum() / 60
    clinic_days = (
        full.schedule.filter((pl.col("provider_id") == typical)
                             & pl.col("status").is_in(COUNTED))
        .select(pl.col("start_time").dt.date()).n_unique()
    )
    assert 4.5 * 60 <= minutes / clinic_days <= 7 * 60


def test_typical_inbox_per_fte1_week(full: Extract) -> None:
    fte1 = set(full.providers.filter(pl.col("clinical_fte") == 1.0)["provider_id"])
    typical = [p for p in persona_ids(full, "typical") if p in fte1]
    assert typical
    weekly = (
        full.inbox.filter(pl.col("provider_id").is_in(typical))
        .group_by("provider_id", pl.col("received_time").dt.truncate("1w"))
        .len()
    )
    assert 150 <= weekly["len"].median() <= 350


def test_pajama_persona_works_outside_clinic_hours_every_week(full: Extract) -> None:
    pajama = persona_ids(full, "pajama")[0]
    ev = provider_events(full).filter(pl.col("provider_id") == pajama)
    prev_gap = ev["gap"].shift(1)
    starts = ev.filter(prev_gap.is_null() | (prev_gap > 300))
    outside = starts.filter(
        (seconds_of_day("event_time") < 7 * 3600)
        | (seconds_of_day("event_time") >= 17 * 3600 + 1800)
        | (pl.col("event_time").dt.weekday() >= 6)
    )
    per_week = outside.group_by(pl.col("event_time").dt.truncate("1w")).len()
    assert per_week.height == 2  # both weeks of the range
    assert per_week["len"].min() >= 2


# ----------------------------------------------------------------------------- personas


def test_inbox_heavy_gets_over_300_messages_a_week(full: Extract) -> None:
    heavy = persona_ids(full, "inbox_heavy")[0]
    n = full.inbox.filter(pl.col("provider_id") == heavy).height
    assert n / 2 > 300


def test_no_vacation_persona_takes_at_most_three_weeks() -> None:
    x = generate_extract(8, 365, dt.date(2025, 1, 1), seed=2, with_events=False)
    weekdays = (
        x.time_off.filter(pl.col("type").is_in(VACATION_TYPES))
        .with_columns(date=pl.date_ranges("start_date", "end_date"))
        .explode("date")
        .filter(pl.col("date").dt.weekday() <= 5)
        .unique(["provider_id", "date"])
        .group_by("provider_id")
        .len()
    )
    taken = dict(zip(weekdays["provider_id"], weekdays["len"], strict=True))
    assert taken.get(persona_ids(x, "no_vacation")[0], 0) <= 15
    assert taken[persona_ids(x, "balanced")[0]] > 15
    assert x.events.height == 0


def test_personas_make_every_flag_level_fire(long_low: Extract) -> None:
    m = monthly_measures(long_low).join(
        pl.DataFrame({"provider_id": list(long_low.personas),
                      "persona": list(long_low.personas.values())}),
        on="provider_id",
    )
    # Complete months only (the range starts on March 1 and ends in early November).
    m = m.filter(pl.col("days") >= 28)

    def values(persona: str, col: str) -> pl.Series:
        return m.filter(pl.col("persona") == persona)[col].drop_nulls()

    assert values("balanced", "wow_per_clinic_day").max() < 30
    typical = values("typical", "wow_per_clinic_day")
    assert typical.min() >= 30 and typical.max() <= 180
    assert values("pajama", "wow_per_clinic_day").min() > 180

    assert values("balanced", "inbox_per_week").max() < 150
    assert values("typical", "inbox_per_week").min() >= 150
    assert values("typical", "inbox_per_week").max() <= 300
    assert values("inbox_heavy", "inbox_per_week").min() > 300

    assert values("balanced", "vacation_ehr_minutes_per_day").max() == 0
    assert values("vacation_worker", "vacation_ehr_minutes_per_day").max() > 30
    assert values("balanced", "pto_inbox_self_completed_share").max() == 0
    assert values("vacation_worker", "pto_inbox_self_completed_share").min() > 0


def test_active_time_does_not_depend_on_density() -> None:
    totals = []
    for density in (100, 1500):
        x = generate_extract(4, 21, dt.date(2025, 10, 20), seed=8, events_per_workday=density)
        active = provider_events(x).filter((pl.col("gap") > 0) & (pl.col("gap") <= 300))
        totals.append(active.group_by("provider_id").agg(pl.col("gap").sum()).sort("provider_id"))
    assert totals[0].height == 4
    assert totals[0].equals(totals[1])
