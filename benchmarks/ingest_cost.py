"""Cost of loading one delivery: wall time, rows per second and peak memory.

    python benchmarks/ingest_cost.py benchmarks/data/delivery-p32-d365-s9

Runs :func:`pipelines.ingest.load_delivery` alone in a child process, into a fresh
DuckDB file with the warehouse's explicit limits (``memory_limit`` 4GB, ``threads`` 2,
``TimeZone`` UTC), the way ``load_delivery_asset`` calls it, and prints the wall time of
the load, the rows read per second and the child's peak resident memory (``VmHWM``, which
includes the interpreter and the imported libraries). ``--checksums`` also prints, per
staging table and for the quarantine, the row count and an order-independent checksum of
the rows (to compare two versions of the loader on the same delivery); ``--keep DB``
keeps the database file; ``--json`` prints the figures as one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUN_TIME = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
KEY = b"0123456789abcdef0123456789abcdef"  # any 32-byte key; the benchmark data is synthetic
TABLES = ("providers", "action_map", "events", "schedule", "time_off", "inbox")


def _peak_rss_bytes() -> int:
    """This process's peak resident set size (VmHWM) in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def checksums(con: object) -> dict[str, list[int]]:
    """Per table: [row count, sum of row hashes] (order-independent)."""
    out: dict[str, list[int]] = {}
    names = [f"staging.{t}" for t in TABLES] + ["quarantine.rows", "raw.files"]
    for name in names:
        cols = "* EXCLUDE (loaded_at)" if name == "raw.files" else "*"
        rows = con.execute(  # type: ignore[attr-defined]
            f"SELECT count(*), coalesce(sum(hash(t))::HUGEINT, 0)::VARCHAR "
            f"FROM (SELECT {cols} FROM {name}) t"
        ).fetchall()
        out[name] = [int(rows[0][0]), int(rows[0][1])]
    return out


def child(delivery: Path, db: Path, memory_limit: str, threads: int, sums: bool) -> dict:
    """Load ``delivery`` into ``db`` and return the figures (runs in the child)."""
    import duckdb

    from pipelines.ingest import ensure_schema, load_delivery
    from schemas.config import load_config

    cfg = load_config(None)
    con = duckdb.connect(str(db))
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET memory_limit = ?", [memory_limit])
    con.execute("SET threads = ?", [threads])
    ensure_schema(con)
    t0 = time.perf_counter()
    summary = load_delivery(con, delivery, cfg, run_time=RUN_TIME, delivery_id="bench",
                            hash_key=KEY, archive_dir=None)
    seconds = time.perf_counter() - t0
    result: dict = {
        "delivery": str(delivery),
        "seconds": seconds,
        "rows_read": summary.rows_read,
        "rows_staged": summary.rows_staged,
        "rows_quarantined": summary.rows_quarantined,
        "rows_per_second": summary.rows_read / seconds if seconds else 0.0,
        "peak_rss_bytes": _peak_rss_bytes(),
        "cpu_seconds": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
        "summary": summary.to_dict(),
    }
    if sums:
        result["checksums"] = checksums(con)
    con.close()
    return result


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("delivery", type=Path, help="delivery folder (e.g. ehrlog generate --out)")
    p.add_argument("--memory-limit", default="4GB")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--keep", type=Path, default=None, help="keep the database file here")
    p.add_argument("--checksums", action="store_true", help="print per-table checksums")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--db", type=Path, default=None, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        result = child(a.delivery, a.db, a.memory_limit, a.threads, a.checksums)
        print(json.dumps(result))
        return result
    with tempfile.TemporaryDirectory(prefix="ingest-cost-") as tmp:
        db = a.keep or Path(tmp) / "ingest.duckdb"
        if db.exists():
            raise SystemExit(f"{db} exists: give a new file")
        cmd = [sys.executable, __file__, str(a.delivery), "--child", "--db", str(db),
               "--memory-limit", a.memory_limit, "--threads", str(a.threads)]
        if a.checksums:
            cmd.append("--checksums")
        t0 = time.perf_counter()
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        wall = time.perf_counter() - t0
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_seconds"] = wall
    result["child_maxrss_bytes"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    if a.json:
        print(json.dumps(result))
        return result
    print(f"delivery          {result['delivery']}")
    print(f"load_delivery     {result['seconds']:.1f} s (child process {wall:.1f} s)")
    print(f"rows read         {result['rows_read']:,} "
          f"({result['rows_per_second']:,.0f} rows/s)")
    print(f"staged / quarant. {result['rows_staged']:,} / {result['rows_quarantined']:,}")
    print(f"peak RSS          {result['peak_rss_bytes'] / 2**30:.2f} GiB")
    print(f"CPU (process)     {result['cpu_seconds']:.1f} s")
    for table, (n, h) in result.get("checksums", {}).items():
        print(f"  {table:<20} {n:>12,}  {h}")
    return result


if __name__ == "__main__":
    main()
