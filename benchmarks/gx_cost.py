"""Cost of the Great Expectations check on one day of staged events.

    python benchmarks/gx_cost.py [--rows 10000000] [--modes before,after,after-fingerprint]
                                 [--chunk-rows 500000] [--repeats 3] [--db PATH]
                                 [--out results.json]

1. Builds (once per ``--db``; by default in a temporary folder removed at the end) a
   DuckDB file with ``staging.events`` as staging creates it (``ensure_schema``) holding
   ``--rows`` synthetic events of one delivery, shaped like the benchmark delivery of
   ``benchmarks/run.py``: 33 logins, 61 actions, unique event ids, 64-hex patient hashes.
2. Validates the events suite of that delivery in a fresh child process per mode, with
   the warehouse's DuckDB limits (``WarehouseResource``: memory_limit, threads):

   - ``before``: what ``gx_suite_events`` did before: every column of every row of the
     delivery (``SELECT *``) into Arrow, ``to_pandas()``, the whole suite in one GX batch
     with GX's defaults.
   - ``after``: ``pipelines.checks.validate_staged``, what the check does now.
   - ``after-fingerprint``: the same with GX's batch fingerprint left on (GX as shipped).

   For each: the validation's wall time (GX imported beforehand; its import is timed
   apart), the child's peak RSS (``os.wait4``'s ``ru_maxrss``) and its RSS high-water
   mark after the imports (``VmHWM``), and the verdict. Each mode runs ``--repeats``
   times: the fastest wall time and the highest peak RSS are reported (the machine may
   be shared; the other runs are in the JSON).
3. Prints one line per mode and, with ``--out``, writes every figure as JSON.

Run it on an otherwise idle machine: the load average before and after is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DELIVERY = "8047c874-5107-4f86-bcbe-8e7aecd8bccd"
MODES = ("before", "after", "after-fingerprint")
MB = 1024 * 1024


def _vm_hwm() -> int:
    """This process's peak RSS so far, in bytes (Linux ``VmHWM``)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def _limits() -> tuple[str, int]:
    from pipelines.warehouse import WarehouseResource

    wh = WarehouseResource(path="unused")
    return wh.memory_limit, wh.threads


def _connect(db: Path):
    import duckdb

    memory_limit, threads = _limits()
    con = duckdb.connect(str(db))
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET memory_limit = ?", [memory_limit])
    con.execute("SET threads = ?", [threads])
    con.execute("SET enable_progress_bar = false")
    return con


def build(db: Path, rows: int) -> float:
    """Create ``db`` with ``rows`` staged events of one delivery; return the seconds."""
    from pipelines.ingest.tables import ensure_schema

    t0 = time.perf_counter()
    con = _connect(db)
    try:
        ensure_schema(con)
        con.execute("DELETE FROM staging.events")
        con.execute("DELETE FROM raw.files")
        con.execute("INSERT INTO raw.files (delivery_id, kind, file_name, rows, file_id) "
                    "VALUES ($delivery, 'events', 'events.parquet', $rows, 1)",
                    {"rows": rows, "delivery": DELIVERY})
        con.execute("""
            INSERT INTO staging.events
            SELECT 'U' || (10000 + (i * 33) // $rows)::VARCHAR,
                   TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_seconds(i * 3),
                   'Synthetic action ' || (hash(i) % 61)::VARCHAR,
                   'E' || lpad(i::VARCHAR, 17, '0'),
                   sha256(i::VARCHAR),
                   'WS-' || (hash(i + 7) % 168)::VARCHAR,
                   NULL, 1, i + 1
            FROM range($rows) AS t(i)""", {"rows": rows})
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return time.perf_counter() - t0


def _staged_rows(db: Path) -> int:
    if not db.exists():
        return -1
    con = _connect(db)
    try:
        return con.sql("SELECT count(*) FROM staging.events").fetchall()[0][0]
    except Exception:  # noqa: BLE001 - not a staged warehouse: rebuild it
        return -1
    finally:
        con.close()


# ------------------------------------------------------------------ child

