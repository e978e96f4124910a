"""Performance benchmark of the pipeline (issue 9).

    python benchmarks/run.py [--events 30000000] [--out benchmarks/results.json]

1. Generates (once, cached under ``benchmarks/data/``) a fixed synthetic delivery with
   ``ehrlog generate --format parquet --seed 9``: about 312,000 events per provider-year,
   so 30 million events is 96 providers over 365 days.
2. Runs the whole pipeline (``ehrlog run --demo``, through its entry point
   ``pipelines.cli.main``) in a child process on a fresh warehouse: wall time, events per
   second, CPU time, peak RSS (the child's own ``VmHWM``) and every Dagster step's
   duration and the child's peak RSS during it.
3. Times, in a second child on the published warehouse, the pipeline's own steps alone:
   the provider-day step as the ``marts/provider_day`` asset computes it (events read
   from the warehouse per batch of providers), the same from staged frames in memory,
   and the active-time + WOW part of it.
4. Times the references of :mod:`benchmarks.references` on the same files: the floor
   (one DuckDB query), the iterrows peer on 100,000 events and vectorized pandas on
   1,000,000 events, both scaled per event.
5. Writes every figure, ratio and target to ``--out`` and prints them.

``--scaling 3000000,10000000,30000000`` also runs steps 1-2 and the floor at each size
(``scaling`` in the results). Short repeated figures (floor, steps) are the best of
``--repeats`` runs; the pipeline is the fastest of ``--pipeline-repeats`` runs per size,
and the floor is timed again after each of them, so both are timed under the same drift
of a shared machine's speed (a third, minute to minute, on the benchmark machine); the
iterrows peer is the fastest of ``--iterrows-repeats`` runs (2, as the pipeline). The
machine is shared with nothing else only if you make it so: the load average before and
after each run is recorded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import metrics  # noqa: E402,F401  (first: the pipeline's Polars allocator options)
from benchmarks import references  # noqa: E402

EVENTS_PER_PROVIDER_YEAR = 312_000
SEED = 9
DAYS = 365
START = "2025-01-01"
ITERROWS_EVENTS = 100_000
VECTORIZED_EVENTS = 1_000_000
GB = 1_000_000_000  # DuckDB's "4GB" is 4 * 10**9 bytes
RSS_LIMIT = 4 * GB
TARGETS = {
    "provider_day_vs_floor": ("<=", 2.0),
    "pipeline_vs_floor": ("<=", 8.0),
    "peak_rss_bytes": ("<", RSS_LIMIT),
    "pipeline_speedup_vs_iterrows": (">=", 50.0),
    "active_wow_speedup_vs_vectorized_pandas": (">", 1.0),
}


# ------------------------------------------------------------------ helpers

def _python() -> str:
    return sys.executable


def _vmhwm_bytes() -> int | None:
    """This process's own peak resident memory (``VmHWM``; Linux), or None."""
    status = Path("/proc/self/status")
    if not status.exists():
        return None
    for line in status.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return None


def _run_child(args: list[str], env: dict[str, str] | None = None) -> dict:
    """Run a child process; return its wall time, CPU time, peak RSS and JSON output.

    The peak is the child's own ``VmHWM`` when it reports one: ``wait4``'s ``ru_maxrss``
    also counts the copy of this (parent) process that the child was forked from before
    it started Python, so it would report the parent's size for a small child.
    """
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    out_file = tmp / f"ehrlog-bench-{os.getpid()}-{time.time_ns()}.json"
    t0 = time.perf_counter()
    proc = subprocess.Popen([*args, "--report", str(out_file)], cwd=ROOT,
                            env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode}): {' '.join(args)}")
    report = json.loads(out_file.read_text()) if out_file.exists() else {}
    out_file.unlink(missing_ok=True)
    own_peak = report.pop("vmhwm_bytes", None)
    return {
        "wall_seconds": wall,
        "cpu_user_seconds": usage.ru_utime,
        "cpu_system_seconds": usage.ru_stime,
        "peak_rss_bytes": own_peak or usage.ru_maxrss * 1024,  # Linux: kilobytes
        **report,
    }


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _runs(fn, repeats: int) -> tuple[list[float], object]:
    """The wall time of each of ``repeats`` calls of ``fn`` (at least one), and its result."""
    times, out = [], None
    for _ in range(max(repeats, 1)):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def _best(fn, repeats: int) -> tuple[float, object]:
    times, out = _runs(fn, repeats)
    return min(times), out


