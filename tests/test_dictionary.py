"""docs/data-dictionary.md is what `ehrlog docs` generates from the sample warehouse.

When a COMMENT in pipelines/catalog.py or pipelines/ingest/tables.py, or a table, changes,
regenerate the committed dictionary:

    EHRLOG_UPDATE_SNAPSHOT=1 pytest tests/test_dictionary.py

or build a sample warehouse and run `ehrlog docs` on it (see the failure message).
"""

from __future__ import annotations

import difflib
import hashlib
import os
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.commands.docs import command
from pipelines.dictionary import (
    MISSING,
    data_dictionary,
    missing_comments,
    read_catalog,
    render,
)

ROOT = Path(__file__).resolve().parent.parent
DICTIONARY = ROOT / "docs" / "data-dictionary.md"
UPDATE_ENV = "EHRLOG_UPDATE_SNAPSHOT"
HOW_TO_UPDATE = (
    f"Regenerate it with `{UPDATE_ENV}=1 pytest tests/test_dictionary.py`, or with "
    "`ehrlog run --input sample_logs --warehouse /tmp/sample/ehrlog.duckdb --demo && "
    "ehrlog docs --warehouse /tmp/sample/ehrlog.duckdb --out docs/data-dictionary.md`, "
    "and commit it with the change that caused it."
)


@pytest.fixture(scope="module")
def generated(sample_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("docs") / "data-dictionary.md"
    before = hashlib.sha256(sample_warehouse.read_bytes()).hexdigest()
    result = CliRunner().invoke(command, ["--warehouse", str(sample_warehouse),
                                          "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert hashlib.sha256(sample_warehouse.read_bytes()).hexdigest() == before
    return out.read_text(encoding="utf-8")


def test_committed_dictionary_is_current(generated: str) -> None:
    if os.environ.get(UPDATE_ENV) == "1":
        DICTIONARY.write_text(generated, encoding="utf-8")
        pytest.skip(f"{UPDATE_ENV}=1: wrote {DICTIONARY.relative_to(ROOT)}")
    assert DICTIONARY.is_file(), f"{DICTIONARY} is missing. {HOW_TO_UPDATE}"
    committed = DICTIONARY.read_text(encoding="utf-8")
    if committed != generated:
        diff = list(difflib.unified_diff(committed.splitlines(), generated.splitlines(),
                                         "docs/data-dictionary.md (committed)",
                                         "ehrlog docs (sample warehouse)", lineterm="", n=1))
        shown = "\n".join(diff[:60]) + ("\n..." if len(diff) > 60 else "")
        pytest.fail(f"docs/data-dictionary.md is out of date.\n{shown}\n{HOW_TO_UPDATE}",
                    pytrace=False)


def test_every_table_and_column_has_a_comment(sample_warehouse: Path) -> None:
    con = duckdb.connect(str(sample_warehouse), read_only=True)
    try:
        relations = read_catalog(con)
    finally:
        con.close()
    assert missing_comments(relations) == []
    assert [r.schema for r in relations][0] == "marts"


def test_dictionary_covers_every_layer_in_order(generated: str) -> None:
    headings = [line[3:] for line in generated.splitlines() if line.startswith("## ")]
    assert headings == ["marts", "core", "staging", "quarantine", "raw"]
    for table in ("marts.provider_day", "marts.methods", "core.providers", "staging.inbox",
                  "quarantine.rows", "raw.files"):
        assert f"### {table}\n" in generated
    assert "| `ehr_minutes` | DOUBLE | Active EHR minutes" in generated
    assert MISSING not in generated


def _toy() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for schema in ("raw", "marts", "extra", "core"):
        con.execute(f"CREATE SCHEMA {schema}")
    con.execute("CREATE TABLE marts.zeta (b DOUBLE, a VARCHAR)")
    con.execute("CREATE TABLE marts.alpha (id BIGINT)")
    con.execute("CREATE TABLE raw.files (f VARCHAR)")
    con.execute("CREATE TABLE extra.t (x INTEGER)")
    con.execute("CREATE VIEW core.v AS SELECT 1 AS one")
    con.execute("COMMENT ON TABLE marts.zeta IS 'One row per thing | with a pipe'")
    con.execute("COMMENT ON COLUMN marts.zeta.b IS 'The b\nvalue'")
    con.execute("COMMENT ON TABLE marts.alpha IS 'Alpha grain.'")
    con.execute("COMMENT ON COLUMN marts.alpha.id IS 'Id.'")
    return con


def test_render_orders_escapes_and_marks_missing() -> None:
    con = _toy()
    text = data_dictionary(con)
    relations = read_catalog(con)
    con.close()
    assert [r.qualified for r in relations] == [
        "marts.alpha", "marts.zeta", "core.v", "raw.files", "extra.t"]
    assert [c.name for c in relations[1].columns] == ["b", "a"]  # ordinal order
    assert "| [`marts.zeta`](#martszeta) | One row per thing \\| with a pipe |" in text
    assert "| `b` | DOUBLE | The b value |" in text
    assert f"| `a` | VARCHAR | {MISSING} |" in text
    assert "### core.v (view)" in text
    assert "marts.zeta.a" in missing_comments(relations)
    assert render(relations) == text  # deterministic


def test_command_check_and_stdout(sample_warehouse: Path, generated: str,
                                  tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "dd.md"
    out.write_text(generated, encoding="utf-8")
    ok = runner.invoke(command, ["--warehouse", str(sample_warehouse), "--out", str(out),
                                 "--check"])
    assert ok.exit_code == 0, ok.output
    out.write_text(generated + "edited\n", encoding="utf-8")
    stale = runner.invoke(command, ["--warehouse", str(sample_warehouse), "--out", str(out),
                                    "--check"])
    assert stale.exit_code == 1 and "out of date" in stale.output
    assert out.read_text(encoding="utf-8").endswith("edited\n")  # --check writes nothing
    printed = runner.invoke(command, ["--warehouse", str(sample_warehouse), "--out", "-"])
    assert printed.exit_code == 0 and printed.output == generated


def test_command_missing_warehouse(tmp_path: Path) -> None:
    result = CliRunner().invoke(command, ["--warehouse", str(tmp_path / "nope.duckdb"),
                                          "--out", str(tmp_path / "dd.md")])
    assert result.exit_code == 1 and "warehouse not found" in result.output
    assert not (tmp_path / "dd.md").exists()
