"""Threshold profiles: shipped content, band edges, parsing and one-line errors."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest

from metrics.thresholds import (
    Profile,
    ThresholdError,
    level_expr,
    load_profile,
    parse_rule,
    rule_expr,
    shipped_profiles,
)

SEED = "seed-documents"
AM = "adler-milstein-2020-per-cfte"

# (measure, value, expected level, expected rule) for every band edge of both profiles.
SEED_EDGES = [
    ("wow_minutes_per_clinic_day", 0.0, "low", "< 30"),
    ("wow_minutes_per_clinic_day", 29.999, "low", "< 30"),
    ("wow_minutes_per_clinic_day", 30.0, "elevated", ">= 30 and <= 180"),
    ("wow_minutes_per_clinic_day", 180.0, "elevated", ">= 30 and <= 180"),
    ("wow_minutes_per_clinic_day", 180.001, "high", "> 180"),
    ("inbox_messages_per_week", 149.99, "low", "< 150"),
    ("inbox_messages_per_week", 150.0, "elevated", ">= 150 and <= 300"),
    ("inbox_messages_per_week", 300.0, "elevated", ">= 150 and <= 300"),
    ("inbox_messages_per_week", 300.01, "high", "> 300"),
    ("vacation_ehr_minutes_per_day", 0.0, "low", "<= 30"),
    ("vacation_ehr_minutes_per_day", 30.0, "low", "<= 30"),
    ("vacation_ehr_minutes_per_day", 30.01, "high", "> 30"),
    ("pto_inbox_self_completed_share", 0.0, "low", "= 0"),
    ("pto_inbox_self_completed_share", 0.001, "elevated", "> 0"),
    ("pto_inbox_self_completed_share", 1.0, "elevated", "> 0"),
    ("pto_weeks_taken", 0.0, "elevated", "<= 3"),
    ("pto_weeks_taken", 3.0, "elevated", "<= 3"),
    ("pto_weeks_taken", 3.2, "low", "> 3"),
]
AM_EDGES = [
    ("inbox_messages_per_week_per_cfte", 0.0, "low", "<= 307"),
    ("inbox_messages_per_week_per_cfte", 307.0, "low", "<= 307"),
    ("inbox_messages_per_week_per_cfte", 307.01, "high", "> 307"),
    ("wow_minutes_per_week_per_cfte", 68.0, "low", "<= 68"),
    ("wow_minutes_per_week_per_cfte", 68.01, "elevated", "> 68"),
]


def test_shipped_profiles_are_listed() -> None:
    assert set(shipped_profiles()) >= {SEED, AM}


def test_seed_profile_matches_contract_table() -> None:
    p = load_profile(SEED)
    assert p.name == SEED
    assert p.roles == ("physician", "app")
    got = {m.measure: (m.grain, [(b.level, b.rule) for b in m.bands]) for m in p.measures}
    assert got == {
        "wow_minutes_per_clinic_day": (
            "period",
            [("low", "< 30"), ("elevated", ">= 30 and <= 180"), ("high", "> 180")],
        ),
        "inbox_messages_per_week": (
            "period",
            [("low", "< 150"), ("elevated", ">= 150 and <= 300"), ("high", "> 300")],
        ),
        "vacation_ehr_minutes_per_day": ("period", [("low", "<= 30"), ("high", "> 30")]),
        "pto_inbox_self_completed_share": ("period", [("low", "= 0"), ("elevated", "> 0")]),
        "pto_weeks_taken": ("trailing_year", [("low", "> 3"), ("elevated", "<= 3")]),
    }
    wow = p.measure("wow_minutes_per_clinic_day")
    assert wow.citation.startswith(
        'NAM Perspectives 2020: "more than three hours per day of work outside of work ... '
        '13 times the odds of burnout compared with ... less than 30 minutes"'
    )
    assert wow.citation.endswith("attributed to Adler-Milstein et al. JAMIA 2020")
    assert "quartiles" in wow.meaning
    assert "Sinsky et al. JAMA Netw Open 2024" in p.measure("vacation_ehr_minutes_per_day").citation


def test_adler_milstein_profile() -> None:
    p = load_profile(AM)
    assert [m.measure for m in p.measures] == [
        "inbox_messages_per_week_per_cfte",
        "wow_minutes_per_week_per_cfte",
    ]
    assert "6.17" in p.measure("inbox_messages_per_week_per_cfte").citation
    wow = p.measure("wow_minutes_per_week_per_cfte")
    assert "approximation" in wow.citation
    assert "median" in wow.meaning


@pytest.mark.parametrize(
    ("profile", "measure", "value", "level", "rule"),
    [(SEED, *e) for e in SEED_EDGES] + [(AM, *e) for e in AM_EDGES],
)
def test_band_edges_scalar(profile: str, measure: str, value: float, level: str, rule: str) -> None:
    band = load_profile(profile).measure(measure).classify(value)
    assert band is not None
    assert (band.level, band.rule) == (level, rule)


@pytest.mark.parametrize("profile", [SEED, AM])
def test_band_edges_polars_expression_agrees(profile: str) -> None:
    p = load_profile(profile)
    edges = SEED_EDGES if profile == SEED else AM_EDGES
    for measure, value, level, rule in edges:
        m = p.measure(measure)
        out = pl.DataFrame({"v": [value]}).select(
            level=level_expr(m, pl.col("v")), rule=rule_expr(m, pl.col("v"))
        )
        assert out.row(0) == (level, rule), (measure, value)


def test_negative_value_matches_no_band() -> None:
    m = load_profile(SEED).measure("pto_inbox_self_completed_share")
    assert m.classify(-0.5) is None
    out = pl.DataFrame({"v": [-0.5]}).select(level_expr(m, pl.col("v")))
    assert out.item() is None


@pytest.mark.parametrize(
    ("rule", "parsed"),
    [
        ("< 30", (-math.inf, False, 30.0, False)),
        ("<=3", (-math.inf, False, 3.0, True)),
        ("> 180", (180.0, False, math.inf, False)),
        (">= 1.5e2", (150.0, True, math.inf, False)),
        ("= 0", (0.0, True, 0.0, True)),
        (">= 30 and <= 180", (30.0, True, 180.0, True)),
        ("< 10 and > 2", (2.0, False, 10.0, False)),
        (">> 3", None),
        ("> 3 and > 4", None),
        ("= 1 and < 3", None),
        ("between 1 and 2", None),
        ("> 1 and < 2 and < 3", None),
        ("", None),
    ],
)
def test_parse_rule(rule: str, parsed: tuple[float, bool, float, bool] | None) -> None:
    assert parse_rule(rule) == parsed


CUSTOM = """
name: my-site
description: Site cut points.
roles: [physician, app, resident]
measures:
  - measure: ehr_minutes_per_scheduled_hour
    unit: minutes per scheduled hour
    grain: period
    bands:
      - {level: low, rule: "< 60"}
      - {level: high, rule: ">= 60"}
    citation: Our own audit, 2025
    meaning: A local cut point, not from a study.
  - measure: pto_weekdays_taken
    unit: weekdays
    grain: trailing_year
    bands:
      - {level: elevated, rule: "<= 15"}
      - {level: low, rule: "> 15"}
    citation: Local policy
    meaning: Three weeks of weekdays.
