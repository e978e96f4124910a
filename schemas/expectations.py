"""Great Expectations suites for the staged extracts, built from the contract.

One suite per extract kind: the table is not empty (for the kinds a run cannot do
without), required columns are not null, enum columns hold contract values, numbers lie
in their ranges, and the contract key is unique. The suites validate the rows staged by
one delivery (a pandas batch built from Arrow), and run as Dagster asset checks.
"""

from __future__ import annotations

import os
from typing import Any

from schemas.contract import KINDS, ExtractKind

#: Kinds without which no mart can be computed: an empty staged table fails the suite.
REQUIRED_KINDS = ("providers", "events", "schedule")

#: Staged names of contract columns (patient ids are staged hashed).
STAGED_NAME = {"patient_id": "patient_hash"}


def suite_for(kind: ExtractKind) -> Any:
    """The expectation suite of one extract kind."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    suite = gx.ExpectationSuite(name=f"staging_{kind.name}")
    if kind.name in REQUIRED_KINDS:
        suite.add_expectation(gxe.ExpectTableRowCountToBeBetween(min_value=1))
    for col in kind.required:
        suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column=col))
    for col, values in kind.enums.items():
        suite.add_expectation(gxe.ExpectColumnValuesToBeInSet(column=col, value_set=list(values)))
    if kind.name == "schedule":
        suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(
            column="duration_minutes", min_value=1, max_value=720))
    if kind.name == "providers":
        suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(
            column="clinical_fte", min_value=0, max_value=1, strict_min=True))
    # The events key is event_id when present (nulls are not compared), else the whole row.
    if len(kind.key) == 1:
        suite.add_expectation(gxe.ExpectColumnValuesToBeUnique(column=kind.key[0]))
    else:
        suite.add_expectation(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(kind.key)))
    return suite


def validate(kind_name: str, frame: Any) -> tuple[bool, list[str]]:
    """Validate a pandas frame of staged rows of ``kind_name``.

    Returns (success, one line per failed expectation).
    """
    os.environ.setdefault("TQDM_DISABLE", "1")
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    asset = context.data_sources.add_pandas(f"staged_{kind_name}").add_dataframe_asset(kind_name)
    batch = asset.add_batch_definition_whole_dataframe("delivery").get_batch(
        batch_parameters={"dataframe": frame}
    )
    result = batch.validate(suite_for(KINDS[kind_name]))
    failed = []
    for r in result.results:
        if not r.success:
            cfg = r.expectation_config
            col = cfg.kwargs.get("column") or cfg.kwargs.get("column_list") or "table"
            unexpected = (r.result or {}).get("unexpected_count")
            failed.append(f"{cfg.type} on {col}"
                          + (f": {unexpected} unexpected values" if unexpected else ""))
    return bool(result.success), failed
