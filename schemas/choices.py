"""The methods choices where CONTRACT.md is silent, as the methods card records them.

CONTRACT.md (preamble): where it is silent, the choice is written into the methods card
and into the docs. Each entry is one choice: its title, as in the README's "Methods
choices where the contract is silent" (which explains each with an example), and the
rule in one sentence. ``marts.methods.methods_choices_json`` holds this mapping for every
run, so a figure can be read with the rules of the version that computed it.
"""

METHODS_CHOICES: dict[str, str] = {
    "Appointments across midnight": (
        "A counted appointment is cut at local midnight; a date's scheduled window is built "
        "from that date's pieces and applies to that date's active minutes only; "
        "appointments counts an appointment on the date it starts."),
    "Idle timeout": (
        "idle_timeout_seconds is limited to (0, 3600], so an active interval crosses at most "
        "one midnight; a gap exactly equal to the timeout is active."),
    "Day boundaries on a clock change": (
        "A local date runs from the instant its first wall-clock time exists to the next "
        "date's; a pajama-window boundary in a spring-forward gap is where clocks resume; "
        "where clocks go back across a boundary, the window follows the wall clock on both "
        "passes."),
    "Action matching": "Actions are trimmed and case-folded (Python str.casefold).",
    "Enumerated values": (
        "role, status, type and message_type are trimmed and lower-cased before they are "
        "checked against the contract's values; any other value is bad_enum."),
    "Message times": (
        "time_out_of_range tests received_time; completed_time is stored as delivered (a "
        "valid time or blank) without a range or order test, since no measure reads it."),
    "Provider attributes": (
        "A provider's attributes are those of their first login row by user_id, with the "
        "earliest start_date and the latest end_date."),
    "Schedule-based ratios": (
        "They are also null when scheduled_hours is 0, and wow_minutes_per_clinic_day when "
        "there is no clinic day."),
    "Percentiles": (
        "The group tables' percentiles interpolate linearly between order statistics."),
    "Small cells": (
        "Exactly CONTRACT.md section 6: n_providers stays visible on a suppressed row."),
}
