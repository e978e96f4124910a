"""Keyed hashing of patient ids: HMAC-SHA256 (hex) with the site secret.

Patient ids are replaced by their hash as soon as a file is read, before any row is
written anywhere (staging, quarantine, logs); the clear value survives only in the
archived delivered file, and only when ``privacy.keep_raw_patient_ids`` is true.

The HMAC runs in DuckDB, once per distinct id of a file, as
``sha256(opad || unhex(sha256(ipad || id)))`` with the key padded to 64 bytes; it equals
``hmac.new(key, id.encode(), hashlib.sha256).hexdigest()`` (tested).
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings

import duckdb
import polars as pl

from pipelines.ingest.errors import HashKeyError
from schemas.config import Config

log = logging.getLogger(__name__)

PATIENT_ID = "patient_id"
PATIENT_HASH = "patient_hash"
_BLOCK = 64  # SHA-256 block size in bytes

#: The fixed key of demo mode. It is public, so hashes made with it protect nothing.
DEMO_HASH_KEY = b"ehrlog-demo-hash-key (public, not a secret; never use with real patient data)"

_HMAC_SQL = (
    "SELECT pid, sha256(unhex($opad) || unhex(sha256(unhex($ipad) || encode(pid)))) AS hash "
    "FROM _ingest_pids"
)


def resolve_hash_key(cfg: Config, demo: bool) -> bytes:
    """The HMAC key: ``os.environ[cfg.privacy.hash_key_env]`` as UTF-8 bytes.

    When the variable is unset or empty: outside demo mode raise :class:`HashKeyError`
    (one line naming the variable); in demo mode return :data:`DEMO_HASH_KEY` with a loud
    warning (logged and issued as a ``UserWarning``). A key that is set is always used,
    demo mode or not.
    """
    name = cfg.privacy.hash_key_env
    value = os.environ.get(name, "")
    if value:
        return value.encode("utf-8")
    if not demo:
        raise HashKeyError(
            f"environment variable {name} is not set: it must hold the site's secret key "
            "for hashing patient ids (privacy.hash_key_env)"
        )
    message = (
        f"DEMO MODE: {name} is not set, so patient ids are hashed with the public demo key; "
        "these hashes protect nothing: never load real patient data in demo mode"
    )
    log.warning(message)
    warnings.warn(message, UserWarning, stacklevel=2)
    return DEMO_HASH_KEY


def hmac_pads(key: bytes) -> tuple[str, str]:
    """The HMAC outer and inner pads of ``key`` as hex (bind them, never format them)."""
    k = hashlib.sha256(key).digest() if len(key) > _BLOCK else key
    k = k.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x5C for b in k).hex(), bytes(b ^ 0x36 for b in k).hex()


def hash_patient_ids(
    con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, key: bytes
) -> pl.DataFrame:
    """Replace column ``patient_id`` by ``patient_hash`` (same position); ids are trimmed,
    blank ids become null. A frame without ``patient_id`` is returned unchanged.
    """
    if PATIENT_ID not in frame.columns:
        return frame
    ids = pl.col(PATIENT_ID).cast(pl.String, strict=False).str.strip_chars()
    ids = pl.when(ids == "").then(pl.lit(None, pl.String)).otherwise(ids)
    frame = frame.with_columns(ids.alias(PATIENT_ID))
    distinct = frame.select(pl.col(PATIENT_ID).drop_nulls().unique().alias("pid"))
    opad, ipad = hmac_pads(key)
    con.register("_ingest_pids", distinct)
    try:
        pairs = con.sql(_HMAC_SQL, params={"opad": opad, "ipad": ipad}).pl()
    finally:
        con.unregister("_ingest_pids")
    hashed = pl.col(PATIENT_ID).replace_strict(
        pairs["pid"], pairs["hash"], default=None, return_dtype=pl.String
    )
    return frame.with_columns(hashed.alias(PATIENT_ID)).rename({PATIENT_ID: PATIENT_HASH})
