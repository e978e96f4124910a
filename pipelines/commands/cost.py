"""``ehrlog cost``: the organizational cost of burnout calculator (CONTRACT.md section 7)."""

from __future__ import annotations

import json

import click

from metrics.cost import LABELS, SUFFIX, CostInputs, compute_cost, display


@click.command(name="cost")
@click.option(
    "--physicians",
    type=float,
    default=500,
    show_default=True,
    help="Number of physicians in the organization.",
)
@click.option(
    "--burnout-rate",
    type=float,
    default=63,
    show_default=True,
    help="Share of physicians with burnout, in percent.",
)
@click.option(
    "--turnover-rate",
    type=float,
    default=7,
    show_default=True,
    help="Overall yearly physician turnover, in percent.",
)
@click.option(
    "--cost-per-turnover",
    type=float,
    default=800_000,
    show_default=True,
    help="Cost of replacing one physician, in dollars.",
)
@click.option(
    "--intervention-cost",
    type=float,
    default=1_000_000,
    show_default=True,
    help="Yearly cost of the well-being intervention, in dollars.",
)
@click.option(
    "--burnout-reduction",
    type=float,
    default=20,
    show_default=True,
    help="Relative reduction in burnout the intervention achieves, in percent.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print inputs, unrounded results and displayed figures as JSON.",
)
def command(
    physicians: float,
    burnout_rate: float,
    turnover_rate: float,
    cost_per_turnover: float,
    intervention_cost: float,
    burnout_reduction: float,
    as_json: bool,
) -> None:
    """Estimate the yearly cost of physician turnover due to burnout, and an intervention's ROI.

    Reproduces the calculator of the AMA "Value of Feeling Valued" playbook (2024):
    burned-out physicians leave at twice the rate of others (AMA "Wellness-Centered
    Leadership" playbook, 2023). Rates are entered in percent (--burnout-rate 63).
    """
    try:
        inputs = CostInputs.from_percentages(
            physicians=physicians,
            burnout_rate=burnout_rate,
            turnover_rate=turnover_rate,
            cost_per_turnover=cost_per_turnover,
            intervention_cost=intervention_cost,
            burnout_reduction=burnout_reduction,
        )
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    result = compute_cost(inputs)
    shown = display(result)
    if as_json:
        payload = {
            "inputs": inputs.as_dict(),
            "unrounded": result.as_dict(),
            "display": shown,
        }
        click.echo(json.dumps(payload, indent=2))
        return
    width = max(len(label) for label in LABELS.values())
    for key, label in LABELS.items():
        click.echo(f"{label + ':':<{width + 1}} {shown[key]}{SUFFIX.get(key, '')}")
