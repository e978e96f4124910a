"""Cut points to draw on the charts, with their sources, from the threshold profiles.

A measure's lines and shaded bands come from the profile the warehouse was built with
(``marts.methods.thresholds_profile``) when it has the measure, else from the shipped
``seed-documents`` profile (the figures cited in the seed documents). Each line is
labelled with its value and the short form of its citation (the citation up to its
first colon, e.g. "NAM Perspectives 2020"); the full citation goes in the page text.

PSH40 has no band in any profile: its references are the 40-hour week itself and the
national median of 33.2 hours (Sinsky, Rotenstein, Holmgren, Apathy, JAMIA 2024, as
CONTRACT.md section 4 cites it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from metrics.thresholds import MeasureBands, Profile, ThresholdError, load_profile

DEFAULT_PROFILE = "seed-documents"
PSH40_SOURCE = "Sinsky, Rotenstein, Holmgren, Apathy, JAMIA 2024"


@dataclass(frozen=True)
class Line:
    """A reference line: its value and the label drawn beside it."""

    value: float
    label: str


@dataclass(frozen=True)
class Shade:
    """A shaded band of a level between two values (``hi`` None: open upwards)."""

    level: str
    lo: float
    hi: float | None
    rule: str


@dataclass(frozen=True)
class Reference:
    """Everything drawn for one measure's thresholds, and the text that explains it."""

    lines: tuple[Line, ...]
    shades: tuple[Shade, ...]
    short_source: str
    citation: str
    meaning: str
    unit: str

    @property
    def max_value(self) -> float:
        """The largest finite value drawn (0 when nothing is drawn)."""
        return max((ln.value for ln in self.lines), default=0.0)


NO_REFERENCE = Reference((), (), "", "", "", "")

#: Short unit shown after a cut point's value, per measure.
SHORT_UNIT = {
    "wow_minutes_per_clinic_day": "min",
    "inbox_messages_per_week": "messages",
    "vacation_ehr_minutes_per_day": "min",
    "inbox_messages_per_week_per_cfte": "messages",
    "wow_minutes_per_week_per_cfte": "min",
    "pto_weeks_taken": "weeks",
}


def short_source(citation: str) -> str:
    """The citation up to its first colon.

    >>> short_source('NAM Perspectives 2020: "more than three hours"')
    'NAM Perspectives 2020'
    """
    return " ".join(citation.split(":", 1)[0].split())


def load_profiles(name_or_path: str | None) -> tuple[Profile, Profile]:
    """(the warehouse's profile, the seed-documents profile); the first falls back."""
    seed = load_profile(DEFAULT_PROFILE)
    if not name_or_path:
        return seed, seed
    try:
        return load_profile(name_or_path), seed
    except ThresholdError:
        return seed, seed


def measure_bands(measure: str, profile: Profile, seed: Profile) -> MeasureBands | None:
    """The bands of ``measure`` in ``profile``, else in ``seed``, else None."""
    for p in (profile, seed):
        try:
            return p.measure(measure)
        except KeyError:
            continue
    return None


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}".rstrip("0")


def reference(measure: str, profile: Profile, seed: Profile) -> Reference:
    """Lines at the finite cut points (above 0) and shaded bands for one measure."""
    if measure == "psh40":
        return Reference(
            lines=(
                Line(40.0, "40 h: a 40-hour week with no outside work"),
                Line(33.2, f"33.2 h: national median ({PSH40_SOURCE})"),
            ),
            shades=(),
            short_source=PSH40_SOURCE,
            citation=(
                "Sinsky, Rotenstein, Holmgren, Apathy, JAMIA 2024: national median PSH40 "
                "of 33.2 hours (the formula is this project's reading of their method)"
            ),
            meaning="",
            unit="patient scheduled hours per 40-hour week",
        )
    mb = measure_bands(measure, profile, seed)
    if mb is None:
        return NO_REFERENCE
    src = short_source(mb.citation)
    unit = SHORT_UNIT.get(measure, "")
    cuts: set[float] = set()
    shades: list[Shade] = []
    for b in mb.bands:
        for v in (b.lo, b.hi):
            if math.isfinite(v) and v > 0:
                cuts.add(v)
        lo = max(b.lo, 0.0) if math.isfinite(b.lo) else 0.0
        hi = b.hi if math.isfinite(b.hi) else None
        if hi is None or hi > lo:
            shades.append(Shade(b.level, lo, hi, b.rule))
    lines = tuple(
        Line(v, f"{_fmt(v)}{' ' + unit if unit else ''}: {src}") for v in sorted(cuts)
    )
    return Reference(
        lines=lines,
        shades=tuple(shades),
        short_source=src,
        citation=" ".join(mb.citation.split()),
        meaning=" ".join(mb.meaning.split()),
        unit=mb.unit,
    )
