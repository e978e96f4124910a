"""The provider roster: departments, specialties, roles, clinical FTE and clinic templates.

Departments are allotted by weight (largest remainder) and interleaved by position, so
that each department mixes personas. With fewer than 16 providers there are three
departments (Family Medicine, Internal Medicine, Pediatrics); 14 providers give 6, 5 and
3, so one department is below the default ``min_cell_size`` of 5. Larger rosters add
Obstetrics and Gynecology, Cardiology and Endocrinology (one more department per four
providers, at most six).

Clinic templates follow the usual primary-care week of nine or ten half-day sessions at
clinical FTE 1 (one half-day kept for administration): a provider has
``round(9 * clinical_fte)`` clinic half-days a week, as many full days as possible, on
weekdays drawn once per provider. The provider at position 0 has two logins (a second
account, used for remote sessions), so the roster has one more row than providers. When
there are at least 12 providers and 180 days, the last provider is a new hire whose
``start_date`` is eight weeks into the range; every other ``start_date`` and ``end_date``
is empty. Names are fake.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.generator.personas import Persona, copy_number, persona_of

#: (department, short code, specialties cycled within the department, weight)
DEPARTMENTS: tuple[tuple[str, str, tuple[str, ...], float], ...] = (
    ("Family Medicine", "FM", ("Family Medicine",), 0.30),
    (
        "Internal Medicine",
        "IM",
        ("Internal Medicine", "Internal Medicine", "Geriatric Medicine"),
        0.28,
    ),
    ("Pediatrics", "PED", ("Pediatrics",), 0.18),
    ("Obstetrics and Gynecology", "OBG", ("Obstetrics and Gynecology",), 0.10),
    ("Cardiology", "CAR", ("Cardiology",), 0.07),
    ("Endocrinology", "END", ("Endocrinology",), 0.07),
)

FIRST_NAMES = (
    "Avery", "Blake", "Carmen", "Dana", "Elena", "Farid", "Grace", "Hiro", "Imani", "Jonah",
    "Keiko", "Luis", "Maya", "Nikhil", "Olivia", "Pavel", "Quinn", "Rosa", "Samir", "Tessa",
    "Umar", "Vera", "Wen", "Yara",
)
LAST_NAMES = (
    "Abbott", "Brennan", "Castillo", "Delgado", "Eriksen", "Fontaine", "Gallagher", "Haddad",
    "Iverson", "Jovanovic", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor",
    "Petrov", "Quintero", "Rasmussen", "Sandoval", "Takahashi", "Underwood", "Valdez",
    "Whitaker", "Zielinski",
)

#: Minutes after midnight at which a provider's morning clinic starts.
CLINIC_STARTS = (450, 480, 480, 480, 510)  # 07:30, 08:00 (most), 08:30
HALF_DAY_MINUTES = 240
LUNCH_MINUTES = 60


@dataclass(frozen=True)
class Roster:
    """The roster extract plus the per-provider attributes the other modules need."""

    frame: pl.DataFrame
    provider_ids: list[str]
    personas: list[Persona]
    fte: np.ndarray
    department: list[str]
    dept_code: list[str]
    primary_user: list[str]
    second_user: list[str | None]
    clinic_start_min: np.ndarray  # (P,) minutes after midnight of the morning session
    template: np.ndarray  # (P, 5, 2) bool: clinic on weekday (Mon..Fri) and half (AM, PM)
    first_day: np.ndarray  # (P,) first day index of the provider's range
    cover: np.ndarray  # (P,) position of the colleague who covers the inbox

    @property
    def n(self) -> int:
        """Number of providers (not logins)."""
        return len(self.provider_ids)


def allot_departments(n: int) -> np.ndarray:
    """Department index of each of ``n`` positions: weighted, largest remainder, interleaved."""
    k = min(n, max(3, min(len(DEPARTMENTS), n // 4)))
    weights = np.array([d[3] for d in DEPARTMENTS[:k]])
    quota = weights / weights.sum() * n
    counts = np.floor(quota).astype(int)
    order = np.argsort(-(quota - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    # Smooth weighted round robin: interleaves departments in proportion to their counts.
    current = np.zeros(k)
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        current += counts
        j = int(np.argmax(current))
        out[i] = j
        current[j] -= n
    return out


def _template(fte: float, rng: np.random.Generator) -> np.ndarray:
    """Clinic half-days of one provider: (5, 2) bool, weekdays by half (AM, PM)."""
    half_days = int(np.clip(round(9 * fte), 1, 10))
    days = rng.permutation(5)
    tmpl = np.zeros((5, 2), dtype=bool)
    tmpl[days[: half_days // 2]] = True
    if half_days % 2:
        tmpl[days[half_days // 2], rng.integers(2)] = True
    return tmpl


def build_roster(n: int, start: dt.date, days: int, rng: np.random.Generator) -> Roster:
    """The roster of ``n`` providers; only the new hire's start date depends on the range."""
    if n < 1:
        raise ValueError("at least one provider is needed")
    if n > 9999:
        raise ValueError("at most 9999 providers are supported")
    dept = allot_departments(n)
    personas = [persona_of(i) for i in range(n)]
    copies = [copy_number(i) for i in range(n)]
    fte = np.array([p.fte[c % len(p.fte)] for p, c in zip(personas, copies, strict=True)])
    roles = [p.roles[c % len(p.roles)] for p, c in zip(personas, copies, strict=True)]
    clinic_start = rng.choice(CLINIC_STARTS, size=n)
    template = np.stack([_template(f, rng) for f in fte]) if n else np.zeros((0, 5, 2), bool)
    names = rng.permutation(len(FIRST_NAMES) * len(LAST_NAMES))
    display = []
    for i in range(n):
        code = names[i % len(names)]
        name = f"{FIRST_NAMES[code // len(LAST_NAMES)]} {LAST_NAMES[code % len(LAST_NAMES)]}"
        display.append(name if i < len(names) else f"{name} {i // len(names) + 1}")

    provider_ids = [f"PRV{i + 1:03d}" for i in range(n)]
    primary = [f"U{10001 + i}" for i in range(n)]
    second: list[str | None] = [None] * n
    second[0] = f"U{20001}"
    first_day = np.zeros(n, dtype=np.int64)
    start_dates: list[dt.date | None] = [None] * n
    if n >= 12 and days >= 180:
        first_day[n - 1] = 56
        start_dates[n - 1] = start + dt.timedelta(days=56)

    within: dict[int, int] = {}
    specialties = []
    for d in dept:
        j = within.get(int(d), 0)
        within[int(d)] = j + 1
        specs = DEPARTMENTS[d][2]
        specialties.append(specs[j % len(specs)])

    # Inbox coverage: the next provider of the same department, else the next provider;
    # never the new hire, who is not there for the whole range.
    cover = np.empty(n, dtype=np.int64)
    for i in range(n):
        same = [j for j in range(n) if dept[j] == dept[i] and j != i and first_day[j] == 0]
        later = [j for j in same if j > i]
        cover[i] = (later or same or [(i + 1) % n])[0]

    rows = []
    for i in range(n):
        for user in (primary[i], second[i]):
            if user is None:
                continue
            rows.append(
                {
                    "provider_id": provider_ids[i],
                    "user_id": user,
                    "department": DEPARTMENTS[dept[i]][0],
                    "specialty": specialties[i],
                    "role": roles[i],
                    "clinical_fte": float(fte[i]),
                    "display_name": display[i],
                    "start_date": start_dates[i],
                    "end_date": None,
                }
            )
    frame = pl.DataFrame(
        rows,
        schema={
            "provider_id": pl.String,
            "user_id": pl.String,
            "department": pl.String,
            "specialty": pl.String,
            "role": pl.String,
            "clinical_fte": pl.Float64,
            "display_name": pl.String,
            "start_date": pl.Date,
            "end_date": pl.Date,
        },
    )
    return Roster(
        frame=frame,
        provider_ids=provider_ids,
        personas=personas,
        fte=fte,
        department=[DEPARTMENTS[d][0] for d in dept],
        dept_code=[DEPARTMENTS[d][1] for d in dept],
        primary_user=primary,
        second_user=second,
        clinic_start_min=clinic_start.astype(np.int64),
        template=template,
        first_day=first_day,
        cover=cover,
    )
