"""Backfill of daily partitions: one run over a range, one run per day, and the day-grid
computation alone in one process and in a pool of processes (issue 9, "Scaling").

    python benchmarks/backfill.py [--events 3000000] [--days 30] [--out benchmarks/backfill.json]

Uses the benchmark's dataset (``benchmarks/run.py``, cached under ``benchmarks/data/``),
loads it once with ``ehrlog run``, then times on the published warehouse:

1. ``ehrlog backfill`` of ``--days`` days as one run (``BackfillPolicy.single_run``);
2. the same days as one run per day (what a multi-run backfill does; the warehouse pool
   runs them one after another);
3. the provider-day computation of each day alone (read the day's staged rows read-only,
   compute, discard), in one process and in a pool of ``--workers`` processes: what
   Dagster's multiprocess executor could gain if each partition wrote its own file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.run import START, _folder, ensure_dataset  # noqa: E402


def _day_rows(args: tuple[str, str]) -> int:
    """Compute one day's provider-day rows from the published warehouse, read-only."""
    import duckdb

    from pipelines.assets.marts import _compute
    from pipelines.ingest import read_staged
    from schemas.config import Config

    warehouse, day = args
    cfg = Config()
    d = dt.date.fromisoformat(day)
    con = duckdb.connect(warehouse, read_only=True)
    try:
        con.execute("SET threads = 1")
        roster = read_staged(con, kinds=("providers", "action_map"))
        return _compute(con, cfg, roster, d, d).height  # as the provider_day asset does
    finally:
        con.close()


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=3_000_000)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--data-dir", type=Path, default=ROOT / "benchmarks" / "data")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "backfill.json")
    a = p.parse_args(argv)

    from pipelines.runner import backfill_pipeline, run_pipeline

    manifest = ensure_dataset(a.events, a.data_dir)
    warehouse = a.data_dir / f"backfill-{a.events}" / "ehrlog.duckdb"
    if not warehouse.exists():
        t0 = time.perf_counter()
        run_pipeline(_folder(manifest), warehouse, None, demo=True, log_level="CRITICAL")
        print(f"loaded {manifest['events']:,} events in {time.perf_counter() - t0:.1f} s")
    first = dt.date.fromisoformat(START) + dt.timedelta(days=60)
    days = [first + dt.timedelta(days=i) for i in range(a.days)]

    backfill_pipeline(days[0], days[0], warehouse, None, demo=True, log_level="CRITICAL")  # warm
    t0 = time.perf_counter()
    backfill_pipeline(days[0], days[-1], warehouse, None, demo=True, log_level="CRITICAL")
    one_run = time.perf_counter() - t0
    print(f"one run over {a.days} days: {one_run:.1f} s", flush=True)

    t0 = time.perf_counter()
    for d in days:
        backfill_pipeline(d, d, warehouse, None, demo=True, log_level="CRITICAL")
    per_day = time.perf_counter() - t0
    print(f"{a.days} runs of one day: {per_day:.1f} s", flush=True)

    jobs = [(str(warehouse), d.isoformat()) for d in days]
    t0 = time.perf_counter()
    rows = sum(_day_rows(j) for j in jobs)
    serial = time.perf_counter() - t0
    t0 = time.perf_counter()
    spawn = multiprocessing.get_context("spawn")  # fork after Polars/DuckDB threads hangs
    with ProcessPoolExecutor(max_workers=a.workers, mp_context=spawn) as pool:
        rows_pool = sum(pool.map(_day_rows, jobs))
    pooled = time.perf_counter() - t0
    assert rows == rows_pool
    print(f"day grid alone, {a.days} days: {serial:.1f} s in one process, {pooled:.1f} s in "
          f"{a.workers} processes", flush=True)

    results = {
        "command": "python benchmarks/backfill.py " + " ".join(argv or sys.argv[1:]),
        "events": manifest["events"], "providers": manifest["providers"], "days": a.days,
        "cpus": os.cpu_count(), "workers": a.workers,
        "one_run_seconds": round(one_run, 2),
        "one_run_per_day_seconds": round(per_day, 2),
        "day_grid_serial_seconds": round(serial, 2),
        "day_grid_pool_seconds": round(pooled, 2),
        "provider_day_rows": rows,
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    a.out.write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
