"""Cost-of-burnout calculator (CONTRACT.md section 7) and the ``ehrlog cost`` command."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from metrics.cost import CostInputs, CostResult, compute_cost, display
from pipelines.commands.cost import command

PLAYBOOK = CostInputs(
    physicians=500,
    burnout_rate=0.63,
    turnover_rate=0.07,
    cost_per_turnover=800_000,
    intervention_cost=1_000_000,
    burnout_reduction=0.20,
)


def test_playbook_example_unrounded() -> None:
    r = compute_cost(PLAYBOOK)
    t0 = 0.07 / 1.63
    assert r.turnover_without_burnout == pytest.approx(t0, rel=1e-15)
    assert r.departures_due_to_burnout == pytest.approx(500 * (0.07 - t0), rel=1e-15)
    assert r.cost_of_departures == pytest.approx(500 * (0.07 - t0) * 800_000, rel=1e-15)
    assert r.savings == pytest.approx(0.2 * 500 * (0.07 - t0) * 800_000, rel=1e-15)
    assert r.roi == pytest.approx((r.savings - 1_000_000) / 1_000_000, rel=1e-15)
    assert 13.52 < r.departures_due_to_burnout < 13.53


def test_playbook_example_displayed() -> None:
    assert display(compute_cost(PLAYBOOK)) == {
        "turnover_without_burnout": "4.29%",
        "departures_due_to_burnout": "14",
        "cost_of_departures": "$10,822,085",
        "savings": "$2,164,417",
        "roi": "116.44%",
    }


def test_display_rounding_rules() -> None:
    r = CostResult(
        turnover_without_burnout=0.012345,
        departures_due_to_burnout=2.5,
        cost_of_departures=1_234_567.999,
        savings=999.99,
        roi=-0.5,
    )
    d = display(r)
    assert d["turnover_without_burnout"] == "1.23%"
    assert d["departures_due_to_burnout"] == "3"  # halves round up
    assert d["cost_of_departures"] == "$1,234,567"  # truncated, not rounded
    assert d["savings"] == "$999"
    assert d["roi"] == "-50.00%"


def test_zero_intervention_cost_has_no_roi() -> None:
    r = compute_cost(CostInputs(500, 0.63, 0.07, 800_000, 0, 0.2))
    assert r.roi is None
    assert display(r)["roi"] == "n/a"


def test_zero_burnout_means_no_burnout_departures() -> None:
    r = compute_cost(CostInputs(500, 0.0, 0.07, 800_000, 1_000_000, 0.2))
    assert r.turnover_without_burnout == 0.07
    assert r.departures_due_to_burnout == 0
    assert display(r)["cost_of_departures"] == "$0"


def test_a_negative_zero_input_shows_as_zero() -> None:
    """``--physicians -0`` is not negative; its zero figures show without a minus sign."""
    d = display(compute_cost(CostInputs(-0.0, 0.63, 0.07, 800_000, 1_000_000, 0.2)))
    assert (d["departures_due_to_burnout"], d["cost_of_departures"], d["savings"]) == (
        "0", "$0", "$0")
    assert display(CostResult(-0.0, -0.0, -0.0, -0.0, -0.0))["roi"] == "0.00%"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"burnout_rate": 120}, "--burnout-rate must be between 0 and 100, got 120"),
        ({"turnover_rate": -1}, "--turnover-rate must be between 0 and 100, got -1"),
        ({"burnout_reduction": 100.5}, "--burnout-reduction must be between 0 and 100"),
        ({"physicians": -3}, "--physicians must not be negative, got -3"),
        ({"cost_per_turnover": -1}, "--cost-per-turnover must not be negative"),
        ({"intervention_cost": float("nan")}, "--intervention-cost must be a finite number"),
    ],
)
def test_validation_names_the_option(kwargs: dict, message: str) -> None:
    args = {
        "physicians": 500,
        "burnout_rate": 63,
        "turnover_rate": 7,
        "cost_per_turnover": 800_000,
        "intervention_cost": 1_000_000,
        "burnout_reduction": 20,
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        CostInputs.from_percentages(**args)


def test_fraction_inputs_are_validated_too() -> None:
    with pytest.raises(ValueError, match="--burnout-rate must be between 0 and 100, got 120"):
        CostInputs(500, 1.2, 0.07, 800_000, 1_000_000, 0.2)


def test_cli_defaults_print_the_playbook_figures() -> None:
    res = CliRunner().invoke(command, [])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert len(lines) == 5
    assert lines[0].endswith(" 4.29%")
    assert lines[1].endswith(" 14 per year")
    assert lines[2].endswith(" $10,822,085 per year")
    assert lines[3].endswith(" $2,164,417")
    assert lines[4].endswith(" 116.44%")
    assert "without burnout" in lines[0]


def test_cli_options() -> None:
    res = CliRunner().invoke(
        command,
        [
            "--physicians", "100", "--burnout-rate", "50", "--turnover-rate", "9",
            "--cost-per-turnover", "500000", "--intervention-cost", "100000",
            "--burnout-reduction", "10",
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    # t0 = 0.09 / 1.5 = 6%; departures 100 x 0.03 = 3; cost 1,500,000; savings 150,000; ROI 50%
    assert "6.00%" in res.output
    assert " 3 per year" in res.output
    assert "$1,500,000 per year" in res.output
    assert "$150,000" in res.output
    assert "50.00%" in res.output


def test_cli_json() -> None:
    res = CliRunner().invoke(command, ["--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["inputs"]["burnout_rate"] == pytest.approx(0.63)
    assert data["unrounded"]["departures_due_to_burnout"] == pytest.approx(13.5276073, rel=1e-7)
    assert data["unrounded"]["cost_of_departures"] == pytest.approx(10_822_085.8896, rel=1e-9)
    assert data["display"] == display(compute_cost(PLAYBOOK))


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--burnout-rate", "120"], "--burnout-rate must be between 0 and 100, got 120"),
        (["--cost-per-turnover", "-5"], "--cost-per-turnover must not be negative, got -5"),
        (["--physicians", "-1"], "--physicians must not be negative"),
        (["--turnover-rate", "abc"], "--turnover-rate"),
    ],
)
def test_cli_bad_input_names_the_option(args: list[str], option: str) -> None:
    res = CliRunner().invoke(command, args)
    assert res.exit_code != 0
    assert option in res.output
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
