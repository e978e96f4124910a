"""Run configuration (CONTRACT.md section 2): one YAML file, every key optional.

``load_config(path)`` returns a frozen :class:`Config`. A malformed value raises
:class:`ConfigError` with one line naming the key. ``Config.metric_settings()`` is the
subset that changes a number; its hash goes into the methods card.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from schemas.contract import APPOINTMENT_STATUSES, TIME_OFF_TYPES

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
PERIODS = ("week", "month", "quarter")
MAX_IDLE_TIMEOUT_SECONDS = 3600


class ConfigError(ValueError):
    """A configuration value that breaks the contract; the message names the key."""


@dataclass(frozen=True)
class ScheduleConfig:
    counted_statuses: tuple[str, ...] = ("scheduled", "arrived", "completed", "no_show")


@dataclass(frozen=True)
class WowConfig:
    window: str = "span"
    buffer_minutes: float = 0.0


@dataclass(frozen=True)
class PajamaConfig:
    weekday_start: dt.time = dt.time(17, 30)
    weekday_end: dt.time = dt.time(7, 0)
    weekends: bool = True


@dataclass(frozen=True)
class QualityConfig:
    max_quarantine_share: float = 0.01
    max_unmapped_share: float = 0.05


@dataclass(frozen=True)
class PrivacyConfig:
    hash_key_env: str = "EHRLOG_HASH_KEY"
    keep_raw_patient_ids: bool = False


@dataclass(frozen=True)
class DeploymentConfig:
    drop_folder: str = "drop/"
    warehouse: str = "warehouse/ehrlog.duckdb"
    nightly_at: str = "02:30"
    #: First local date of the daily partitions of the day grid; None: ``data_start``.
    partition_start: dt.date | None = None


@dataclass(frozen=True)
class Config:
    timezone: str = "America/New_York"
    data_start: dt.date = dt.date(2010, 1, 1)
    data_through: dt.date | None = None
    idle_timeout_seconds: float = 300.0
    week_start: str = "monday"
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    wow: WowConfig = field(default_factory=WowConfig)
    pajama: PajamaConfig = field(default_factory=PajamaConfig)
    vacation_types: tuple[str, ...] = ("vacation", "pto")
    min_scheduled_hours_per_week: float = 4.0
    reporting_period: str = "month"
    min_cell_size: int = 5
    thresholds: str = "seed-documents"
    quality: QualityConfig = field(default_factory=QualityConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    keep_extra_columns: tuple[str, ...] = ()
    deployment: DeploymentConfig = field(default_factory=DeploymentConfig)

    @property
    def week_start_weekday(self) -> int:
        """ISO weekday (1 = Monday) on which weeks start."""
        return WEEKDAYS.index(self.week_start) + 1

    @property
    def partition_start(self) -> dt.date:
        """First date of the daily partitions: ``deployment.partition_start`` or
        ``data_start``."""
        return self.deployment.partition_start or self.data_start

    def metric_settings(self) -> dict[str, Any]:
        """Every setting that changes a number, as plain JSON-able values."""
        d = asdict(self)
        for k in ("quality", "privacy", "deployment", "keep_extra_columns"):
            d.pop(k)
        return json.loads(json.dumps(d, default=str, sort_keys=True))

    def metric_settings_hash(self) -> str:
        payload = json.dumps(self.metric_settings(), sort_keys=True).encode()
        return hashlib.sha256(payload).hexdigest()[:16]

    def with_overrides(self, **kwargs: Any) -> Config:
        """A copy with top-level fields replaced (used by tests and sensitivity runs)."""
        return replace(self, **kwargs)


def _err(key: str, msg: str) -> ConfigError:
    return ConfigError(f"config key '{key}': {msg}")


def _date(key: str, v: Any) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError:
        raise _err(key, f"expected a date YYYY-MM-DD, got {v!r}") from None


def _clock(key: str, v: Any) -> dt.time:
    if isinstance(v, int) and not isinstance(v, bool):
        # YAML 1.1 reads an unquoted 17:30 as the sexagesimal number 1050.
        v = f"{v // 60:02d}:{v % 60:02d}"
    try:
        return dt.time.fromisoformat(str(v))
    except ValueError:
        raise _err(key, f"expected a clock time HH:MM, got {v!r}") from None


def _number(key: str, v: Any, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise _err(key, f"expected a number, got {v!r}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise _err(key, f"{v!r} is outside {lo}..{hi}")
    return float(v)


def _bool(key: str, v: Any) -> bool:
    if not isinstance(v, bool):
        raise _err(key, f"expected true or false, got {v!r}")
    return v


def _choice(key: str, v: Any, choices: tuple[str, ...]) -> str:
    if v not in choices:
        raise _err(key, f"expected one of {', '.join(choices)}, got {v!r}")
    return str(v)


def _str_list(key: str, v: Any, choices: tuple[str, ...] | None = None) -> tuple[str, ...]:
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise _err(key, f"expected a list of names, got {v!r}")
    if choices is not None:
        for x in v:
            _choice(key, x, choices)
    return tuple(v)


def _section(raw: dict[str, Any], name: str, allowed: set[str]) -> dict[str, Any]:
    sec = raw.get(name) or {}
    if not isinstance(sec, dict):
        raise _err(name, f"expected a mapping, got {sec!r}")
    unknown = set(sec) - allowed
    if unknown:
        raise _err(f"{name}.{sorted(unknown)[0]}", "unknown key")
    return sec


TOP_KEYS = {
    "timezone", "data_start", "data_through", "idle_timeout_seconds", "week_start", "schedule",
    "wow", "pajama", "vacation_types", "min_scheduled_hours_per_week", "reporting_period",
    "min_cell_size", "thresholds", "quality", "privacy", "keep_extra_columns", "deployment",
}


def parse_config(raw: dict[str, Any] | None) -> Config:
    """Validate a parsed YAML mapping into a :class:`Config`."""
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ConfigError("config: expected a mapping at the top level")
    unknown = set(raw) - TOP_KEYS
    if unknown:
        raise _err(sorted(unknown)[0], "unknown key")
    d = Config()
    kw: dict[str, Any] = {}
    if "timezone" in raw:
        try:
            ZoneInfo(str(raw["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            raise _err("timezone", f"unknown time zone {raw['timezone']!r}") from None
        kw["timezone"] = str(raw["timezone"])
    if "data_start" in raw:
        kw["data_start"] = _date("data_start", raw["data_start"])
    if raw.get("data_through") is not None:
        kw["data_through"] = _date("data_through", raw["data_through"])
    if "idle_timeout_seconds" in raw:
        v = _number(
            "idle_timeout_seconds", raw["idle_timeout_seconds"], 0, MAX_IDLE_TIMEOUT_SECONDS
        )
        if v <= 0:
            raise _err("idle_timeout_seconds", "must be above 0")
        kw["idle_timeout_seconds"] = v
    if "week_start" in raw:
        kw["week_start"] = _choice("week_start", raw["week_start"], WEEKDAYS)
    sched = _section(raw, "schedule", {"counted_statuses"})
    if "counted_statuses" in sched:
        kw["schedule"] = ScheduleConfig(
            _str_list("schedule.counted_statuses", sched["counted_statuses"], APPOINTMENT_STATUSES)
        )
    wow = _section(raw, "wow", {"window", "buffer_minutes"})
    kw["wow"] = WowConfig(
        window=_choice("wow.window", wow.get("window", d.wow.window), ("span", "slots")),
        buffer_minutes=_number("wow.buffer_minutes", wow.get("buffer_minutes", 0), 0, 720),
    )
    paj = _section(raw, "pajama", {"weekday_start", "weekday_end", "weekends"})
    pj = PajamaConfig(
        weekday_start=_clock("pajama.weekday_start", paj.get("weekday_start", "17:30")),
        weekday_end=_clock("pajama.weekday_end", paj.get("weekday_end", "07:00")),
        weekends=_bool("pajama.weekends", paj.get("weekends", True)),
    )
    if not pj.weekday_end < pj.weekday_start:
        raise _err("pajama.weekday_end", "must be earlier than pajama.weekday_start")
    kw["pajama"] = pj
    if "vacation_types" in raw:
        kw["vacation_types"] = _str_list("vacation_types", raw["vacation_types"], TIME_OFF_TYPES)
    if "min_scheduled_hours_per_week" in raw:
        kw["min_scheduled_hours_per_week"] = _number(
            "min_scheduled_hours_per_week", raw["min_scheduled_hours_per_week"], 0, 168
        )
    if "reporting_period" in raw:
        kw["reporting_period"] = _choice("reporting_period", raw["reporting_period"], PERIODS)
    if "min_cell_size" in raw:
        kw["min_cell_size"] = int(_number("min_cell_size", raw["min_cell_size"], 1, 10_000))
    if "thresholds" in raw:
        if not isinstance(raw["thresholds"], str) or not raw["thresholds"]:
            raise _err("thresholds", "expected a profile name or a file path")
        kw["thresholds"] = raw["thresholds"]
    q = _section(raw, "quality", {"max_quarantine_share", "max_unmapped_share"})
    kw["quality"] = QualityConfig(
        max_quarantine_share=_number(
            "quality.max_quarantine_share", q.get("max_quarantine_share", 0.01), 0, 1
        ),
        max_unmapped_share=_number(
            "quality.max_unmapped_share", q.get("max_unmapped_share", 0.05), 0, 1
        ),
    )
    p = _section(raw, "privacy", {"hash_key_env", "keep_raw_patient_ids"})
    kw["privacy"] = PrivacyConfig(
        hash_key_env=str(p.get("hash_key_env", "EHRLOG_HASH_KEY")),
        keep_raw_patient_ids=_bool(
            "privacy.keep_raw_patient_ids", p.get("keep_raw_patient_ids", False)
        ),
    )
    if "keep_extra_columns" in raw:
        kw["keep_extra_columns"] = _str_list("keep_extra_columns", raw["keep_extra_columns"])
    dep = _section(raw, "deployment", {"drop_folder", "warehouse", "nightly_at",
                                       "partition_start"})
    kw["deployment"] = DeploymentConfig(
        drop_folder=str(dep.get("drop_folder", d.deployment.drop_folder)),
        warehouse=str(dep.get("warehouse", d.deployment.warehouse)),
        nightly_at=_clock("deployment.nightly_at", dep.get("nightly_at", "02:30")).strftime(
            "%H:%M"
        ),
        partition_start=(None if dep.get("partition_start") is None
                         else _date("deployment.partition_start", dep["partition_start"])),
    )
    return Config(**kw)


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read the YAML config at ``path``, or ``$EHRLOG_CONFIG``, or return the defaults."""
    path = path or os.environ.get("EHRLOG_CONFIG")
    if not path:
        return Config()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"config file {p}: cannot be read ({e.strerror})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"config file {p}: not valid YAML ({e})") from None
    return parse_config(raw)
