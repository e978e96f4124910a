"""The performance benchmark (benchmarks/run.py) runs end to end on ~100k events.

No timing assertions: figures on a small delivery on a shared machine mean nothing. The
test proves the command works, that the references agree with each other, and that the
results file (the fresh one and the committed ``benchmarks/results.json``) holds every
figure of ``REQUIRED_FIGURES``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import run  # noqa: E402


def test_benchmark_runs_on_100k_events(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    run.main(["--events", "100000", "--out", str(out), "--data-dir", str(tmp_path / "data"),
              "--repeats", "1", "--iterrows-events", "10000", "--vectorized-events", "50000"])
    results = json.loads(out.read_text())
    assert run.missing_figures(results) == []
    assert 80_000 <= results["dataset"]["events"] <= 130_000
    assert results["references"]["agree_on_iterrows_subset"] is True
    assert results["steps"]["provider_day_rows"] > 0
    # the fastest of two pipeline runs is kept; the floor is timed before, between, after
    runs = results["pipeline"]["runs_wall_seconds"]
    assert len(runs) == 2 and results["pipeline"]["wall_seconds"] == min(runs)
    floors = results["floor"]["runs_seconds"]
    assert len(floors) == 4 and round(results["floor"]["seconds"], 3) == min(floors)
    # and the fastest of two runs of the peer, as of the pipeline
    peer = results["references"]["iterrows"]
    assert len(peer["runs_seconds"]) == 2 and round(peer["seconds"], 3) == min(peer["runs_seconds"])
    _batches_change_nothing(next((tmp_path / "data").glob("warehouse-*/ehrlog.duckdb")))


def _batches_change_nothing(warehouse: Path) -> None:
    """provider_day in one batch per provider equals provider_day in one batch (the
    benchmark's delivery has several providers; the metric tests' have one batch), and
    so does the pipeline's way, reading each batch's events from DuckDB."""
    import duckdb
    from polars.testing import assert_frame_equal

    from metrics.day import provider_batches, provider_day, provider_day_read, user_counts
    from metrics.ranges import loaded_range
    from pipelines.day_inputs import EventReader, staged_for_days
    from pipelines.ingest import read_staged
    from schemas.config import Config

    cfg = Config()
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        st = read_staged(con)
        loaded = loaded_range(st["events"], cfg)
        assert loaded is not None
        dated = staged_for_days(con, *loaded)
        reader = EventReader(con, *loaded, st["providers"], st["action_map"])
        counts = reader.counts()
        read = provider_day_read(reader, counts, st["providers"], dated["schedule"],
                                 dated["time_off"], dated["inbox"], cfg, loaded,
                                 batch_events=1)
    finally:
        con.close()
    args = (st["events"], st["providers"], st["schedule"], st["time_off"], st["inbox"],
            st["action_map"], cfg, loaded)
    assert int(counts["n"].sum()) == st["events"].height
    assert len(provider_batches(user_counts(st["events"]), st["providers"], batch_events=1)) >= 3
    whole = provider_day(*args, batch_events=10**12)
    assert_frame_equal(provider_day(*args, batch_events=1), whole)
    assert_frame_equal(read, whole)


def test_committed_results_hold_every_figure() -> None:
    committed = ROOT / "benchmarks" / "results.json"
    if not committed.exists():
        pytest.skip("benchmarks/results.json not written yet")
    results = json.loads(committed.read_text())
    assert run.missing_figures(results) == []
    assert results["dataset"]["events"] >= 29_000_000
