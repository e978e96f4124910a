"""The drop-folder sensor: one run per new delivery folder.

Each immediate subfolder of ``deployment.drop_folder`` is a delivery. A folder is
considered complete once nothing in it has changed for ``SETTLE_SECONDS``. Its run key
is the folder name and a fingerprint of its files (names, sizes, modification times), so
the same delivery never starts two runs, while a folder that is re-delivered with other
content starts a new one (whose already-loaded files are skipped by checksum).
"""

import hashlib
import json
import time
from pathlib import Path

import dagster as dg

SETTLE_SECONDS = 60


def delivery_fingerprint(folder: Path) -> tuple[str, float]:
    """(fingerprint of the folder's files, newest modification time)."""
    h = hashlib.sha256()
    newest = folder.stat().st_mtime
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        st = f.stat()
        newest = max(newest, st.st_mtime)
        h.update(f"{f.relative_to(folder)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16], newest


def delivery_run_config(folder: Path) -> dict:
    delivery = {"config": {"delivery": str(folder.resolve())}}
    return {"ops": {"load_delivery_asset": delivery, "marts__methods": delivery}}


def build_drop_folder_sensor(job: dg.JobDefinition | object,
                             drop_folder: str) -> dg.SensorDefinition:
    @dg.sensor(job=job, name="drop_folder_sensor", minimum_interval_seconds=60,
               default_status=dg.DefaultSensorStatus.STOPPED,
               description=f"One run per new delivery folder in {drop_folder}.")
    def drop_folder_sensor(context: dg.SensorEvaluationContext):
        root = Path(drop_folder)
        if not root.is_dir():
            return dg.SkipReason(f"drop folder {root} does not exist")
        seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        now = time.time()
        requests = []
        for folder in sorted(p for p in root.iterdir() if p.is_dir()
                             and not p.name.startswith(".")):
            fingerprint, newest = delivery_fingerprint(folder)
            if seen.get(folder.name) == fingerprint:
                continue
            if now - newest < SETTLE_SECONDS:
                continue  # still being written; look again at the next tick
            seen[folder.name] = fingerprint
            requests.append(dg.RunRequest(run_key=f"{folder.name}:{fingerprint}",
                                          run_config=delivery_run_config(folder),
                                          tags={"ehrlog/delivery": folder.name}))
        if not requests:
            return dg.SkipReason("no new complete delivery folder")
        return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen, sort_keys=True))

    return drop_folder_sensor
