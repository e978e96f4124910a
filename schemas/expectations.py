"""Great Expectations suites for the staged extracts, built from the contract.

One suite per extract kind: required columns are not null, enum columns hold contract
values, numbers lie in their ranges, and the contract key is unique. The suites validate
the rows staged by one delivery with GX's pandas engine, and run as Dagster asset checks
(``pipelines/checks.py``).

How a delivery is validated (:class:`DeliveryValidation`): the suite is split by what
each expectation needs to see, and every part is validated by GX, in one GX context.

- **Row expectations** (not null, in set, between) hold row by row, so they are
  validated on bounded chunks of the delivery's rows, reading only the columns they
  name (:attr:`Plan.columns`). A chunk's unexpected count is the count of its own rows,
  so the counts add up: an expectation succeeds when it succeeds on every chunk
  (``mostly`` is 1, the default, for all of them) and its unexpected count is the sum.
- **The key expectation** (unique) must hold across the whole delivery, not per chunk.
  DuckDB finds the keys that occur more than once in the delivery with their counts;
  GX's uniqueness expectation is validated on those keys, each repeated as many times
  as it occurs (:func:`expand_groups`). Keys occurring once cannot be unexpected, so
  the verdict and unexpected count are those of the whole delivery. Keys are handed to
  GX in whole groups, so a duplicated key is never split across two batches. As GX
  does, missing keys are not compared (a compound key is ignored when all its columns
  are missing).
Python's memory is therefore bounded by the chunk size, whatever the delivery size
(DuckDB's by its memory limit). GX fingerprints every pandas batch under 1 GB by hashing
all of it, only to label the batch in its result; that hashing doubled the validation
time, so it is switched off while a delivery is validated (:data:`FINGERPRINT_BATCHES`,
:func:`batch_fingerprints`). The chunks are pandas frames of Arrow-backed columns
(``pd.ArrowDtype``, ``pipelines.checks._stream``): no Python object per value. Measured
with ``benchmarks/gx_cost.py``; figures in ``docs/operations.md`` and
``docs/performance.md``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from schemas.contract import KINDS, ExtractKind
from schemas.gx_import import import_gx

#: Staged names of contract columns (patient ids are staged hashed).
STAGED_NAME = {"patient_id": "patient_hash"}

#: Rows of one chunk handed to GX (and duplicated-key rows per batch). GX pays a fixed
#: cost per validation of a chunk: on 30 million staged events the check took 1.9-2.3 s
#: with chunks of 2 million rows against 2.3-2.7 s with 500,000, for 0.12-0.3 GB more
#: at its peak (docs/performance.md, "The GX check of the events").
CHUNK_ROWS = 2_000_000

#: GX's batch fingerprint (an md5 of ``pandas.util.hash_pandas_object`` of the whole
#: batch, stored in the result's batch markers) is metadata nobody here reads; False
#: skips it while a :class:`DeliveryValidation` runs. True measures GX as shipped.
FINGERPRINT_BATCHES = False

#: Expectation types, by what they must see (see the module docstring).
ROW_TYPES = frozenset({"expect_column_values_to_not_be_null",
                       "expect_column_values_to_be_in_set",
                       "expect_column_values_to_be_between"})
KEY_TYPES = frozenset({"expect_column_values_to_be_unique",
                       "expect_compound_columns_to_be_unique"})
PARTS = ("rows", "key")

#: GX result format: unexpected counts (and a few example values, never shown: the
#: check reports counts only); cheaper than GX's default, SUMMARY.
RESULT_FORMAT = "BASIC"


def suite_for(kind: ExtractKind) -> Any:
    """The expectation suite of one extract kind."""
    gx = import_gx()
    import great_expectations.expectations as gxe

    suite = gx.ExpectationSuite(name=f"staging_{kind.name}")
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


def _staged(col: str) -> str:
    return STAGED_NAME.get(col, col)


def _columns_of(expectation: Any) -> list[str]:
    kwargs = expectation.configuration.kwargs
    if kwargs.get("column_list"):
        return list(kwargs["column_list"])
    return [kwargs["column"]] if kwargs.get("column") else []


def _part_of(expectation: Any) -> str:
    kind = expectation.expectation_type
    for part, types in zip(PARTS, (ROW_TYPES, KEY_TYPES), strict=True):
        if kind in types:
            return part
    raise ValueError(f"{kind}: say in schemas/expectations.py whether it is validated per "
                     "chunk of rows or on the duplicated keys")


@dataclass(frozen=True)
class Plan:
    """The suite of one kind split by what each expectation must see."""

    kind: str
    rows: tuple[Any, ...]
    key: tuple[Any, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        """Staged columns the row expectations read (nothing else is read per row)."""
        cols = (_staged(c) for e in self.rows for c in _columns_of(e))
        return tuple(dict.fromkeys(cols))

    @property
    def key_columns(self) -> tuple[str, ...]:
        """Staged columns of the key expectation (empty when the suite has none)."""
        cols = (_staged(c) for e in self.key for c in _columns_of(e))
        return tuple(dict.fromkeys(cols))


def plan_for(kind_name: str) -> Plan:
    """Split the suite of ``kind_name`` into its row and key expectations.

    Like any GX suite, it needs a current GX context (``gx.get_context``).
    """
    parts: dict[str, list[Any]] = {p: [] for p in PARTS}
    for expectation in suite_for(KINDS[kind_name]).expectations:
        parts[_part_of(expectation)].append(expectation)
    if len(parts["key"]) > 1:
        raise ValueError(f"{kind_name}: one key expectation per suite, not {len(parts['key'])}")
    partial = [e.expectation_type for e in (*parts["rows"], *parts["key"])
               if getattr(e, "mostly", 1) != 1]
    if partial:  # per-chunk verdicts would not combine into the whole delivery's
        raise ValueError(f"{kind_name}: mostly < 1 is not supported when chunking: {partial}")
    return Plan(kind_name, *(tuple(parts[p]) for p in PARTS))


@dataclass
class Outcome:
    """The combined result of one expectation over every batch it was validated on."""

    type: str
    target: str
    success: bool = True
    unexpected_count: int = 0
    observed_value: Any = None
    error: str | None = None
    batches: int = 0

    def line(self) -> str:
        text = f"{self.type} on {self.target}"
        if self.error:
            return f"{text}: error {self.error}"
        if self.unexpected_count:
            return f"{text}: {self.unexpected_count} unexpected values"
        if self.observed_value is not None:
            return f"{text}: observed {self.observed_value}"
        return text


def _target(cfg: Any) -> str:
    """What an expectation configuration is about: its column(s), or the table."""
    col = cfg.kwargs.get("column") or cfg.kwargs.get("column_list")
    return str(col) if col else "table"


def _error_of(info: Any) -> str | None:
    """The first line of the exception GX caught while validating, if any."""
    if not isinstance(info, dict):
        return None
    infos = [info] if "raised_exception" in info else list(info.values())
    for i in infos:
        if isinstance(i, dict) and i.get("raised_exception"):
            return (str(i.get("exception_message") or "raised").splitlines() or ["raised"])[0]
    return None


def _gx_context() -> Any:
    os.environ.setdefault("TQDM_DISABLE", "1")
    gx = import_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


@contextlib.contextmanager
def batch_fingerprints(enabled: bool) -> Iterator[None]:
    """Let GX fingerprint pandas batches, or not, within the block.

    GX hashes every pandas batch smaller than ``HASH_THRESHOLD`` bytes into its batch
    markers; a threshold of 0 skips it. Nothing else in the validation changes. Should a
    GX release drop the threshold, the block changes nothing (GX is then only slower).
    """
    from great_expectations.execution_engine import pandas_execution_engine as engine

    if enabled or not hasattr(engine, "HASH_THRESHOLD"):
        yield
        return
    previous = engine.HASH_THRESHOLD
    engine.HASH_THRESHOLD = 0
    try:
        yield
    finally:
        engine.HASH_THRESHOLD = previous


class DeliveryValidation:
    """One GX validation of the suite of one kind on one delivery, fed in parts.

    Build it once per delivery (one GX context, one validation definition per part),
    then give it :meth:`rows` once per chunk of :attr:`columns`
    and :meth:`duplicated_keys` once per batch of duplicated-key rows; :meth:`result`
    combines them. Parts with no expectations ignore what they are given.
    """

    def __init__(self, kind_name: str, *, fingerprint: bool | None = None) -> None:
        gx = import_gx()

        self.kind = kind_name
        self.fingerprint = FINGERPRINT_BATCHES if fingerprint is None else fingerprint
        context = _gx_context()
        self.plan = plan_for(kind_name)
        batches = (context.data_sources.add_pandas(f"staged_{kind_name}")
                   .add_dataframe_asset(kind_name)
                   .add_batch_definition_whole_dataframe("delivery"))
        self._outcomes: dict[str, Outcome] = {}  # by expectation id, in suite order
        self._definitions: dict[str, Any] = {}
        for part in PARTS:
            expectations = getattr(self.plan, part)
            if not expectations:
                continue
            suite = gx.ExpectationSuite(name=f"staging_{kind_name}_{part}")
            for e in expectations:
                suite.add_expectation(e)
            suite = context.suites.add(suite)
            for e in suite.expectations:
                self._outcomes[e.id] = Outcome(e.expectation_type, _target(e.configuration))
            self._definitions[part] = context.validation_definitions.add(
                gx.ValidationDefinition(name=f"staging_{kind_name}_{part}", data=batches,
                                        suite=suite))
        self.rows_validated = 0
        self.duplicated_key_rows = 0

    @property
    def columns(self) -> tuple[str, ...]:
        return self.plan.columns

    @property
    def key_columns(self) -> tuple[str, ...]:
        return self.plan.key_columns

    def _validate(self, part: str, frame: Any) -> None:
        definition = self._definitions.get(part)
        if definition is None:
            return
        with batch_fingerprints(self.fingerprint):
            result = definition.run(batch_parameters={"dataframe": frame},
                                    result_format=RESULT_FORMAT)
        for r in result.results:
            outcome = self._outcomes[r.expectation_config.id]
            outcome.batches += 1
            outcome.success = outcome.success and bool(r.success)
            details = r.result or {}
            outcome.unexpected_count += int(details.get("unexpected_count") or 0)
            if "observed_value" in details:
                outcome.observed_value = details["observed_value"]
            if outcome.error is None:
                outcome.error = _error_of(r.exception_info)

    def rows(self, frame: Any) -> None:
        """Validate the row expectations on one chunk (a pandas frame of :attr:`columns`)."""
        self.rows_validated += len(frame)
        self._validate("rows", frame)

    def duplicated_keys(self, frame: Any) -> None:
        """Validate the key expectation on rows whose key occurs more than once.

        ``frame`` holds :attr:`key_columns`; every key in it must come with all its
        occurrences in the delivery (:func:`expand_groups` does that).
        """
        self.duplicated_key_rows += len(frame)
        self._validate("key", frame)

    def outcomes(self) -> list[Outcome]:
        """Every expectation's combined outcome, in suite order."""
        return list(self._outcomes.values())

    def result(self) -> tuple[bool, list[str]]:
        """(success, one line per failed expectation).

        Every expectation must have been validated on at least one batch (an empty one
        when the delivery has no rows, or no key occurs twice), so that GX states each.
        """
        unstated = [f"{o.type} on {o.target}" for o in self._outcomes.values() if not o.batches]
        if unstated:
            raise RuntimeError(f"{self.kind}: never validated: {'; '.join(unstated)}")
        failed = [o.line() for o in self._outcomes.values() if not o.success]
        return not failed, failed


