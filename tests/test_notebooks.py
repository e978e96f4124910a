"""Every notebook in notebooks/ runs top to bottom against the sample warehouse.

The notebooks are jupytext percent-format ``.py`` files. Each is converted with jupytext
and executed with nbclient on a kernel of *this* interpreter: a throw-away kernelspec in
a temporary folder points at ``sys.executable``, so the test needs no kernel installed
in the user's Jupyter folders and never picks up another Python. ``EHRLOG_WAREHOUSE``
points the notebooks at the session's sample warehouse.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402
from jupyter_client.manager import KernelManager  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))
KERNEL_NAME = "ehrlog-test-python"

# Text each notebook must print: a specific table or check, not just "no error".
EXPECTED: dict[str, list[str]] = {
    "warehouse_tour": [
        "marts.provider_day",
        "settings hash",
        "mean_of_monthly_ratios",
        "ehr_time8_is_null",
        "department aggregates, latest complete month",
        "tour complete",
    ],
    "inbox_burden_by_message_type": [
        "message mix (all providers, complete periods)",
        "patient_message",
        "system-generated share of all messages:",
        "messages per week per clinical FTE, by department and type",
        "median_hours_to_complete",
    ],
    "idle_timeout_sensitivity": [
        "ratio_to_configured",
        "check against marts.provider_day at 300 s: difference 0.000 minutes",
        "share_of_gaps_counted",
        "EHR time relative to the configured timeout, per provider",
        "share_at_900s",
    ],
}

HEX_HASH = re.compile(r"\b[0-9a-f]{64}\b")


@pytest.fixture(scope="module")
def kernel_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kernelspec folder whose only kernel runs ipykernel on this interpreter."""
    root = tmp_path_factory.mktemp("kernels")
    spec = root / KERNEL_NAME
    spec.mkdir()
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "ehrlog tests",
        "language": "python",
    }))
    return root


def _outputs(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append(out.get("text", ""))
            elif out.get("output_type") in ("execute_result", "display_data"):
                parts.append(out.get("data", {}).get("text/plain", ""))
            elif out.get("output_type") == "error":
                parts.append(f"ERROR {out.get('ename')}: {out.get('evalue')}")
    return "\n".join(parts)


def test_every_notebook_has_expectations() -> None:
    names = {p.stem for p in NOTEBOOKS}
    assert set(EXPECTED) <= names, f"missing notebooks: {sorted(set(EXPECTED) - names)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_reads_warehouse_from_env_read_only(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.lstrip().startswith("# ---") and "# %%" in text, "not jupytext percent format"
    assert 'os.environ.get("EHRLOG_WAREHOUSE", "warehouse/ehrlog.duckdb")' in text
    assert "read_only=True" in text
    assert "patient_hash" not in text and "patient_id" not in text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, sample_warehouse: Path, kernel_dir: Path,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EHRLOG_WAREHOUSE", str(sample_warehouse))
    nb = jupytext.read(path)
    km = KernelManager(kernel_name=KERNEL_NAME,
                       kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernel_dir)]))
    client = nbclient.NotebookClient(nb, km=km, timeout=120, allow_errors=False,
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    text = _outputs(nb)
    assert "ERROR " not in text
    for expected in EXPECTED.get(path.stem, []):
        assert expected in text, f"{path.name} did not print {expected!r}"
    assert not HEX_HASH.search(text), f"{path.name} printed something like a patient hash"
