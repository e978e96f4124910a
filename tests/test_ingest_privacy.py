"""Patient ids: hashed (HMAC-SHA256) before anything is written; the key's resolution."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from ingest_helpers import EVENTS_HEADER, KEY, PROVIDERS, delivery, load

from pipelines.ingest import DEMO_HASH_KEY, HashKeyError, resolve_hash_key
from pipelines.ingest.hashing import hmac_pads
from schemas.config import Config, PrivacyConfig

CLEAR = ["MRN-CLEAR-0001", "MRN-CLEAR-0002", "MRN-CLEAR-0003"]


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    yield c
    c.close()


def _text_cells(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every VARCHAR value of every raw, staging and quarantine table."""
    cols = con.execute(
        "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
        "WHERE schema_name IN ('raw', 'staging', 'quarantine') AND data_type = 'VARCHAR'"
    ).fetchall()
    assert len(cols) > 20
    cells: list[str] = []
    for schema, table, column in cols:
        rows = con.execute(f'SELECT "{column}" FROM {schema}.{table}').fetchall()
        cells.extend(r[0] for r in rows if r[0] is not None)
    return cells


def test_no_clear_patient_id_is_stored(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = delivery(tmp_path / "d", {
        "providers.csv": PROVIDERS,
        "events.csv": EVENTS_HEADER
        + f"u1,2026-03-02 09:00:00,Order signed,{CLEAR[0]},WS1\n"
        + f"u1,2026-03-02 09:01:00,Order signed, {CLEAR[1]} ,WS1\n"
        + f"u1,not a time,Order signed,{CLEAR[2]},WS1\n"  # quarantined
        + f"u1,2026-03-02 09:00:00,Order signed,{CLEAR[0]},WS1\n",  # duplicate_key
        # a patient_id column in another kind, kept as an extra column, is hashed too
        "schedule.csv": "appointment_id,provider_id,start_time,duration_minutes,status,"
        f"patient_id\nA1,P1,2026-03-02 09:00,20,completed,{CLEAR[1]}\n",
    })
    summary = load(con, folder, cfg=Config(keep_extra_columns=("patient_id",)))
    assert summary.rows_quarantined == 2
    cells = _text_cells(con)
    assert not [c for c in cells if any(p in c for p in CLEAR)]
    hashes = con.execute(
        "SELECT patient_hash FROM staging.events ORDER BY source_record"
    ).fetchall()
    expected = [hmac.new(KEY, p.encode(), hashlib.sha256).hexdigest() for p in CLEAR[:2]]
    assert [h[0] for h in hashes] == expected
    # The quarantined rows carry the hash, not the clear id.
    assert sum(expected[0] in c for c in cells) >= 2
    extra = con.execute("SELECT extra FROM staging.schedule").fetchone()
    assert extra == ('{"patient_hash":"' + expected[1] + '"}',)


def test_blank_patient_id_is_null(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = delivery(tmp_path / "d", {
        "events.csv": EVENTS_HEADER + "u1,2026-03-02 09:00:00,Order signed,  ,WS1\n",
    })
    load(con, folder)
    assert con.execute("SELECT patient_hash FROM staging.events").fetchall() == [(None,)]


def test_long_keys_follow_hmac(con: duckdb.DuckDBPyConnection) -> None:
    key = b"k" * 100  # longer than a SHA-256 block: HMAC hashes the key first
    opad, ipad = hmac_pads(key)
    got = con.execute(
        "SELECT sha256(unhex($1) || unhex(sha256(unhex($2) || encode($3))))",
        [opad, ipad, "MRN-\u00e9"],
    ).fetchone()
    assert got == (hmac.new(key, "MRN-\u00e9".encode(), hashlib.sha256).hexdigest(),)


def test_hash_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = Config(privacy=PrivacyConfig(hash_key_env="SITE_KEY_FOR_TEST"))
    monkeypatch.setenv("SITE_KEY_FOR_TEST", "s3cret")
    assert resolve_hash_key(cfg, demo=False) == b"s3cret"
    assert resolve_hash_key(cfg, demo=True) == b"s3cret"


def test_missing_hash_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = Config(privacy=PrivacyConfig(hash_key_env="SITE_KEY_FOR_TEST"))
    monkeypatch.delenv("SITE_KEY_FOR_TEST", raising=False)
    with pytest.raises(HashKeyError) as exc:
        resolve_hash_key(cfg, demo=False)
    assert "SITE_KEY_FOR_TEST" in str(exc.value) and "\n" not in str(exc.value)


def test_demo_mode_uses_the_demo_key_loudly(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = Config()
    monkeypatch.delenv(cfg.privacy.hash_key_env, raising=False)
    with pytest.warns(UserWarning, match="DEMO MODE"):
        assert resolve_hash_key(cfg, demo=True) == DEMO_HASH_KEY
    assert "EHRLOG_HASH_KEY" in caplog.text
