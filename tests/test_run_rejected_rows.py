"""``ehrlog run`` names the rows it quarantined, one line each (file, row, column,
reason), and a failed quarantine-share check names the first; no delivered value (so no
patient id, even in a shifted column) and no raw control character reaches the
terminal."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner
from hostile_inputs import SECRET_IDS, csv_bytes, roster_csv, write_file

from pipelines.cli import cli
from pipelines.commands.run import SHOWN_REJECTED

HEADER = ("user_id", "event_time", "action", "patient_id")
#: A patient id delivered under ``event_time`` (the two columns swapped in one row).
SHIFTED = "PATIENT-SECRET-SHIFTED"


def _delivery(folder: Path) -> Path:
    bad = [("u1", f"2026-02-30 10:{m:02d}:00", "Results Review accessed", SECRET_IDS[0])
           for m in range(12)]  # records 1-12: no 30 February
    bad[3] = ("u1", "2026-03-02\n10:03:00", "x", SECRET_IDS[1])  # a newline in the value
    bad[4] = ("u1", "\x1b[31m2026-03-02", "x", SECRET_IDS[2])  # a terminal escape
    bad[5] = ("u1", SHIFTED, "x", "2026-03-02 10:05:00")  # patient id and time swapped
    good = [("u1", "2026-03-02 10:00:00", "Results Review accessed", SECRET_IDS[0])]
    write_file(folder, "providers.csv", roster_csv())
    write_file(folder, "events.csv", csv_bytes(HEADER, bad + good))
    return folder


def _run(tmp_path: Path, **quality: float):
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"quality": quality} if quality else {}), encoding="utf-8")
    return CliRunner().invoke(cli, [
        "run", "--input", str(_delivery(tmp_path / "d")), "--warehouse",
        str(tmp_path / "wh" / "ehrlog.duckdb"), "--config", str(config), "--demo"])


def test_the_summary_names_each_quarantined_row_then_counts_the_rest(tmp_path: Path) -> None:
    result = _run(tmp_path, max_quarantine_share=1.0)
    assert result.exit_code == 0, result.output
    lines = [x for x in result.output.splitlines() if x.startswith("quarantined: ")]
    assert lines[:6] == [f"quarantined: events.csv record {n}, column event_time: bad_time"
                         for n in range(1, 7)]
    assert [x.split(",")[0] for x in lines[:SHOWN_REJECTED]] == [
        f"quarantined: events.csv record {n}" for n in range(1, SHOWN_REJECTED + 1)]
    assert lines[SHOWN_REJECTED:] == [
        f"quarantined: {12 - SHOWN_REJECTED} more rows of this delivery in quarantine.rows "
        "(delivery_id '" + lines[-1].split("'")[1] + "')"]
    assert "\x1b" not in result.output and "2026-02-30" not in result.output
    assert not [s for s in (*SECRET_IDS, SHIFTED) if s in result.output]


def test_a_failed_quarantine_share_names_the_first_rejected_row(tmp_path: Path) -> None:
    result = _run(tmp_path)  # the default limit, 1%: 12 of the 13 events and 2 roster rows
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "Error: blocking check failed, nothing published: quarantine_share on "
        "quarantine/rows: quarantined 80.00% of this delivery's rows (12 of 15); limit "
        "1.00% (quality.max_quarantine_share); first: events.csv record 1, column event_time: "
        "bad_time; correct the extract, or raise the limit to publish the delivery "
        "and read every rejected row in quarantine.rows")
    assert not (tmp_path / "wh" / "ehrlog.duckdb").exists()
    assert not [s for s in (*SECRET_IDS, SHIFTED) if s in result.output]
