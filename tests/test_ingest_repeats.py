"""Repeated hashes (pipelines/ingest/repeats.py): the Polars sort and DuckDB's agree."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from pipelines.ingest import repeats

# _h 5 and 7 repeat; 3 is flagged once; 1 and 9 occur once, unflagged
ROWS = ("SELECT * FROM (VALUES (5::UBIGINT, FALSE), (3, TRUE), (5, FALSE), (7, FALSE), "
        "(7, FALSE), (7, FALSE), (1, FALSE), (9, FALSE)) t(_h, _u)")


@pytest.mark.parametrize("max_rows", [0, 1_000], ids=["duckdb", "polars"])
@pytest.mark.parametrize(("flagged", "expected"), [(False, [5, 7]), (True, [3, 5, 7])])
def test_repeated_hashes(monkeypatch: pytest.MonkeyPatch, max_rows: int, flagged: bool,
                         expected: list[int]) -> None:
    monkeypatch.setattr(repeats, "MAX_ROWS", max_rows)
    con = duckdb.connect()
    hashed = ROWS if flagged else f"SELECT _h FROM ({ROWS})"
    assert repeats.create_repeated(con, "_found", hashed, {}, rows=8,
                                   flagged=flagged) == len(expected)
    assert con.execute("SELECT typeof(_h) FROM _found LIMIT 1").fetchall() == [("UBIGINT",)]
    assert [r[0] for r in con.execute("SELECT _h FROM _found ORDER BY 1").fetchall()] == expected


def test_no_repeats_and_no_rows() -> None:
    assert repeats.repeated(pl.DataFrame({"_h": [4, 2, 8]}, schema={"_h": pl.UInt64})).height == 0
    assert repeats.repeated(pl.DataFrame({"_h": []}, schema={"_h": pl.UInt64})).height == 0
    last_flagged = pl.DataFrame({"_h": [2, 9], "_u": [False, True]},
                                schema={"_h": pl.UInt64, "_u": pl.Boolean})
    assert repeats.repeated(last_flagged, flagged=True)["_h"].to_list() == [9]