class _RssSampler:
    """Samples this process's RSS every ``interval`` seconds in a thread."""

    def __init__(self, interval: float = 0.1) -> None:
        import psutil

        self._proc = psutil.Process()
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._interval = interval
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.time(), self._proc.memory_info().rss))
            self._stop.wait(self._interval)

    def __enter__(self) -> _RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def peak(self, t0: float, t1: float) -> int:
        inside = [r for t, r in self.samples if t0 <= t <= t1]
        return max(inside) if inside else 0


# ---------------------------------------------------------------- dataset

def dataset_shape(events: int) -> tuple[int, int]:
    """Providers and days giving about ``events`` events."""
    providers = round(events / EVENTS_PER_PROVIDER_YEAR)
    if providers >= 3:
        return providers, DAYS
    return 3, max(7, round(DAYS * events / (3 * EVENTS_PER_PROVIDER_YEAR)))


def ensure_dataset(events: int, data_dir: Path) -> dict:
    """Generate (once) the delivery for ``events``; return its manifest."""
    providers, days = dataset_shape(events)
    folder = data_dir / f"delivery-p{providers}-d{days}-s{SEED}"
    manifest_path = data_dir / f"{folder.name}.json"
    if manifest_path.exists():
        return json.loads(manifest_path.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    cmd = [_python(), "-m", "pipelines.cli", "generate", "--out", str(folder),
           "--providers", str(providers), "--days", str(days), "--start", START,
           "--seed", str(SEED), "--format", "parquet"]
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    import duckdb

    con = duckdb.connect()
    n = con.sql("SELECT count(*) FROM read_parquet($p)",
                params={"p": str(folder / "events.parquet")}).fetchall()[0][0]
    con.close()
    manifest = {
        "folder": str(folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder),
        "command": "ehrlog generate " + " ".join(cmd[4:]),
        "providers": providers, "days": days, "seed": SEED, "format": "parquet",
        "events": int(n),
        "bytes": sum(f.stat().st_size for f in folder.glob("*.parquet")),
        "generate_seconds": round(seconds, 2),
    }
    manifest_path.write_text(json.dumps(manifest, indent=2))
    return manifest


def _folder(manifest: dict) -> Path:
    p = Path(manifest["folder"])
    return p if p.is_absolute() else ROOT / p


# --------------------------------------------------------- child: pipeline

def child_pipeline(input_dir: Path, warehouse: Path, report: Path) -> None:
    """Run the pipeline once; write step durations and per-step peak RSS to ``report``."""
    import dagster as dg

    from pipelines import cli

    instance = dg.DagsterInstance.ephemeral()
    original = dg.JobDefinition.execute_in_process

    def with_instance(self, *args, **kwargs):  # keep the event log (step timestamps)
        kwargs.setdefault("instance", instance)
        return original(self, *args, **kwargs)

    dg.JobDefinition.execute_in_process = with_instance  # type: ignore[method-assign]
    with _RssSampler() as rss:
        t0 = time.time()
        # exactly what ``ehrlog run --demo`` does, through its entry point (which then
        # ends the process with cli.exit_now, as below)
        status = cli.run_command(["run", "--input", str(input_dir), "--warehouse",
                                  str(warehouse), "--demo"])
        t1 = time.time()
    if status:
        raise SystemExit(status)
    starts: dict[str, float] = {}
    steps: dict[str, dict] = {}
    entries = [e for run_id in instance.get_run_ids() for e in instance.all_logs(run_id)]
    assert len(instance.get_run_ids()) == 2  # the load run and the rebuild run
    for entry in entries:  # the load run and the rebuild run
        ev = entry.dagster_event
        if ev is None or not ev.step_key:
            continue
        if ev.event_type_value == "STEP_START":
            starts[ev.step_key] = entry.timestamp
        elif ev.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
            s = starts.get(ev.step_key, entry.timestamp)
            steps[ev.step_key] = {"seconds": round(entry.timestamp - s, 3),
                                  "peak_rss_bytes": rss.peak(s, entry.timestamp)}
    report.write_text(json.dumps({
        "vmhwm_bytes": _vmhwm_bytes(),
        "run_seconds": round(t1 - t0, 3),
        "peak_rss_sampled_bytes": rss.peak(t0, t1),
        "steps": dict(sorted(steps.items(), key=lambda kv: -kv[1]["seconds"])),
    }))
    cli.exit_now(0)


# ------------------------------------------------------------ child: steps

def child_steps(warehouse: Path, repeats: int, report: Path) -> None:
    """Time the pipeline's provider-day and active-time + WOW steps.

    ``provider_day_seconds`` is the day grid as the ``marts/provider_day`` asset computes
    it over every loaded date: the events read from the warehouse one batch of providers
    at a time, then computed (writing the table is left out).
    ``provider_day_in_memory_seconds`` and ``active_wow_seconds`` start from staged
    frames already in memory (read once, ``read_staged_seconds``).
    """
    import duckdb
    import polars as pl

    from metrics.active import active_pieces, active_sessions, provider_events
    from metrics.day import active_by_day, batch_frames, provider_day
    from metrics.ranges import loaded_range
    from metrics.schedule import counted, slot_pieces, slot_union, window_union
    from pipelines.assets.marts import _compute
    from pipelines.ingest import read_staged
    from pipelines.warehouse import WarehouseResource
    from schemas.config import load_config

    cfg = load_config(None)
    limits = WarehouseResource(path=str(warehouse))  # the asset's explicit limits
    con = duckdb.connect(str(warehouse), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET memory_limit = ?", [limits.memory_limit])
    con.execute("SET threads = ?", [limits.threads])
    roster = read_staged(con, kinds=("providers", "action_map"))
    t0 = time.perf_counter()
    st = read_staged(con)
    read_s = time.perf_counter() - t0
    loaded = loaded_range(st["events"], cfg)
    assert loaded is not None

    def day_from_warehouse() -> pl.DataFrame:
        return _compute(con, cfg, roster, *loaded)

    def day() -> pl.DataFrame:
        return provider_day(st["events"], st["providers"], st["schedule"], st["time_off"],
                            st["inbox"], st["action_map"], cfg, loaded)

    def active_wow() -> pl.DataFrame:
        # As provider_day runs it: the same provider batches, one in-memory query each.
        parts = []
        for ev, prov, sched, _, _ in batch_frames(st["events"], st["providers"],
                                                  st["schedule"], st["time_off"], st["inbox"]):
            inst = provider_events(ev.lazy(), prov.lazy(), st["action_map"].lazy()).collect(
                engine="in-memory")
            pieces = slot_pieces(counted(sched.lazy(), cfg), cfg)
            parts.append(active_by_day(active_pieces(inst.lazy(), cfg),
                                       active_sessions(inst.lazy(), cfg), slot_union(pieces),
                                       window_union(pieces, cfg), cfg)
                         .collect(engine="in-memory"))
        return pl.concat(parts)

    wh_s, wh_frame = _best(day_from_warehouse, repeats)
    con.close()
    day_s, day_frame = _best(day, repeats)
    aw_s, aw_frame = _best(active_wow, repeats)
    assert wh_frame.equals(day_frame)  # type: ignore[union-attr]
    report.write_text(json.dumps({
        "vmhwm_bytes": _vmhwm_bytes(),
        "events": st["events"].height,
        "read_staged_seconds": round(read_s, 3),
        "provider_day_seconds": round(wh_s, 3),
        "provider_day_in_memory_seconds": round(day_s, 3),
        "provider_day_rows": day_frame.height,  # type: ignore[union-attr]
        "active_wow_seconds": round(aw_s, 3),
        "active_wow_rows": aw_frame.height,  # type: ignore[union-attr]
        "ehr_minutes_total": float(day_frame["ehr_minutes"].sum()),  # type: ignore[index]
    }))


# --------------------------------------------------------------- parent

def run_pipeline_child(manifest: dict, data_dir: Path) -> tuple[dict, Path]:
    warehouse = data_dir / f"warehouse-{Path(manifest['folder']).name}" / "ehrlog.duckdb"
    shutil.rmtree(warehouse.parent, ignore_errors=True)
    load0 = _load()
    res = _run_child([_python(), str(Path(__file__).resolve()), "_pipeline",
                      "--input", str(_folder(manifest)), "--warehouse", str(warehouse)])
    res["load_average_before"] = load0
    res["load_average_after"] = _load()
    res["events_per_second"] = manifest["events"] / res["wall_seconds"]
    res["warehouse_bytes"] = warehouse.stat().st_size
    return res, warehouse


def best_pipeline(manifest: dict, data_dir: Path, runs: int, floors: list[dict],
                  floor_repeats: int) -> tuple[dict, Path]:
    """The fastest of ``runs`` pipeline runs (each on a fresh warehouse), with every run's
    wall time in ``runs_wall_seconds``. The floor is timed again after each run (appended
    to ``floors``), so that the floor and the pipeline are timed under the same load of a
    shared machine, whose speed drifts by a third from one minute to the next."""
    done: list[dict] = []
    warehouse = data_dir
    for _ in range(max(1, runs)):
        res, warehouse = run_pipeline_child(manifest, data_dir)
        done.append(res)
        print(f"pipeline: {res['wall_seconds']:.1f} s, "
              f"{res['peak_rss_bytes'] / GB:.2f} GB peak RSS", flush=True)
        floors.append(run_floor(manifest, floor_repeats))
    best = dict(min(done, key=lambda r: r["wall_seconds"]))
    best["runs_wall_seconds"] = [r["wall_seconds"] for r in done]
    best["peak_rss_bytes"] = max(r["peak_rss_bytes"] for r in done)  # the worst peak
    return best, warehouse


def best_floor(floors: list[dict]) -> dict:
    """The fastest floor timing, with every timing in ``runs_seconds``."""
    best = dict(min(floors, key=lambda f: f["seconds"]))
    best["runs_seconds"] = [round(f["seconds"], 3) for f in floors]
    return best


def run_floor(manifest: dict, repeats: int) -> dict:
    con = references.floor_connection()
    events = _folder(manifest) / "events.parquet"
    seconds, rows = _best(lambda: references.floor_query(con, events), repeats)
    con.close()
    return {
        "seconds": seconds,
        "events_per_second": manifest["events"] / seconds,
        "rows": len(rows),  # type: ignore[arg-type]
        "active_minutes_total": float(sum(r[2] for r in rows)),  # type: ignore[union-attr]
        "settings": {"memory_limit": "4GB", "threads": 2},
        "sql": " ".join(references.FLOOR_SQL.split()),
    }


def run_references(manifest: dict, repeats: int, n_iterrows: int = ITERROWS_EVENTS,
                   n_vectorized: int = VECTORIZED_EVENTS, iterrows_repeats: int = 2) -> dict:
    """The iterrows peer (fastest of ``iterrows_repeats`` runs, every run recorded) and
    vectorized pandas (fastest of ``repeats``), per event, checked to agree."""
    folder = _folder(manifest)
    out: dict[str, dict] = {}
    n_vec = min(n_vectorized, manifest["events"])
    sub = references.load_subset(folder, n_vec)
    n_iter = min(n_iterrows, n_vec)
    small = {**sub, "events": sub["events"].head(n_iter)}
    iter_runs, r_iter = _runs(lambda: references.iterrows_active_wow(**small),
                              iterrows_repeats)
    s_iter = min(iter_runs)
    s_vec_small, r_vec_small = _best(lambda: references.vectorized_active_wow(**small), repeats)
    s_vec, r_vec = _best(lambda: references.vectorized_active_wow(**sub), repeats)
    import pandas as pd

    pd.testing.assert_frame_equal(r_iter, r_vec_small, check_dtype=False, atol=1e-6)
    out["iterrows"] = {"events": n_iter, "seconds": s_iter,
                       "seconds_per_event": s_iter / n_iter, "rows": len(r_iter),
                       "runs_seconds": [round(x, 3) for x in iter_runs]}
    out["pandas_vectorized"] = {"events": n_vec, "seconds": s_vec,
                                "seconds_per_event": s_vec / n_vec, "rows": len(r_vec)}
    out["agree_on_iterrows_subset"] = True
    return out


def machine() -> dict:
    import dagster
    import duckdb
    import pandas
    import polars
    import psutil

    return {
        "cpus": os.cpu_count(),
        "memory_bytes": psutil.virtual_memory().total,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__, "polars": polars.__version__,
        "pandas": pandas.__version__, "dagster": dagster.__version__,
    }


#: Every figure a results file holds (dotted paths); the smoke test checks them all.
REQUIRED_FIGURES = (
    "machine.cpus", "machine.memory_bytes", "dataset.events", "dataset.providers",
    "dataset.command", "pipeline.wall_seconds", "pipeline.events_per_second",
    "pipeline.cpu_user_seconds", "pipeline.cpu_system_seconds", "pipeline.peak_rss_bytes",
    "pipeline.steps", "pipeline.load_average_before", "steps.read_staged_seconds",
    "steps.provider_day_seconds", "steps.active_wow_seconds", "floor.seconds",
    "floor.events_per_second", "floor.sql", "references.iterrows.seconds_per_event",
    "references.pandas_vectorized.seconds_per_event", "references.agree_on_iterrows_subset",
    *(f"ratios.{k}" for k in (
        "pipeline_vs_floor", "provider_day_vs_floor", "active_wow_vs_floor",
        "pipeline_speedup_vs_iterrows", "active_wow_speedup_vs_vectorized_pandas",
        "provider_day_speedup_vs_vectorized_pandas")),
    *(f"targets.{k}.met" for k in TARGETS),
)


def missing_figures(results: dict) -> list[str]:
    """The dotted paths of :data:`REQUIRED_FIGURES` absent (or null) in ``results``."""
    missing = []
    for path in REQUIRED_FIGURES:
        node: object = results
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            missing.append(path)
    return missing


def targets(r: dict) -> dict:
    out = {}
    for name, (op, limit) in TARGETS.items():
        value = r["ratios"][name] if name in r["ratios"] else r["pipeline"][name]
        met = {"<=": value <= limit, "<": value < limit, ">=": value >= limit,
               ">": value > limit}[op]
        out[name] = {"value": value, "target": f"{op} {limit:g}", "met": bool(met)}
    return out


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=30_000_000)
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.json")
    p.add_argument("--data-dir", type=Path, default=ROOT / "benchmarks" / "data")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--pipeline-repeats", type=int, default=2,
                   help="pipeline runs per size (the fastest is kept)")
    p.add_argument("--scaling", default="", help="comma-separated event counts")
    p.add_argument("--iterrows-events", type=int, default=ITERROWS_EVENTS)
    p.add_argument("--iterrows-repeats", type=int, default=2,
                   help="runs of the iterrows peer; the fastest is kept, as for the "
                        "pipeline (--pipeline-repeats)")
    p.add_argument("--vectorized-events", type=int, default=VECTORIZED_EVENTS)
    a = p.parse_args(argv)
    a.data_dir.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    t_all = time.perf_counter()

    manifest = ensure_dataset(a.events, a.data_dir)
    print(f"dataset: {manifest['events']:,} events, {manifest['providers']} providers x "
          f"{manifest['days']} days ({_folder(manifest)})", flush=True)
    floors = [run_floor(manifest, a.repeats)]
    pipeline, warehouse = best_pipeline(manifest, a.data_dir, a.pipeline_repeats, floors,
                                        a.repeats)
    for step, v in list(pipeline.get("steps", {}).items())[:6]:
        print(f"  {step}: {v['seconds']:.1f} s, peak RSS {v['peak_rss_bytes'] / GB:.2f} GB",
              flush=True)
    steps = _run_child([_python(), str(Path(__file__).resolve()), "_steps",
                        "--warehouse", str(warehouse), "--repeats", str(min(a.repeats, 2))])
    print(f"steps: provider_day {steps['provider_day_seconds']:.2f} s, "
          f"active+WOW {steps['active_wow_seconds']:.2f} s", flush=True)
    floors.append(run_floor(manifest, a.repeats))
    floor = best_floor(floors)
    print(f"floor: {floor['seconds']:.2f} s (best of {floor['runs_seconds']})", flush=True)
    refs = run_references(manifest, a.repeats, a.iterrows_events, a.vectorized_events,
                          a.iterrows_repeats)
    n = manifest["events"]
    ratios = {
        "pipeline_vs_floor": pipeline["wall_seconds"] / floor["seconds"],
        "provider_day_vs_floor": steps["provider_day_seconds"] / floor["seconds"],
        "active_wow_vs_floor": steps["active_wow_seconds"] / floor["seconds"],
        "pipeline_speedup_vs_iterrows":
            refs["iterrows"]["seconds_per_event"] / (pipeline["wall_seconds"] / n),
        "active_wow_speedup_vs_vectorized_pandas":
            refs["pandas_vectorized"]["seconds_per_event"] / (steps["active_wow_seconds"] / n),
        "provider_day_speedup_vs_vectorized_pandas":
            refs["pandas_vectorized"]["seconds_per_event"] / (steps["provider_day_seconds"] / n),
    }
    results: dict = {
        "issue": 9,
        "started_at": started.isoformat(timespec="seconds"),
        "command": "python benchmarks/run.py " + " ".join(argv if argv is not None
                                                          else sys.argv[1:]),
        "machine": machine(),
        "dataset": manifest,
        "pipeline": pipeline,
        "steps": steps,
        "floor": floor,
        "references": refs,
        "ratios": ratios,
    }
    results["targets"] = targets(results)
    if a.scaling:
        results["scaling"] = []
        for size in [int(float(s)) for s in a.scaling.split(",")]:
            m = ensure_dataset(size, a.data_dir)
            if m["folder"] == manifest["folder"]:
                pr, fl = pipeline, floor
            else:
                size_floors = [run_floor(m, a.repeats)]
                pr, _ = best_pipeline(m, a.data_dir, a.pipeline_repeats, size_floors,
                                      a.repeats)
                fl = best_floor(size_floors)
            results["scaling"].append({
                "events": m["events"], "providers": m["providers"],
                "pipeline_seconds": pr["wall_seconds"],
                "pipeline_cpu_seconds": pr["cpu_user_seconds"] + pr["cpu_system_seconds"],
                "pipeline_peak_rss_bytes": pr["peak_rss_bytes"],
                "pipeline_us_per_event": pr["wall_seconds"] / m["events"] * 1e6,
                "floor_seconds": fl["seconds"],
                "floor_us_per_event": fl["seconds"] / m["events"] * 1e6,
            })
            print(f"scaling {m['events']:,}: pipeline {pr['wall_seconds']:.1f} s, "
                  f"floor {fl['seconds']:.2f} s", flush=True)
    results["total_benchmark_seconds"] = time.perf_counter() - t_all
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print_summary(results)
    return results


