"""Run the asset graph in-process for one delivery (what ``ehrlog run`` does)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from pipelines.definitions import ASSETS, CHECKS, load_and_rebuild, resources
from pipelines.warehouse import WarehouseResource


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
        status = "passed" if self.passed else "FAILED"
        return f"check {self.name} on {self.asset} {status}: {self.description}"


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    warehouse: Path
    checks: list[CheckOutcome] = field(default_factory=list)

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


def run_pipeline(input_dir: Path | None, warehouse: Path, config_path: Path | None,
                 demo: bool = False, log_level: str = "WARNING") -> RunOutcome:
    """Load ``input_dir`` (if given) and rebuild every table; publish atomically.

    Raises :class:`RunFailed` with a one-line message when a step or a blocking check
    fails; the working copy is then discarded and the last published warehouse stays.
    """
    run_id = str(uuid.uuid4())
    res = resources(str(warehouse), str(config_path) if config_path else None, demo)
    defs = dg.Definitions(assets=ASSETS, asset_checks=CHECKS, jobs=[load_and_rebuild],
                          resources=res)
    delivery = {"config": {"delivery": str(Path(input_dir).resolve()) if input_dir else ""}}
    run_config = {
        "ops": {"load_delivery_asset": delivery, "marts__methods": delivery},
        "loggers": {"console": {"config": {"log_level": log_level}}},
    }
    wh: WarehouseResource = res["warehouse"]
    blocking = {c.check_specs_by_output_name[k].name for c in CHECKS
                for k in c.check_specs_by_output_name if c.check_specs_by_output_name[k].blocking}
    try:
        result = defs.resolve_job_def("load_and_rebuild").execute_in_process(
            run_config=run_config, run_id=run_id, raise_on_error=False
        )
    except Exception as exc:  # noqa: BLE001 - reported as one line, working copy discarded
        wh.discard(run_id)
        raise RunFailed(" ".join(str(exc).split())) from exc
    checks = _checks(result, blocking)
    if not result.success:
        wh.discard(run_id)
        failed = [c for c in checks if not c.passed and c.blocking]
        if failed:
            raise RunFailed("blocking check failed, nothing published: " + " | ".join(
                f"{c.name} on {c.asset}: {c.description}" for c in failed))
        errors = [_one_line(e.step_failure_data.error) for e in result.get_step_failure_events()]
        raise RunFailed(errors[0] if errors else "the run failed")
    return RunOutcome(run_id=run_id, warehouse=wh.published, checks=checks)
