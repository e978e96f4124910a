"""The input contract as code (CONTRACT.md section 1).

One :class:`ExtractKind` per extract kind: its required and optional columns, the
column types after staging, the allowed values of enum columns and the upsert key.
Nothing here imports other project modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["str", "instant", "date", "float"]

ROLES = ("physician", "app", "resident", "other")
APPOINTMENT_STATUSES = ("scheduled", "arrived", "completed", "no_show", "cancelled", "bumped")
TIME_OFF_TYPES = ("vacation", "pto", "sick", "cme", "holiday", "parental", "other")
MESSAGE_TYPES = ("patient_message", "result", "rx_request", "system", "staff", "other")

#: Categories of EHR activity; the order is the priority used when events share an instant.
CATEGORIES = ("notes", "orders", "prescriptions", "inbox", "chart_review", "other")

#: Reason codes of the quarantine table.
REASONS = (
    "missing_value",
    "bad_time",
    "nonexistent_local_time",
    "time_out_of_range",
    "bad_enum",
    "bad_number",
    "duration_out_of_range",
    "bad_date_range",
    "fte_out_of_range",
    "unknown_provider",
    "duplicate_key",
)


@dataclass(frozen=True)
class ExtractKind:
    """One extract kind: its columns, their staged types, enums and key."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    types: dict[str, ColumnType]
    key: tuple[str, ...]
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    grain: str = ""

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


EVENTS = ExtractKind(
    name="events",
    required=("user_id", "event_time", "action"),
    optional=("event_id", "patient_id", "workstation_id"),
    types={
        "user_id": "str",
        "event_time": "instant",
        "action": "str",
        "event_id": "str",
        "patient_id": "str",
        "workstation_id": "str",
    },
    key=("event_id",),  # when present; otherwise the whole row
    grain="one EHR audit-log action",
)

PROVIDERS = ExtractKind(
    name="providers",
    required=("provider_id", "user_id", "department", "specialty", "role", "clinical_fte"),
    optional=("display_name", "start_date", "end_date"),
    types={
        "provider_id": "str",
        "user_id": "str",
        "department": "str",
        "specialty": "str",
        "role": "str",
        "clinical_fte": "float",
        "display_name": "str",
        "start_date": "date",
        "end_date": "date",
    },
    key=("provider_id", "user_id"),
    enums={"role": ROLES},
    grain="one login of one clinician",
)

SCHEDULE = ExtractKind(
    name="schedule",
    required=("appointment_id", "provider_id", "start_time", "duration_minutes", "status"),
    optional=("visit_type",),
    types={
        "appointment_id": "str",
        "provider_id": "str",
        "start_time": "instant",
        "duration_minutes": "float",
        "status": "str",
        "visit_type": "str",
    },
    key=("appointment_id",),
    enums={"status": APPOINTMENT_STATUSES},
    grain="one appointment slot",
)

TIME_OFF = ExtractKind(
    name="time_off",
    required=("provider_id", "start_date", "end_date", "type"),
    optional=(),
    types={"provider_id": "str", "start_date": "date", "end_date": "date", "type": "str"},
    key=("provider_id", "start_date", "type"),
    enums={"type": TIME_OFF_TYPES},
    grain="one block of time off, both dates inclusive",
)

INBOX = ExtractKind(
    name="inbox",
    required=("message_id", "provider_id", "received_time", "message_type"),
    optional=("completed_time", "completed_by"),
    types={
        "message_id": "str",
        "provider_id": "str",
        "received_time": "instant",
        "message_type": "str",
        "completed_time": "instant",
        "completed_by": "str",
    },
    key=("message_id", "provider_id"),
    enums={"message_type": MESSAGE_TYPES},
    grain="one in-basket message to one provider",
)

ACTION_MAP = ExtractKind(
    name="action_map",
    required=("action", "category"),
    optional=(),
    types={"action": "str", "category": "str"},
    key=("action",),
    enums={"category": CATEGORIES},
    grain="one audit-log action name and its category",
)

#: Kinds in load order: the roster first, so that other kinds can be checked against it.
KINDS: dict[str, ExtractKind] = {
    k.name: k for k in (PROVIDERS, ACTION_MAP, EVENTS, SCHEDULE, TIME_OFF, INBOX)
}


def kind_of_name(name: str) -> str | None:
    """Return the extract kind a file or folder name starts with, or None.

    >>> kind_of_name("events_2026-03-02.csv.gz")
    'events'
    >>> kind_of_name("time_off.parquet")
    'time_off'
    """
    lowered = name.lower()
    # Longest names first, so that no kind shadows another one that starts like it.
    for kind in sorted(KINDS, key=len, reverse=True):
        if lowered.startswith(kind):
            return kind
    return None
