"""Run the asset graph in-process for one delivery (what ``ehrlog run`` does)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from pipelines.definitions import ASSETS, load_and_rebuild, resources
from pipelines.warehouse import WarehouseResource


class RunFailed(RuntimeError):
    """A run that stopped; its message is one line, and nothing was published."""


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    warehouse: Path


def _root_message(exc: BaseException) -> str:
    """The innermost user error's message, on one line."""
    user = getattr(exc, "user_exception", None)
    while user is None and exc.__cause__ is not None:
        exc = exc.__cause__
        user = getattr(exc, "user_exception", None)
    err = user or exc
    return " ".join(str(err).split()) or type(err).__name__


def run_pipeline(input_dir: Path | None, warehouse: Path, config_path: Path | None,
                 demo: bool = False, log_level: str = "WARNING") -> RunOutcome:
    """Load ``input_dir`` (if given) and rebuild every table; publish atomically.

    Raises :class:`RunFailed` with a one-line message when any step fails; the working
    copy is then discarded and the last published warehouse stays in place.
    """
    run_id = str(uuid.uuid4())
    res = resources(str(warehouse), str(config_path) if config_path else None, demo)
    defs = dg.Definitions(assets=ASSETS, jobs=[load_and_rebuild], resources=res)
    delivery = {"config": {"delivery": str(Path(input_dir).resolve()) if input_dir else ""}}
    run_config = {
        "ops": {"load_delivery_asset": delivery, "marts__methods": delivery},
        "loggers": {"console": {"config": {"log_level": log_level}}},
    }
    wh: WarehouseResource = res["warehouse"]
    try:
        defs.resolve_job_def("load_and_rebuild").execute_in_process(
            run_config=run_config, run_id=run_id, raise_on_error=True
        )
    except Exception as exc:  # noqa: BLE001 - reported as one line, working copy discarded
        wh.discard(run_id)
        raise RunFailed(_root_message(exc)) from exc
    return RunOutcome(run_id=run_id, warehouse=wh.published)
