"""The methods choices where the contract is silent are written into the methods card
and the README alike (CONTRACT.md, preamble)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import duckdb
from click.testing import CliRunner

from pipelines.cli import cli
from schemas.choices import METHODS_CHOICES

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_logs"


def _readme_titles() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Methods choices where the contract is silent", 1)[1]
    section = section.split("\n## ", 1)[0]
    return re.findall(r"^- \*\*(.+?)\.?\*\*", section, flags=re.MULTILINE)


def test_the_readme_explains_each_recorded_choice_and_no_other() -> None:
    assert _readme_titles() == list(METHODS_CHOICES)


def test_every_run_records_the_choices_and_the_command_prints_them(
        sample_warehouse: Path) -> None:
    con = duckdb.connect(str(sample_warehouse), read_only=True)
    try:
        cards = con.sql("SELECT methods_choices_json FROM marts.methods").fetchall()
    finally:
        con.close()
    assert [json.loads(c[0]) for c in cards] == [METHODS_CHOICES]
    result = CliRunner().invoke(cli, ["methods", "--warehouse", str(sample_warehouse)])
    assert result.exit_code == 0, result.output
    assert ("  Enumerated values: " + METHODS_CHOICES["Enumerated values"]) in result.output


def test_a_card_of_an_earlier_version_gains_the_column(sample_warehouse: Path,
                                                       tmp_path: Path) -> None:
    from pipelines.runner import run_pipeline

    wh = tmp_path / "ehrlog.duckdb"
    shutil.copyfile(sample_warehouse, wh)
    con = duckdb.connect(str(wh))
    for column in ("methods_choices_json", "thresholds_sha256"):
        con.execute(f"ALTER TABLE marts.methods DROP COLUMN {column}")  # a test constant
    con.close()
    result = CliRunner().invoke(cli, ["methods", "--warehouse", str(wh)])
    assert "  none recorded: an earlier version" in result.output
    assert "thresholds profile: seed-documents (sha256 not recorded)" in result.output
    run_pipeline(SAMPLE, wh, None, demo=True)
    con = duckdb.connect(str(wh), read_only=True)
    try:
        got = con.sql("SELECT methods_choices_json, thresholds_sha256 FROM marts.methods "
                      "ORDER BY run_at").fetchall()
    finally:
        con.close()
    shipped = ROOT / "metrics" / "profiles" / "seed-documents.yaml"
    assert got[0] == (None, None)
    assert json.loads(got[1][0]) == METHODS_CHOICES
    assert got[1][1] == hashlib.sha256(shipped.read_bytes()).hexdigest()
