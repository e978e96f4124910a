"""Run the jobs in-process: one delivery (``ehrlog run``) or a backfill (``ehrlog backfill``)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from pipelines.assets.methods import PUBLISHED_KEY
from pipelines.assets.staging import (
    DELIVERY_ID_TAG,
    EVENTS_KEY,
    load_run_config,
    methods_run_config,
    recompute_dates,
)
from pipelines.checks import CHECKS
from pipelines.definitions import LOAD_JOB, REBUILD_JOB, definitions_for
from pipelines.partitions import clamp, day_partitions, range_tags
from pipelines.warehouse import WORK_TAG, WarehouseResource
from schemas.config import load_config

#: Dagster's switch for recording a run's planned materializations of a partition range
#: as one event per asset instead of one per partition (367 for a year's delivery, about
#: 1-2 ms each in the event log). Its cost: a failed run does not mark the range's
#: partitions failed in the instance, and the runs here use a throwaway (ephemeral)
#: instance, so nothing reads that mark (docs/performance.md, "Fixed costs").
SUBSET_PLANNED_EVENTS = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"


@contextlib.contextmanager
def _planned_events_as_subsets() -> Iterator[None]:
    """Set :data:`SUBSET_PLANNED_EVENTS` for the duration of a run, then restore it."""
    before = os.environ.get(SUBSET_PLANNED_EVENTS)
    os.environ[SUBSET_PLANNED_EVENTS] = "true"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(SUBSET_PLANNED_EVENTS, None)
        else:
            os.environ[SUBSET_PLANNED_EVENTS] = before


class RunFailed(RuntimeError):
    """A run that stopped; its message is one line, and nothing was published."""


@dataclass(frozen=True)
class CheckOutcome:
    asset: str
    name: str
    passed: bool
    blocking: bool
    description: str

    def line(self) -> str:
        """One line for the terminal; a failed check says whether it blocked publishing
        (a run that printed it published, so a failure shown here is a warning)."""
        status = "passed" if self.passed else (
            "FAILED (blocking: nothing published)" if self.blocking
            else "FAILED (warning only: the warehouse was published)")
        return f"check {self.name} on {self.asset} {status}: {self.description}"


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    warehouse: Path
    checks: list[CheckOutcome] = field(default_factory=list)
    #: The daily partitions (first, last key) the rebuild run recomputed.
    days: tuple[str, str] | None = None
    #: The delivery the run loaded (``quarantine.rows.delivery_id``); None for a backfill.
    delivery_id: str | None = None

    @property
    def failed_checks(self) -> list[CheckOutcome]:
        return [c for c in self.checks if not c.passed]


def _one_line(error: object) -> str:
    """The innermost user error of a serialized step failure, on one line."""
    err = error
    while getattr(err, "cause", None) is not None:
        err = err.cause
    message = str(getattr(err, "message", err)).strip()
    cls = getattr(err, "cls_name", None)
    head, sep, rest = message.partition(": ")
    if cls and sep and (head == cls or head.endswith(f".{cls}")):
        message = rest  # "pipelines.ingest.errors.ExtractError: x" -> "x"
    return " ".join(message.split())


def _checks(result: dg.ExecuteInProcessResult, blocking: set[str]) -> list[CheckOutcome]:
    return [
        CheckOutcome(
            asset=e.asset_key.to_user_string(), name=e.check_name, passed=e.passed,
            blocking=e.check_name in blocking, description=e.description or "",
        )
        for e in result.get_asset_check_evaluations()
    ]


def _blocking() -> set[str]:
    return {c.check_specs_by_output_name[k].name for c in CHECKS
            for k in c.check_specs_by_output_name if c.check_specs_by_output_name[k].blocking}


def _execute(defs: dg.Definitions, job: str, wh: WarehouseResource, work: str, *,
             run_id: str, tags: dict[str, str], run_config: dict, log_level: str,
             asset_selection: list[dg.AssetKey] | None = None
             ) -> tuple[dg.ExecuteInProcessResult, list[CheckOutcome]]:
    """Execute one job in-process on the working copy ``work``; on failure discard the
    working copy and raise :class:`RunFailed`."""
    config = {**run_config, "loggers": {"console": {"config": {"log_level": log_level}}}}
    try:
        with _planned_events_as_subsets():
            result = defs.resolve_job_def(job).execute_in_process(
                run_config=config, run_id=run_id, tags={WORK_TAG: work, **tags},
                raise_on_error=False, asset_selection=asset_selection)
    except Exception as exc:  # noqa: BLE001 - reported as one line, working copy discarded
        wh.discard(work)
        raise RunFailed(" ".join(str(exc).split())) from exc
    checks = _checks(result, _blocking())
    if not result.success:
        wh.discard(work)
        failed = [c for c in checks if not c.passed and c.blocking]
        if failed:
            raise RunFailed("blocking check failed, nothing published: " + " | ".join(
                f"{c.name} on {c.asset}: {c.description}" for c in failed))
        errors = [_one_line(e.step_failure_data.error) for e in result.get_step_failure_events()]
        raise RunFailed(errors[0] if errors else "the run failed")
    return result, checks


def _recompute_dates(result: dg.ExecuteInProcessResult) -> tuple[dt.date, dt.date] | None:
    for mat in result.asset_materializations_for_node("load_delivery_asset"):
        if mat.asset_key == EVENTS_KEY:
            return recompute_dates(mat.metadata)
    return None


def _definitions(warehouse: Path, config_path: Path | None, demo: bool
                 ) -> tuple[dg.Definitions, dg.DailyPartitionsDefinition, WarehouseResource]:
    cfg = load_config(config_path)
    defs = definitions_for(cfg, str(warehouse), str(config_path) if config_path else None,
                           demo, automation=False)
    wh = WarehouseResource(path=str(warehouse))
    return defs, day_partitions(cfg), wh


def run_pipeline(input_dir: Path | None, warehouse: Path, config_path: Path | None,
                 demo: bool = False, log_level: str = "WARNING") -> RunOutcome:
    """Load ``input_dir`` (if given), recompute the dates it touched (every date without
    it) and rebuild every table above them; publish once, atomically.

    Two Dagster runs share one working copy: ``load_delivery`` (without publishing) and
    ``rebuild_days`` over the partitions of the delivery's dates. Raises
    :class:`RunFailed` with a one-line message when a step or a blocking check fails; the
    working copy is then discarded and the last published warehouse stays.
    """
    defs, partitions, wh = _definitions(warehouse, config_path, demo)
    work = str(uuid.uuid4())
    checks: list[CheckOutcome] = []
    delivery_tags: dict[str, str] = {}
    folder = str(Path(input_dir).resolve()) if input_dir else ""
    first, last = partitions.get_first_partition_key(), partitions.get_last_partition_key()
    keys: tuple[str, str] | None = (first, last) if first and last else None
    if input_dir:
        load_id = str(uuid.uuid4())
        result, checks = _execute(
            defs, LOAD_JOB, wh, work, run_id=load_id, tags={}, log_level=log_level,
            run_config=load_run_config(folder),
            asset_selection=[k for k in defs.resolve_job_def(LOAD_JOB).asset_layer
                             .executable_asset_keys if k != PUBLISHED_KEY])
        dates = _recompute_dates(result)
        keys = (clamp(partitions, *dates) if dates else None) or (
            (last, last) if last else None)
        delivery_tags = {DELIVERY_ID_TAG: load_id}
    return _rebuild(defs, wh, work, keys, delivery_tags, folder, log_level, checks)


def backfill_pipeline(start: dt.date, end: dt.date, warehouse: Path,
                      config_path: Path | None, demo: bool = False,
                      log_level: str = "WARNING") -> RunOutcome:
    """Recompute the daily partitions ``start`` .. ``end`` from staging (one run) and
    rebuild every table above them; publish atomically. Re-running is idempotent."""
    defs, partitions, wh = _definitions(warehouse, config_path, demo)
    if end < start:
        raise RunFailed(f"--end {end} is before --start {start}")
    if not wh.published.exists():
        raise RunFailed(f"warehouse {wh.published} does not exist: load a delivery first "
                        "(ehrlog run --input DIR)")
    keys = clamp(partitions, start, end)
    if keys is None:
        raise RunFailed(f"no daily partition between {start} and {end}: partitions run from "
                        f"{partitions.get_first_partition_key()} to "
                        f"{partitions.get_last_partition_key()}")
    return _rebuild(defs, wh, str(uuid.uuid4()), keys, {}, "", log_level, [])


def _rebuild(defs: dg.Definitions, wh: WarehouseResource, work: str,
             keys: tuple[str, str] | None, tags: dict[str, str], folder: str, log_level: str,
             checks: list[CheckOutcome]) -> RunOutcome:
    if keys is None:
        wh.discard(work)
        raise RunFailed("no daily partition exists yet (deployment.partition_start is after "
                        "today)")
    run_id = str(uuid.uuid4())
    _, more = _execute(
        defs, REBUILD_JOB, wh, work, run_id=run_id, tags={**tags, **range_tags(*keys)},
        run_config=methods_run_config(folder),
        log_level=log_level)
    latest = {(c.asset, c.name): c for c in checks + more}  # the rebuild's freshness wins
    return RunOutcome(run_id=run_id, warehouse=wh.published, checks=list(latest.values()),
                      days=keys, delivery_id=tags.get(DELIVERY_ID_TAG))
