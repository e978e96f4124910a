"""Audit-log action names and their mix by kind of session.

Actions are drawn only from the shipped map ``schemas/action_map.csv`` (read through
:mod:`importlib.resources`), so every generated action is mapped. A session kind has a
mix of categories; inside a category the actions listed earlier in the map are more
frequent (weights ``1 / rank ** 0.7``).

The overall mix follows Overhage and McCallie (Ann Intern Med 2020): of the EHR time of an
ambulatory encounter, chart review 33%, documentation 24% and ordering 17%; and Arndt et
al. (Ann Fam Med 2017): in-basket work about a quarter of EHR time, concentrated before
and after clinic and in the evening. The result across a typical week is roughly chart
review 34%, notes 26%, inbox 16%, orders 11%, prescriptions 7% and other 6% of events.
"""

from __future__ import annotations

import csv
from importlib import resources

import numpy as np

from pipelines.generator.sessions import KINDS

CATEGORY_ORDER = ("chart_review", "notes", "orders", "prescriptions", "inbox", "other")

#: Percent of events by category (CATEGORY_ORDER) for each session kind.
MIX: dict[str, tuple[float, float, float, float, float, float]] = {
    "pre_clinic": (45, 10, 8, 5, 25, 7),
    "in_clinic": (38, 28, 14, 8, 5, 7),
    "lunch": (30, 25, 8, 7, 25, 5),
    "after_clinic": (28, 35, 8, 6, 18, 5),
    "evening": (25, 32, 5, 5, 28, 5),
    "admin": (30, 22, 8, 7, 28, 5),
    "weekend": (30, 25, 4, 6, 30, 5),
    "vacation": (32, 5, 2, 8, 48, 5),
}

#: Actions that carry no patient context (lower case): their events have no patient_id.
NO_PATIENT = frozenset(
    {
        "login",
        "logout",
        "schedule viewed",
        "patient list accessed",
        "reports accessed",
        "preference list edited",
        "secure chat message sent",
        "in basket folder accessed",
    }
)


def load_action_map() -> list[tuple[str, str]]:
    """(action, category) rows of the shipped action map, in file order."""
    text = resources.files("schemas").joinpath("action_map.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return [(r["action"].strip(), r["category"].strip().lower()) for r in rows]


class ActionSampler:
    """Draws action indices for events, given the kind of their session."""

    def __init__(self) -> None:
        rows = load_action_map()
        self.actions = [a for a, _ in rows]
        self.categories = [c for _, c in rows]
        n = len(rows)
        within = np.zeros(n)
        counts: dict[str, int] = {}
        for i, c in enumerate(self.categories):
            counts[c] = counts.get(c, 0) + 1
            within[i] = 1.0 / counts[c] ** 0.7
        totals = {c: sum(within[i] for i in range(n) if self.categories[i] == c) for c in counts}
        probs = np.zeros((len(KINDS), n))
        for k, kind in enumerate(KINDS):
            mix = dict(zip(CATEGORY_ORDER, MIX[kind], strict=True))
            present = sum(mix[c] for c in counts if c in mix)
            for i, c in enumerate(self.categories):
                if c in mix:
                    probs[k, i] = mix[c] / present * within[i] / totals[c]
        self.probs = probs
        cum = np.cumsum(probs, axis=1)
        cum[:, -1] = 1.0
        self._cum = (cum + np.arange(len(KINDS))[:, None]).ravel()
        self.no_patient = np.array([a.lower() in NO_PATIENT for a in self.actions])

    def sample(self, kind: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One action index per event of the given session kinds (vectorized)."""
        n = len(self.actions)
        u = kind.astype(np.float64) + rng.random(len(kind))
        idx = np.searchsorted(self._cum, u, side="right") - kind.astype(np.int64) * n
        return np.clip(idx, 0, n - 1)