"""


def test_custom_profile_from_path(tmp_path: Path) -> None:
    f = tmp_path / "site.yaml"
    f.write_text(CUSTOM)
    p = load_profile(str(f))
    assert isinstance(p, Profile)
    assert p.name == "my-site"
    assert p.roles == ("physician", "app", "resident")
    assert p.origin == str(f)
    assert len(p.sha256) == 64
    m = p.measure("ehr_minutes_per_scheduled_hour")
    assert m.classify(59.99).level == "low"  # type: ignore[union-attr]
    assert m.classify(60).level == "high"  # type: ignore[union-attr]
    assert [x.measure for x in p.by_grain("trailing_year")] == ["pto_weekdays_taken"]
    assert load_profile(f).name == "my-site"  # a Path works too


def test_default_roles(tmp_path: Path) -> None:
    f = tmp_path / "site.yaml"
    f.write_text(CUSTOM.replace("roles: [physician, app, resident]\n", ""))
    assert load_profile(str(f)).roles == ("physician", "app")


def test_unknown_name_or_missing_file() -> None:
    with pytest.raises(ThresholdError, match="no shipped profile named 'nope'"):
        load_profile("nope")


def _write(tmp_path: Path, text: str) -> str:
    f = tmp_path / "x.yaml"
    f.write_text(text)
    return str(f)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('rule: ">= 60"', 'rule: ">> 3"', "measures[0].bands[1].rule: cannot parse '>> 3'"),
        ("{level: high, ", "{level: severe, ", "measures[0].bands[1].level: expected one of"),
        ("    unit: weekdays\n", "", "measures[1].unit: missing"),
        ("    citation: Local policy\n", "", "measures[1].citation: missing"),
        ("name: my-site\n", "", "name: missing"),
        ("grain: trailing_year", "grain: yearly", "measures[1].grain: expected one of"),
        (
            "measure: pto_weekdays_taken",
            "measure: pto_weekdayz_taken",
            "measures[1].measure: unknown trailing_year measure 'pto_weekdayz_taken'",
        ),
        ("roles: [physician, app, resident]", "roles: [nurse]", "roles: unknown role 'nurse'"),
        (
            "    meaning: Three",
            "    colour: red\n    meaning: Three",
            "measures[1].colour: unknown",
        ),
        ('rule: ">= 60"', 'rule: "> 50"', "measures[0].bands[1].rule: '> 50' overlaps '< 60'"),
        ('rule: ">= 60"', 'rule: "> 60"', "measures[0].bands: no band covers 60"),
        ('rule: "> 15"', 'rule: "> 16"', "measures[1].bands: no band covers values just above 15"),
        ('rule: "< 60"', 'rule: "> 1 and < 60"', "measures[0].bands: no band covers 0"),
        ('rule: ">= 60"', 'rule: "> 70 and < 60"', "measures[0].bands[1].rule: '> 70 and < 60'"),
        ('rule: ">= 60"', "rule: 60", "measures[0].bands[1].rule: expected a quoted rule"),
        (
            "measure: pto_weekdays_taken",
            "measure: ehr_minutes_per_scheduled_hour\n    x: 1",
            "measures[1].x: unknown key",
        ),
    ],
)
def test_malformed_file_gives_one_line_naming_the_key(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert old in CUSTOM
    path = _write(tmp_path, CUSTOM.replace(old, new, 1))
    with pytest.raises(ThresholdError) as info:
        load_profile(path)
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(f"thresholds file {path}: ")
    assert message in text


def test_duplicate_measure(tmp_path: Path) -> None:
    text = CUSTOM.replace("measure: pto_weekdays_taken", "measure: ehr_minutes_per_scheduled_hour")
    text = text.replace("grain: trailing_year", "grain: period")
    with pytest.raises(ThresholdError, match=r"measures\[1\]\.measure: .* appears twice"):
        load_profile(_write(tmp_path, text))


def test_invalid_yaml_is_one_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: [unclosed\nmeasures: x\n")
    with pytest.raises(ThresholdError) as info:
        load_profile(path)
    assert "\n" not in str(info.value)
    assert "not valid YAML" in str(info.value)


def test_unquoted_rule_is_reported(tmp_path: Path) -> None:
    # YAML reads an unquoted `> 60` as a folded block scalar; the error must still be one line.
    path = _write(tmp_path, CUSTOM.replace('rule: ">= 60"}', "rule: >= 60}"))
    with pytest.raises(ThresholdError) as info:
        load_profile(path)
    assert "\n" not in str(info.value)
