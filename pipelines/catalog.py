"""COMMENTs of the ``core`` and ``marts`` tables: each table's grain and each column's
definition and source (CONTRACT.md sections 3 to 6). The data dictionary is generated
from what these put in the warehouse."""

from __future__ import annotations

S20 = "Sinsky et al. 2020 JAMIA"
PER8 = "per 8 hours of patient scheduled time: (sum of minutes / 60) / scheduled_hours x 8"
NULL_RULE = "null when scheduled_hours < min_scheduled_hours_per_week x days_in_range / 7"

_SHARED_RATIOS: dict[str, str] = {
    "days_in_range": "Dates of the group inside the provider's range.",
    "scheduled_hours": "Sum of scheduled_minutes / 60 (union of counted appointment slots).",
    "clinic_days": "Dates with scheduled_minutes > 0.",
    "ehr_time8": f"EHR time {PER8}; {NULL_RULE} ({S20}).",
    "wow8": f"Work outside of work {PER8}; {NULL_RULE} ({S20}).",
    "ib_time8": f"Inbox time {PER8}; {NULL_RULE} ({S20}).",
    "note_time8": f"Note time {PER8}; {NULL_RULE} ({S20}).",
    "order_time8": f"Order time {PER8}; {NULL_RULE} (this project's addition to {S20}).",
    "rx_time8": f"Prescription time {PER8}; {NULL_RULE} ({S20}).",
    "wow_minutes_per_clinic_day": (
        "Sum of wow_minutes over all dates (unscheduled days included) / clinic_days; "
        f"{NULL_RULE} (NAM Perspectives 2020 after Adler-Milstein et al. 2020)."
    ),
    "ehr_minutes_per_scheduled_hour": f"Sum of ehr_minutes / scheduled_hours; {NULL_RULE}.",
    "psh40": (
        "Patient scheduled hours that make a 40-hour week at this ratio of outside work: "
        "40 x scheduled_hours / (scheduled_hours + sum of outside_slot_minutes / 60); "
        f"{NULL_RULE} (after Sinsky, Rotenstein, Holmgren, Apathy, JAMIA 2024)."
    ),
    "inbox_messages": "In-basket messages received on the dates of the group.",
    "inbox_messages_per_cfte": "inbox_messages / clinical_fte.",
    "wow_minutes_per_cfte": "Sum of wow_minutes / clinical_fte.",
}

_PERIOD_KEYS = {
    "period_type": "week, month or quarter (calendar), from reporting_period.",
    "period_start": "First date of the period.",
    "period_end": "Last date of the period.",
}

TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "core.providers": (
        "One row per provider: roster attributes (from the first login row) and the "
        "provider's range, the loaded range cut to start_date and end_date.",
        {
            "provider_id": "Provider identifier from the roster.",
            "department": "Department from the roster.",
            "specialty": "Specialty from the roster.",
            "role": "physician, app, resident or other.",
            "clinical_fte": "Clinical FTE in (0, 1].",
            "start_date": "Earliest start_date given for the provider, if any.",
            "end_date": "Latest end_date given for the provider, if any.",
            "range_start": "First date of the provider's range.",
            "range_end": "Last date of the provider's range.",
        },
    ),
    "marts.provider_day": (
        "One row per provider per local date of the provider's range, zeros included.",
        {
            "provider_id": "Provider identifier.",
            "date": "Local calendar date in the configured time zone.",
            "ehr_minutes": (
                "Active EHR minutes: gaps of 0 < g <= idle_timeout_seconds between the "
                "provider's consecutive audit events, split at local midnight."
            ),
            "chart_review_minutes": "Active minutes in the chart_review category.",
            "notes_minutes": "Active minutes in the notes category.",
            "orders_minutes": "Active minutes in the orders category.",
            "prescriptions_minutes": "Active minutes in the prescriptions category.",
            "inbox_minutes": "Active minutes in the inbox category.",
            "other_minutes": "Active minutes in the other category (unmapped actions too).",
            "scheduled_minutes": (
                "Length of the union of counted appointment intervals, cut at local midnight."
            ),
            "appointments": "Counted appointments starting that date.",
            "unscheduled_day": "True when scheduled_minutes = 0.",
            "wow_minutes": (
                "Work outside of work: active minutes outside the scheduled window (span or "
                "slots, with buffer); all of ehr_minutes on an unscheduled day "
                "(Sinsky et al. 2020; Arndt et al. 2023)."
            ),
            "outside_slot_minutes": (
                "Active minutes outside the counted appointment slots, no buffer (for PSH40)."
            ),
            "pajama_minutes": (
                "Active minutes on weekdays at or after pajama.weekday_start or before "
                "pajama.weekday_end, and all day on weekends when pajama.weekends "
                "(Epic's definition as used by Rotenstein et al. 2023)."
            ),
            "inbox_messages": "In-basket messages received that local date.",
            "vacation_day": "Date inside a time-off block whose type is in vacation_types.",
            "vacation_login": "A vacation day with at least one audit event.",
        },
    ),
    "marts.provider_week": (
        "One row per provider per week (starting on week_start) with dates in the "
        "provider's range; every figure is a ratio of sums over the week's dates.",
        {"provider_id": "Provider identifier.", "week_start": "First date of the week.",
         **_SHARED_RATIOS},
    ),
    "marts.provider_period": (
        "One row per provider per reporting period with dates in the provider's range; "
        "every figure is a ratio of sums over the period's dates in range.",
        {
            "provider_id": "Provider identifier.",
            **_PERIOD_KEYS,
            "complete": "True when the whole period lies inside the provider's range.",
            **_SHARED_RATIOS,
            "inbox_messages_per_week": (
                "inbox_messages / (days_in_range / 7) (NAM 2020 after Adler-Milstein 2020)."
            ),
            "inbox_messages_per_week_per_cfte": "inbox_messages_per_week / clinical_fte.",
            "wow_minutes_per_week_per_cfte": (
                "Sum of wow_minutes / (days_in_range / 7) / clinical_fte."
            ),
            "vacation_days": "Vacation days in the period.",
            "vacation_days_with_login": "Vacation days with at least one audit event.",
            "vacation_days_with_ehr": "Vacation days with ehr_minutes > 0.",
            "vacation_days_over_30_min": "Vacation days with ehr_minutes > 30.",
            "vacation_ehr_minutes_per_day": (
                "Sum of ehr_minutes on vacation days / vacation_days; null without vacation "
                "days (Sinsky et al. JAMA Netw Open 2024, Value of Feeling Valued playbook)."
            ),
            "pto_inbox_messages": "Messages received on the provider's vacation days.",
            "pto_inbox_self_completed_share": (
                "Of the messages received on vacation days with a known completed_by, the "
                "share completed by one of the provider's own user ids; null when none "
                "(inbox coverage, Value of Feeling Valued playbook Table 3)."
            ),
        },
    ),
    "marts.provider_year": (
        "One row per provider for the trailing year E-364..E (E = last date of the loaded "
        "range), only where that window lies inside the provider's range.",
        {
            "provider_id": "Provider identifier.",
            "period_start": "E - 364.",
            "period_end": "E, the last date of the loaded range.",
            "pto_weekdays_taken": (
                "Distinct Monday-to-Friday dates inside vacation blocks in the window."
            ),
            "pto_weeks_taken": (
                "pto_weekdays_taken / 5 (Value of Feeling Valued playbook: more than 3 "
                "weeks of vacation a year)."
            ),
        },
    ),
    "marts.burnout_risk_flags": (
        "One row per provider, period and measure where the value is defined, for the "
        "roles of the thresholds profile.",
        {
            "provider_id": "Provider identifier.",
            "period_type": "week, month, quarter, or trailing_year.",
            "period_start": "First date of the period.",
            "period_end": "Last date of the period.",
            "complete": "True when the whole period lies inside the provider's range.",
            "measure": "Name of the measure (a column of provider_period or provider_year).",
            "value": "Value of the measure.",
            "level": "low, elevated or high.",
            "threshold": "The rule of the band the value fell in, as written in the profile.",
            "source": "Citation of the threshold, as the profile gives it.",
        },
    ),
    "marts.provider_risk_summary": (
        "One row per provider and period: counts of high and elevated flags and the "
        "measures behind them, derived from burnout_risk_flags with no weights or scores.",
        {
            "provider_id": "Provider identifier.",
            "period_type": "week, month, quarter, or trailing_year.",
            "period_start": "First date of the period.",
            "period_end": "Last date of the period.",
            "n_high": "Number of measures at level high.",
            "n_elevated": "Number of measures at level elevated.",
            "high_measures": "Comma-separated measures at level high.",
            "elevated_measures": "Comma-separated measures at level elevated.",
        },
    ),
}

