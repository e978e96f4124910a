"""Shared fixtures: the sample delivery and a warehouse built from it once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_logs"


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The published warehouse after one ``run_pipeline`` on ``sample_logs/`` (demo key)."""
    from pipelines.runner import run_pipeline

    out = tmp_path_factory.mktemp("sample") / "ehrlog.duckdb"
    run_pipeline(SAMPLE, out, None, demo=True)
    return out