def expand_groups(groups: Any, count_column: str, max_rows: int) -> Iterator[Any]:
    """Arrow batches of key rows from ``groups``, an Arrow batch of one row per key.

    Each key is repeated ``count_column`` times, so that GX sees every occurrence, and a
    key's occurrences are never split across two batches. A batch holds the keys whose
    occurrences start within the same ``max_rows`` rows: at most ``max_rows`` rows plus
    the occurrences of its last key.
    """
    import numpy as np
    import pyarrow as pa

    keys = groups.drop_columns([count_column])
    counts = np.asarray(groups.column(count_column).to_numpy(), dtype=np.int64)
    if len(counts) == 0:
        return
    starts = np.cumsum(counts) - counts
    bucket = starts // max(1, max_rows)
    edges = [0, *(np.flatnonzero(np.diff(bucket)) + 1).tolist(), len(counts)]
    for lo, hi in zip(edges, edges[1:], strict=False):
        repeat = np.repeat(np.arange(hi - lo), counts[lo:hi])
        yield keys.slice(lo, hi - lo).take(pa.array(repeat))


def validate(kind_name: str, frame: Any) -> tuple[bool, list[str]]:
    """Validate a pandas frame of staged rows of ``kind_name`` as one GX batch.

    The whole suite on the whole frame, as GX runs it out of the box: the reference that
    :class:`DeliveryValidation` agrees with, for small frames and tests. Returns
    (success, one line per failed expectation).
    """
    context = _gx_context()
    asset = context.data_sources.add_pandas(f"staged_{kind_name}").add_dataframe_asset(kind_name)
    batch = asset.add_batch_definition_whole_dataframe("delivery").get_batch(
        batch_parameters={"dataframe": frame}
    )
    result = batch.validate(suite_for(KINDS[kind_name]), result_format=RESULT_FORMAT)
    failed = []
    for r in result.results:
        if not r.success:
            cfg = r.expectation_config
            details = r.result or {}
            outcome = Outcome(cfg.type, _target(cfg),
                              unexpected_count=int(details.get("unexpected_count") or 0),
                              observed_value=details.get("observed_value"))
            failed.append(outcome.line())
    return bool(result.success), failed