def print_summary(r: dict) -> None:
    n = r["dataset"]["events"]
    print(f"\n{n:,} events; pipeline {r['pipeline']['wall_seconds']:.1f} s "
          f"({r['pipeline']['events_per_second']:,.0f} events/s, CPU "
          f"{r['pipeline']['cpu_user_seconds'] + r['pipeline']['cpu_system_seconds']:.1f} s, "
          f"peak RSS {r['pipeline']['peak_rss_bytes'] / GB:.2f} GB)")
    print(f"floor {r['floor']['seconds']:.2f} s; provider_day "
          f"{r['steps']['provider_day_seconds']:.2f} s; active+WOW "
          f"{r['steps']['active_wow_seconds']:.2f} s")
    ref = r["references"]
    print(f"iterrows {ref['iterrows']['seconds_per_event'] * 1e6:.1f} us/event; vectorized "
          f"pandas {ref['pandas_vectorized']['seconds_per_event'] * 1e6:.2f} us/event")
    print("slowest steps: " + ", ".join(
        f"{k} {v['seconds']:.1f} s" for k, v in list(r["pipeline"].get("steps", {}).items())[:5]))
    for name, t in r["targets"].items():
        print(f"  {'MET   ' if t['met'] else 'MISSED'} {name}: {t['value']:,.2f} "
              f"(target {t['target']})")


def _child_main(argv: list[str]) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["_pipeline", "_steps"])
    p.add_argument("--input", type=Path)
    p.add_argument("--warehouse", type=Path, required=True)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--report", type=Path, required=True)
    a = p.parse_args(argv)
    if a.mode == "_pipeline":
        child_pipeline(a.input, a.warehouse, a.report)
    else:
        child_steps(a.warehouse, a.repeats, a.report)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        _child_main(sys.argv[1:])
    else:
        main()
