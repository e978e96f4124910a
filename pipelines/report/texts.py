"""How measures are named on the charts, and the span of the trend charts."""

from __future__ import annotations

from dataclasses import dataclass

#: Weeks shown in the trend charts, ending with the week that holds the period's end.
TREND_WEEKS = 26


@dataclass(frozen=True)
class MeasureText:
    """How a measure is named on a chart."""

    title: str
    axis: str
    fmt: str
    sentence: str


MEASURES: dict[str, MeasureText] = {
    "wow_minutes_per_clinic_day": MeasureText(
        "Work outside of work per clinic day",
        "Minutes per clinic day",
        ",.0f",
        "Minutes of EHR work outside the scheduled clinic window per clinic day, with "
        "evenings, weekends and days off counted.",
    ),
    "inbox_messages_per_week": MeasureText(
        "Inbox messages per week",
        "Messages received per week",
        ",.0f",
        "In-basket messages received per week, all message types, not adjusted for FTE.",
    ),
    "vacation_ehr_minutes_per_day": MeasureText(
        "EHR minutes on vacation days",
        "EHR minutes per vacation day",
        ",.0f",
        "Active EHR minutes per vacation day, among providers with vacation days in the "
        "period.",
    ),
    "ehr_time8": MeasureText(
        "EHR time per 8 hours of scheduled patient time",
        "EHR hours per 8 scheduled hours",
        ",.1f",
        "Hours of EHR work per 8 hours of scheduled patient time (Sinsky et al. JAMIA "
        "2020); no threshold is cited for it.",
    ),
    "psh40": MeasureText(
        "PSH40: patient scheduled hours in a 40-hour week",
        "Patient scheduled hours per 40-hour week",
        ",.1f",
        "The scheduled patient hours that would make a 40-hour week at the current "
        "share of work outside appointment slots (after Sinsky, Rotenstein, Holmgren, "
        "Apathy, JAMIA 2024); lower means more outside work.",
    ),
}