def _before(con) -> tuple[bool, list[str], int]:
    """The check as it was: SELECT *, to_pandas, the whole suite in one batch."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from pipelines.ingest.tables import OF_DELIVERY
    from schemas.contract import KINDS
    from schemas.expectations import suite_for

    frame = con.sql(f"SELECT * FROM staging.events WHERE {OF_DELIVERY}",
                    params={"delivery": DELIVERY}).to_arrow_table()
    con.sql("SELECT count(*) FROM staging.events").fetchall()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # output only
    asset = context.data_sources.add_pandas("staged_events").add_dataframe_asset("events")
    batch = asset.add_batch_definition_whole_dataframe("delivery").get_batch(
        batch_parameters={"dataframe": frame.to_pandas()})
    result = batch.validate(suite_for(KINDS["events"]))
    failed = [r.expectation_config.type for r in result.results if not r.success]
    return bool(result.success), failed, frame.num_rows


def _after(con, chunk_rows: int, fingerprint: bool) -> tuple[bool, list[str], int]:
    from pipelines.checks import validate_staged

    validation = validate_staged(con, "events", DELIVERY, chunk_rows=chunk_rows,
                                 fingerprint=fingerprint)
    ok, failed = validation.result()
    return ok, failed, validation.rows_validated


def child(mode: str, db: Path, chunk_rows: int, report: Path) -> None:
    os.environ["TQDM_DISABLE"] = "1"
    t0 = time.perf_counter()
    import pipelines.checks  # noqa: F401
    from schemas.gx_import import import_gx

    import_gx()  # timed apart, as the pipeline imports GX once (scipy.stats deferred)
    import_seconds = time.perf_counter() - t0
    hwm_imports = _vm_hwm()
    con = _connect(db)
    t0 = time.perf_counter()
    try:
        if mode == "before":
            ok, failed, rows = _before(con)
        else:
            ok, failed, rows = _after(con, chunk_rows, fingerprint=mode == "after-fingerprint")
    finally:
        con.close()
    seconds = time.perf_counter() - t0
    report.write_text(json.dumps({
        "mode": mode, "validation_seconds": seconds, "import_seconds": import_seconds,
        "rss_after_imports_bytes": hwm_imports, "rows_validated": rows,
        "passed": ok, "failed": failed,
    }))


# ----------------------------------------------------------------- parent

def run_mode(mode: str, db: Path, chunk_rows: int) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        report = Path(f.name)
    try:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "_child", mode,
                                 str(db), str(chunk_rows), str(report)], cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{mode}: the child failed")
        out = json.loads(report.read_text())
    finally:
        report.unlink(missing_ok=True)
    return {**out, "child_wall_seconds": wall, "peak_rss_bytes": usage.ru_maxrss * 1024}


def machine() -> dict:
    with open("/proc/meminfo") as f:
        total_kb = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
    import duckdb
    import great_expectations
    import pandas

    return {"cpus": os.cpu_count(), "memory_bytes": total_kb * 1024,
            "platform": platform.platform(), "python": platform.python_version(),
            "duckdb": duckdb.__version__, "pandas": pandas.__version__,
            "great_expectations": great_expectations.__version__}


def main(argv: list[str] | None = None) -> dict:
    from schemas.expectations import CHUNK_ROWS

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--modes", default=",".join(MODES))
    p.add_argument("--chunk-rows", type=int, default=CHUNK_ROWS)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--db", type=Path, help="DuckDB file to build or reuse (default: temporary)")
    p.add_argument("--out", type=Path, help="write the figures as JSON here")
    a = p.parse_args(argv)
    modes = [m for m in a.modes.split(",") if m]
    unknown = set(modes) - set(MODES)
    if unknown:
        p.error(f"unknown modes: {', '.join(sorted(unknown))}")

    tmp = None if a.db else Path(tempfile.mkdtemp(prefix="ehrlog-gx-cost-"))
    db = a.db or tmp / "staged.duckdb"
    try:
        build_seconds = None
        if _staged_rows(db) != a.rows:
            db.unlink(missing_ok=True)
            build_seconds = build(db, a.rows)
            print(f"built {a.rows:,} staged events in {build_seconds:.1f} s ({db})", flush=True)
        load_before = [round(x, 2) for x in os.getloadavg()]
        results = {}
        for mode in modes:
            runs = [run_mode(mode, db, a.chunk_rows) for _ in range(max(1, a.repeats))]
            r = results[mode] = {
                **min(runs, key=lambda x: x["validation_seconds"]),
                "peak_rss_bytes": max(x["peak_rss_bytes"] for x in runs),
                "validation_seconds_all": [round(x["validation_seconds"], 3) for x in runs],
                "peak_rss_bytes_all": [x["peak_rss_bytes"] for x in runs],
            }
            verdict = "passed" if r["passed"] else f"FAILED {r['failed']}"
            print(f"{mode:>18}: validation {r['validation_seconds']:6.2f} s, peak RSS "
                  f"{r['peak_rss_bytes'] / MB:6.0f} MB (after imports "
                  f"{r['rss_after_imports_bytes'] / MB:.0f} MB; importing GX "
                  f"{r['import_seconds']:.1f} s), {r['rows_validated']:,} rows, {verdict}",
                  flush=True)
        load_after = [round(x, 2) for x in os.getloadavg()]
        print(f"load average before {load_before}, after {load_after}; "
              f"chunk rows {a.chunk_rows:,}; best of {max(1, a.repeats)} runs")
        out = {"rows": a.rows, "chunk_rows": a.chunk_rows, "repeats": max(1, a.repeats),
               "build_seconds": build_seconds,
               "machine": machine(), "load_average_before": load_before,
               "load_average_after": load_after, "modes": results,
               "command": "python benchmarks/gx_cost.py " + " ".join(argv or sys.argv[1:])}
        if a.out:
            a.out.write_text(json.dumps(out, indent=2) + "\n")
        return out
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        child(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]), Path(sys.argv[5]))
    else:
        main()
