"""The repository's ``dagster.yaml`` loads as a Dagster instance (as ``python3 tasks.py
dagster`` uses it) and sets what docs/operations.md says it sets."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_dagster_yaml_loads_and_limits_the_runs(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copyfile(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    instance = dg.DagsterInstance.from_config(str(tmp_path))
    try:
        config = instance.get_concurrency_config()
        assert config.run_queue_config.max_concurrent_runs == 2
        assert config.pool_config.default_pool_limit == 1  # one writing run at a time
        assert config.pool_config.pool_granularity.value == "run"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert instance.get_settings("telemetry") == {"enabled": False}
        assert instance.get_settings("retention")["sensor"]["purge_after_days"] == {
            "skipped": 7, "failure": 90, "success": 365}
    finally:
        instance.dispose()
