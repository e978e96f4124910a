"""The quarantined rows of one delivery, one line each, for people to read.

Grain: one line per row of ``quarantine.rows``: its file, 1-based record, column and
reason code. The line never quotes a delivered value (docs/data-handling.md: no log line
does): the row's ``detail``, which names the offending value, stays in
``quarantine.rows``, since an extract whose columns are shifted would put patient
identifiers into a checked column. So the lines may go to the terminal and to a check's
description. Control characters of a delivered file name are shown escaped (``\\n``,
``\\x1b``), so that each stays one line.
"""

from __future__ import annotations

import re

import duckdb

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escaped(text: object) -> str:
    """``text`` with its control characters escaped."""
    return _CONTROL.sub(lambda m: _NAMED.get(m.group(), f"\\x{ord(m.group()):02x}"
                                             if ord(m.group()) < 0x100
                                             else f"\\u{ord(m.group()):04x}"), str(text))


def rejected_lines(con: duckdb.DuckDBPyConnection, delivery_id: str, limit: int
                   ) -> tuple[int, list[str]]:
    """The number of rows quarantined from ``delivery_id`` and the first ``limit`` of them
    as lines, in file and record order."""
    total = con.execute("SELECT count(*) FROM quarantine.rows WHERE delivery_id = ?",
                        [delivery_id]).fetchall()[0][0]
    rows = con.execute(
        "SELECT source_file, record_number, column_name, reason FROM quarantine.rows "
        "WHERE delivery_id = ? ORDER BY source_file, record_number, column_name LIMIT ?",
        [delivery_id, limit]).fetchall()
    return total, [escaped(f"{f} record {n}, column {c}: {r}") for f, n, c, r in rows]
