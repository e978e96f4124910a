"""Metric settings, read when a run starts (never at import time)."""

from __future__ import annotations

import dagster as dg

from schemas.config import Config, load_config


class SettingsResource(dg.ConfigurableResource):
    """The run's configuration file (or ``$EHRLOG_CONFIG``) and demo mode."""

    config_path: str | None = None
    demo: bool = False

    def load(self) -> Config:
        return load_config(self.config_path)
