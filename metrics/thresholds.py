"""Threshold profiles for the burnout-risk flags (CONTRACT.md section 5).

A profile is a YAML file naming, for each flagged measure, its unit, its grain
(``period``: a row of ``marts.provider_period``; ``trailing_year``: a row of
``marts.provider_year``), its bands (level and rule), the citation the cut points come
from and one plain-language line on what the evidence does and does not say.
Two profiles ship in ``metrics/profiles/``: ``seed-documents`` (the default) and
``adler-milstein-2020-per-cfte``. A site may point ``thresholds:`` at its own file.

Rules are comparisons spelled out, one-sided (``"< 30"``, ``"<= 3"``, ``"> 180"``,
``">= 150"``, ``"= 0"``) or two-sided with ``and`` (``">= 30 and <= 180"``). Loading
checks, exactly (as intervals, not by probing), that no two bands of a measure overlap
and that together they cover every value from 0 upwards (all measures are counts,
minutes, shares or weeks, never negative). A malformed file raises
:class:`ThresholdError` with one line naming the key::

    thresholds file x.yaml: measures[2].bands[0].rule: cannot parse '>> 3'

Example::

    >>> p = load_profile("seed-documents")
    >>> p.measure("wow_minutes_per_clinic_day").classify(180.0).level
    'elevated'
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from metrics.period import PERIOD_COLUMNS
from metrics.year import YEAR_COLUMNS
from schemas.contract import ROLES

LEVELS = ("low", "elevated", "high")
GRAINS = ("period", "trailing_year")

#: Measures of ``marts.provider_period`` a ``period`` band may refer to.
PERIOD_MEASURES = tuple(
    c for c in PERIOD_COLUMNS
    if c not in ("provider_id", "period_type", "period_start", "period_end", "complete")
)
#: Measures of ``marts.provider_year`` a ``trailing_year`` band may refer to.
YEAR_MEASURES = tuple(c for c in YEAR_COLUMNS if c.startswith("pto_"))

PROFILE_KEYS = {"name", "description", "roles", "measures"}
MEASURE_KEYS = {"measure", "unit", "grain", "bands", "citation", "meaning"}
BAND_KEYS = {"level", "rule"}

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_COMPARISON = re.compile(rf"^\s*(<=|>=|<|>|=)\s*({_NUMBER})\s*$")


class ThresholdError(ValueError):
    """A thresholds file that breaks the format; the message is one line naming the key."""


@dataclass(frozen=True)
class Band:
    """One band of a measure: values in [lo, hi] (ends open or closed) get ``level``.

    ``rule`` is kept exactly as written in the profile; it is what the flags table shows
    in its ``threshold`` column.
    """

    level: str
    rule: str
    lo: float = -math.inf
    lo_closed: bool = False
    hi: float = math.inf
    hi_closed: bool = False

    def contains(self, value: float) -> bool:
        """Whether a single value falls in this band."""
        above = value > self.lo or (self.lo_closed and value == self.lo)
        below = value < self.hi or (self.hi_closed and value == self.hi)
        return above and below

    def condition(self, value: pl.Expr) -> pl.Expr:
        """A Polars boolean expression: ``value`` falls in this band."""
        parts: list[pl.Expr] = []
        if self.lo == self.hi:
            return value == self.lo
        if self.lo != -math.inf:
            parts.append(value >= self.lo if self.lo_closed else value > self.lo)
        if self.hi != math.inf:
            parts.append(value <= self.hi if self.hi_closed else value < self.hi)
        cond = pl.lit(True)
        for p in parts:
            cond = cond & p
        return cond


@dataclass(frozen=True)
class MeasureBands:
    """The bands of one measure in a profile, with its unit, grain and citation."""

    measure: str
    unit: str
    grain: str
    bands: tuple[Band, ...]
    citation: str
    meaning: str

    def classify(self, value: float) -> Band | None:
        """The band a single value falls in, or None (only for values below 0)."""
        for band in self.bands:
            if band.contains(value):
                return band
        return None

    @property
    def levels(self) -> tuple[str, ...]:
        """The levels this measure can take, in low, elevated, high order."""
        present = {b.level for b in self.bands}
        return tuple(lv for lv in LEVELS if lv in present)


@dataclass(frozen=True)
class Profile:
    """A threshold profile: which roles are flagged, and the bands of each measure."""

    name: str
    description: str
    roles: tuple[str, ...]
    measures: tuple[MeasureBands, ...]
    origin: str = ""
    sha256: str = ""

    def measure(self, name: str) -> MeasureBands:
        """The bands of the measure ``name`` (KeyError when the profile lacks it)."""
        for m in self.measures:
            if m.measure == name:
                return m
        raise KeyError(name)

    def by_grain(self, grain: str) -> tuple[MeasureBands, ...]:
        """The measures of one grain (``period`` or ``trailing_year``)."""
        return tuple(m for m in self.measures if m.grain == grain)


def shipped_profiles() -> tuple[str, ...]:
    """Names of the profiles shipped in ``metrics/profiles/``."""
    folder = resources.files("metrics") / "profiles"
    return tuple(
        sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))
    )


def load_profile(name_or_path: str | Path) -> Profile:
    """Load a shipped profile by name, or a thresholds file by path.

    A name of a shipped profile wins over a file of the same name in the working
    directory; a relative path is read from the current directory.
    """
    text_name = str(name_or_path)
    if isinstance(name_or_path, str) and text_name in shipped_profiles():
        res = resources.files("metrics") / "profiles" / f"{text_name}.yaml"
        return parse_profile_text(res.read_bytes(), origin=text_name)
    path = Path(name_or_path)
    if not path.is_file():
        raise ThresholdError(
            f"thresholds: no shipped profile named {text_name!r} and no file at that path "
            f"(shipped: {', '.join(shipped_profiles())})"
        )
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ThresholdError(f"thresholds file {path}: cannot be read ({e.strerror})") from None
    return parse_profile_text(data, origin=str(path))


def parse_profile_text(data: bytes | str, origin: str = "<string>") -> Profile:
    """Parse the YAML text of a thresholds file; ``origin`` names it in errors."""
    raw_bytes = data.encode("utf-8") if isinstance(data, str) else data
    try:
        raw = yaml.safe_load(raw_bytes.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        problem = " ".join(str(e).split())
        raise ThresholdError(f"thresholds file {origin}: not valid YAML ({problem})") from None
    profile = parse_profile(raw, origin=origin)
    return Profile(
        name=profile.name,
        description=profile.description,
        roles=profile.roles,
        measures=profile.measures,
        origin=origin,
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
    )


def parse_profile(raw: Any, origin: str = "<mapping>") -> Profile:
    """Validate a parsed YAML mapping into a :class:`Profile`."""

    def err(key: str, msg: str) -> ThresholdError:
        return ThresholdError(f"thresholds file {origin}: {key}: {msg}")

    if not isinstance(raw, dict):
        raise ThresholdError(f"thresholds file {origin}: expected a mapping at the top level")
    _check_keys(raw, PROFILE_KEYS, {"name", "measures"}, "", err)
    name = _text(raw["name"], "name", err)
    description = _text(raw.get("description", ""), "description", err, allow_empty=True)
    roles_raw = raw.get("roles", ["physician", "app"])
    if (
        not isinstance(roles_raw, list)
        or not roles_raw
        or not all(isinstance(r, str) for r in roles_raw)
    ):
        raise err("roles", f"expected a non-empty list of roles, got {roles_raw!r}")
    for r in roles_raw:
        if r not in ROLES:
            raise err("roles", f"unknown role {r!r} (expected one of {', '.join(ROLES)})")
    measures_raw = raw["measures"]
    if not isinstance(measures_raw, list) or not measures_raw:
        raise err("measures", "expected a non-empty list of measures")
    measures: list[MeasureBands] = []
    seen: set[str] = set()
    for i, m in enumerate(measures_raw):
        mb = _parse_measure(m, f"measures[{i}]", err)
        if mb.measure in seen:
            raise err(f"measures[{i}].measure", f"{mb.measure!r} appears twice")
        seen.add(mb.measure)
        measures.append(mb)
    return Profile(name, description, tuple(roles_raw), tuple(measures), origin=origin)


def _check_keys(
    d: dict[str, Any], allowed: set[str], required: set[str], where: str, err: Any
) -> None:
    prefix = f"{where}." if where else ""
    for k in sorted(set(d) - allowed, key=str):
        raise err(f"{prefix}{k}", "unknown key")
    for k in sorted(required - set(d)):
        raise err(f"{prefix}{k}", "missing")


def _text(v: Any, key: str, err: Any, allow_empty: bool = False) -> str:
    if not isinstance(v, str) or (not allow_empty and not v.strip()):
        raise err(key, f"expected text, got {v!r}")
    return v.strip()


def _parse_measure(m: Any, where: str, err: Any) -> MeasureBands:
    if not isinstance(m, dict):
        raise err(where, f"expected a mapping, got {m!r}")
    _check_keys(m, MEASURE_KEYS, MEASURE_KEYS, where, err)
    measure = _text(m["measure"], f"{where}.measure", err)
    grain = m["grain"]
    if grain not in GRAINS:
        raise err(f"{where}.grain", f"expected one of {', '.join(GRAINS)}, got {grain!r}")
    known = PERIOD_MEASURES if grain == "period" else YEAR_MEASURES
    if measure not in known:
        raise err(f"{where}.measure", f"unknown {grain} measure {measure!r}")
    bands_raw = m["bands"]
    if not isinstance(bands_raw, list) or not bands_raw:
        raise err(f"{where}.bands", "expected a non-empty list of bands")
    bands = tuple(_parse_band(b, f"{where}.bands[{j}]", err) for j, b in enumerate(bands_raw))
    for j, a in enumerate(bands):
        for k in range(j + 1, len(bands)):
            if _overlap(a, bands[k]):
                raise err(
                    f"{where}.bands[{k}].rule",
                    f"{bands[k].rule!r} overlaps {a.rule!r} of bands[{j}]",
                )
    gap = _first_gap(bands)
    if gap is not None:
        raise err(f"{where}.bands", f"no band covers {gap} (bands must cover every value >= 0)")
    return MeasureBands(
        measure=measure,
        unit=_text(m["unit"], f"{where}.unit", err),
        grain=grain,
        bands=bands,
        citation=_text(m["citation"], f"{where}.citation", err),
        meaning=_text(m["meaning"], f"{where}.meaning", err),
    )


def _parse_band(b: Any, where: str, err: Any) -> Band:
    if not isinstance(b, dict):
        raise err(where, f"expected a mapping with level and rule, got {b!r}")
    _check_keys(b, BAND_KEYS, BAND_KEYS, where, err)
    level = b["level"]
    if level not in LEVELS:
        raise err(f"{where}.level", f"expected one of {', '.join(LEVELS)}, got {level!r}")
    rule = b["rule"]
    if not isinstance(rule, str):
        raise err(f"{where}.rule", f'expected a quoted rule such as "> 180", got {rule!r}')
    bounds = parse_rule(rule)
    if bounds is None:
        raise err(f"{where}.rule", f"cannot parse {rule!r}")
    lo, lo_closed, hi, hi_closed = bounds
    if lo > hi or (lo == hi and not (lo_closed and hi_closed)):
        raise err(f"{where}.rule", f"{rule!r} matches no value")
    return Band(level, rule.strip(), lo, lo_closed, hi, hi_closed)


def parse_rule(rule: str) -> tuple[float, bool, float, bool] | None:
    """Parse a rule into (lo, lo_closed, hi, hi_closed); None when it cannot be parsed.

    >>> parse_rule(">= 30 and <= 180")
    (30.0, True, 180.0, True)
    """
    parts = re.split(r"\s+and\s+", rule.strip())
    if len(parts) > 2:
        return None
    lo, lo_closed, hi, hi_closed = -math.inf, False, math.inf, False
    has_lo = has_hi = False
    for part in parts:
        match = _COMPARISON.match(part)
        if match is None:
            return None
        op, num = match.group(1), float(match.group(2))
        if not math.isfinite(num):
            return None
        if op == "=":
            if len(parts) != 1:
                return None
            return num, True, num, True
        if op in (">", ">="):
            if has_lo:
                return None
            lo, lo_closed, has_lo = num, op == ">=", True
        else:
            if has_hi:
                return None
            hi, hi_closed, has_hi = num, op == "<=", True
    return lo, lo_closed, hi, hi_closed


def _overlap(a: Band, b: Band) -> bool:
    """Whether two bands share at least one value (exact, on the interval ends)."""
    if a.lo > b.lo or (a.lo == b.lo and not a.lo_closed):
        lo, lo_closed = a.lo, a.lo_closed and (a.lo != b.lo or b.lo_closed)
    else:
        lo, lo_closed = b.lo, b.lo_closed
    if a.hi < b.hi or (a.hi == b.hi and not a.hi_closed):
        hi, hi_closed = a.hi, a.hi_closed and (a.hi != b.hi or b.hi_closed)
    else:
        hi, hi_closed = b.hi, b.hi_closed
    return lo < hi or (lo == hi and lo_closed and hi_closed)


def _first_gap(bands: tuple[Band, ...]) -> str | None:
    """The first uncovered stretch of [0, inf), described in words, or None."""
    cur, need_cur = 0.0, True  # values from cur upwards (cur itself when need_cur) are open
    for b in sorted(bands, key=lambda x: (x.lo, not x.lo_closed)):
        if b.hi < cur or (b.hi == cur and not (b.hi_closed and need_cur)):
            continue
        if b.lo > cur or (b.lo == cur and need_cur and not b.lo_closed):
            return f"{cur:g}" if need_cur else f"values just above {cur:g}"
        if b.hi == math.inf:
            return None
        cur, need_cur = b.hi, not b.hi_closed
    return f"{cur:g}" if need_cur else f"values above {cur:g}"


def level_expr(measure: MeasureBands, value: pl.Expr) -> pl.Expr:
    """Polars expression: the level of ``value`` under the bands of ``measure`` (or null)."""
    return _chain(measure, value, lambda b: b.level)


def rule_expr(measure: MeasureBands, value: pl.Expr) -> pl.Expr:
    """Polars expression: the rule text of the band ``value`` falls in (or null)."""
    return _chain(measure, value, lambda b: b.rule)


def _chain(measure: MeasureBands, value: pl.Expr, pick: Any) -> pl.Expr:
    first, *rest = measure.bands
    chain: Any = pl.when(first.condition(value)).then(pl.lit(pick(first)))
    for b in rest:
        chain = chain.when(b.condition(value)).then(pl.lit(pick(b)))
    return chain.otherwise(pl.lit(None, dtype=pl.String))