_GROUP_COLS = {
    "period_type": "week, month, quarter, or trailing_year.",
    "period_start": "First date of the period.",
    "period_end": "Last date of the period.",
    "measure": "Flagged measure.",
    "n_providers": (
        "Providers (roles of the thresholds profile) with a value for the measure in the "
        "period, partial provider-periods included; shown even when suppressed."
    ),
    "median": "Median of the providers' values (linear interpolation); null when suppressed.",
    "p25": "25th percentile (linear interpolation); null when suppressed.",
    "p75": "75th percentile (linear interpolation); null when suppressed.",
    "n_low": (
        "Providers at level low; null when between 1 and min_cell_size - 1, and on "
        "every suppressed row."
    ),
    "n_elevated": (
        "Providers at level elevated; null when between 1 and min_cell_size - 1, and on "
        "every suppressed row."
    ),
    "n_high": (
        "Providers at level high; null when between 1 and min_cell_size - 1, and on "
        "every suppressed row."
    ),
    "suppressed": "True when n_providers < min_cell_size: statistics withheld.",
}
for _group in ("department", "specialty"):
    TABLES[f"marts.{_group}_period"] = (
        f"One row per {_group}, period and flagged measure: distribution and level counts, "
        "suppressed below min_cell_size.",
        {_group: f"The {_group}.", **_GROUP_COLS},
    )

TABLES["marts.methods"] = (
    "One row per run: the methods card (software version, settings, inputs, quality).",
    {
        "run_id": "Dagster run id.",
        "run_at": "Time the methods card was written, near the end of the run (UTC).",
        "software_version": "ehrlog version.",
        "settings_json": "Metric settings as JSON.",
        "settings_hash": "Hash of the metric settings.",
        "delivery": "Delivery folder of the run, if any.",
        "input_files_json": "Files of the delivery: name, kind, SHA-256, rows, skipped.",
        "quarantine_counts_json": "Rows quarantined in this run by kind and reason.",
        "rows_staged_json": "Rows staged in this run by kind.",
        "unmapped_share": "Share of staged events whose action is unmapped (other).",
        "unrostered_events": "Staged events of user ids not in the roster.",
        "range_start": "First date of the loaded range.",
        "range_end": "Last date of the loaded range.",
        "thresholds_profile": "Thresholds profile used for the flags.",
        "thresholds_sha256": "SHA-256 of that profile's file as the run read it, so that an "
                             "edited site profile is told apart. NULL on rows written by a "
                             "version that did not record it.",
        "methods_choices_json": "The methods choices where the contract is silent, as "
                                "title: rule (schemas/choices.py; explained in the README). "
                                "NULL on rows written by a version that did not record them.",
    },
)


def comment_sql(table: str) -> list[str]:
    """COMMENT statements for one catalogued table (project constants only, no input)."""
    grain, cols = TABLES[table]
    out = [f"COMMENT ON TABLE {table} IS {_literal(grain)}"]
    out += [f"COMMENT ON COLUMN {table}.{c} IS {_literal(t)}" for c, t in cols.items()]
    return out


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"

TABLES["core.run_stats"] = (
    "One row: data-quality figures of the staged data as of the latest run, read by the "
    "methods card (no run id, so that re-loading a delivery leaves it unchanged).",
    {
        "unmapped_share": "Share of staged events whose action is unmapped.",
        "unrostered_events": "Staged events of user ids not in the roster.",
        "range_start": "First date of the loaded range.",
        "range_end": "Last date of the loaded range.",
    },
)

TABLES["core.day_basis"] = (
    "One row: what marts.provider_day was computed from, and the loaded range it holds. When "
    "a run's basis differs (metric settings, roster or action map changed), the day grid is "
    "rebuilt in full, never mixed; dates the loaded range gains are computed in the run that "
    "brings them.",
    {
        "basis": "SHA-256 of the metric settings hash, the roster and the action map.",
        "settings_hash": "Hash of the metric settings (as in marts.methods).",
        "range_start": "First date of the loaded range the day grid holds: every date from "
                       "it to range_end has been computed (null without events).",
        "range_end": "Last date of the loaded range the day grid holds.",
        "built_at": "When the day grid was last rebuilt in full (UTC).",
    },
)
