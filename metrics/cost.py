"""Organizational cost of physician burnout (CONTRACT.md section 7).

Reproduces the online calculator of the AMA "Value of Feeling Valued" playbook (2024).
With N physicians, burnout rate b, overall turnover t, cost per departure c,
intervention cost k and relative burnout reduction r (burned-out physicians leave at
twice the rate of others, per the AMA "Wellness-Centered Leadership" playbook, 2023):

- turnover without burnout t0 = t / (1 + b)
- departures due to burnout per year = N x (t - t0)
- cost of those departures = N x (t - t0) x c
- savings = r x that cost; ROI = (savings - k) / k

Grain: one organization and year. Everything is computed unrounded; ``display`` rounds
for people: rates to two decimals, departures to the nearest whole number (halves up),
money truncated to whole dollars.

>>> r = compute_cost(CostInputs(500, 0.63, 0.07, 800_000, 1_000_000, 0.20))
>>> display(r)["cost_of_departures"]
'$10,822,085'
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal

#: Command-line option of each input, used to name it in error messages.
OPTION = {
    "physicians": "--physicians",
    "burnout_rate": "--burnout-rate",
    "turnover_rate": "--turnover-rate",
    "cost_per_turnover": "--cost-per-turnover",
    "intervention_cost": "--intervention-cost",
    "burnout_reduction": "--burnout-reduction",
}
RATES = ("burnout_rate", "turnover_rate", "burnout_reduction")
AMOUNTS = ("physicians", "cost_per_turnover", "intervention_cost")


@dataclass(frozen=True)
class CostInputs:
    """Calculator inputs; rates as fractions (0.63 for 63%). Validated on creation."""

    physicians: float
    burnout_rate: float
    turnover_rate: float
    cost_per_turnover: float
    intervention_cost: float
    burnout_reduction: float

    def __post_init__(self) -> None:
        for name in AMOUNTS + RATES:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ValueError(f"{OPTION[name]} must be a finite number, got {v!r}")
        for name in AMOUNTS:
            v = getattr(self, name)
            if v < 0:
                raise ValueError(f"{OPTION[name]} must not be negative, got {v:g}")
        for name in RATES:
            v = getattr(self, name)
            if not 0 <= v <= 1:
                raise ValueError(f"{OPTION[name]} must be between 0 and 100, got {v * 100:g}")

    @classmethod
    def from_percentages(
        cls,
        physicians: float,
        burnout_rate: float,
        turnover_rate: float,
        cost_per_turnover: float,
        intervention_cost: float,
        burnout_reduction: float,
    ) -> CostInputs:
        """Build from rates entered as percentages (``burnout_rate=63``), as the CLI takes."""
        pct = {
            "burnout_rate": burnout_rate,
            "turnover_rate": turnover_rate,
            "burnout_reduction": burnout_reduction,
        }
        for name, v in pct.items():
            if isinstance(v, int | float) and math.isfinite(v) and not 0 <= v <= 100:
                raise ValueError(f"{OPTION[name]} must be between 0 and 100, got {v:g}")
        return cls(
            physicians=physicians,
            burnout_rate=burnout_rate / 100,
            turnover_rate=turnover_rate / 100,
            cost_per_turnover=cost_per_turnover,
            intervention_cost=intervention_cost,
            burnout_reduction=burnout_reduction / 100,
        )

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class CostResult:
    """Unrounded results. ``roi`` is a fraction (1.1644 for 116.44%); None when k = 0."""

    turnover_without_burnout: float
    departures_due_to_burnout: float
    cost_of_departures: float
    savings: float
    roi: float | None

    def as_dict(self) -> dict[str, float | None]:
        return asdict(self)


def compute_cost(inputs: CostInputs) -> CostResult:
    """Apply the playbook's formulas (CONTRACT.md section 7), unrounded."""
    t0 = inputs.turnover_rate / (1 + inputs.burnout_rate)
    departures = inputs.physicians * (inputs.turnover_rate - t0)
    cost = departures * inputs.cost_per_turnover
    savings = inputs.burnout_reduction * cost
    k = inputs.intervention_cost
    roi = (savings - k) / k if k > 0 else None
    return CostResult(t0, departures, cost, savings, roi)


def _percent(x: float | None) -> str:
    if x is None:
        return "n/a"
    q = Decimal(repr(x * 100)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{q + 0}%"  # + 0: a negative zero (from an input of -0) shows as 0


def _dollars(x: float) -> str:
    whole = math.trunc(x)
    return f"-${-whole:,}" if whole < 0 else f"${whole:,}"


def display(result: CostResult) -> dict[str, str]:
    """The figures as the playbook shows them.

    Rates: percent with two decimals, halves rounded up ("4.29%"); departures: nearest
    whole number, halves up ("14"); money: truncated to whole dollars with thousands
    separators ("$10,822,085"); ROI: percent with two decimals ("116.44%", "n/a" when the
    intervention costs nothing).
    """
    departures = Decimal(repr(result.departures_due_to_burnout)).quantize(
        Decimal("1"), rounding=ROUND_HALF_UP
    ) + 0
    return {
        "turnover_without_burnout": _percent(result.turnover_without_burnout),
        "departures_due_to_burnout": f"{departures:,}",
        "cost_of_departures": _dollars(result.cost_of_departures),
        "savings": _dollars(result.savings),
        "roi": _percent(result.roi),
    }


#: Labels of the five figures, in the order the calculator shows them.
LABELS = {
    "turnover_without_burnout": "Turnover rate of physicians without burnout",
    "departures_due_to_burnout": "Physicians leaving each year due to burnout",
    "cost_of_departures": "Annual cost of physician turnover due to burnout",
    "savings": "Savings from the intervention",
    "roi": "Return on investment (ROI)",
}
SUFFIX = {
    "departures_due_to_burnout": " per year",
    "cost_of_departures": " per year",
}
