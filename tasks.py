#!/usr/bin/env python3
"""Set up and run the project with nothing but Python 3.11 and pip.

    python3 tasks.py demo    # venv + install, run the pipeline on sample_logs/
    python3 tasks.py test    # venv + install, run the whole test suite
    python3 tasks.py dagster # venv + install, start the Dagster UI (dagster dev)

The virtual environment is .venv/ beside this file; installs are pinned by
constraints.txt and redone only when pyproject.toml or constraints.txt change.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
STAMP = VENV / ".ehrlog-install-stamp"


def _install_fingerprint() -> str:
    h = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        p = ROOT / name
        if p.exists():
            h.update(p.read_bytes())
    return h.hexdigest()


def ensure_env() -> None:
    """Create .venv and install the project with its dev extras, when needed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - run by whatever python3 the machine has
        sys.exit("ehrlog needs Python 3.11 or newer")
    if not (BIN / "python").exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    fp = _install_fingerprint()
    if STAMP.exists() and STAMP.read_text() == fp:
        return
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    print("installing ehrlog and its dependencies into .venv (a few minutes) ...", flush=True)
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    pins = ROOT / "constraints.txt"
    constraints = ["-c", str(pins)] if pins.exists() else []
    subprocess.run([*pip, *constraints, "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(fp)


def run(*args: str) -> int:
    return subprocess.run([str(BIN / args[0]), *args[1:]], cwd=ROOT).returncode


def demo() -> int:
    warehouse = ROOT / "warehouse" / "ehrlog.duckdb"
    reports = ROOT / "reports"
    rc = run("ehrlog", "run", "--input", "sample_logs", "--warehouse", str(warehouse), "--demo")
    if rc:
        return rc
    rc = run("ehrlog", "report", "--warehouse", str(warehouse), "--out", str(reports))
    if rc:
        return rc
    print(f"\nWarehouse: {warehouse}  (open it read-only: duckdb -readonly, or Python)")
    print(f"Charts:    {reports / 'index.html'}  (HTML and PNG, no network needed)")
    return 0


def test() -> int:
    return run("python", "-m", "pytest", "-q", *sys.argv[2:])


def dagster() -> int:
    home = ROOT / ".dagster_home"
    home.mkdir(exist_ok=True)
    link = home / "dagster.yaml"
    if not link.exists():
        link.symlink_to(ROOT / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return run("dagster", "dev")


COMMANDS = {"demo": demo, "test": test, "dagster": dagster}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: python3 tasks.py {{{'|'.join(COMMANDS)}}}")
    ensure_env()
    sys.exit(COMMANDS[sys.argv[1]]())
