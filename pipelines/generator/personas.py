"""Work-style personas of the synthetic clinicians, calibrated to published figures.

Each provider gets one persona, assigned by position: the provider at 0-based position
``i`` (provider id ``PRV{i+1:03d}``) gets ``PATTERN[i % 8]``, so every persona appears as
soon as there are six providers:

================  ==========================================================
persona           provider ids
================  ==========================================================
typical           PRV001, PRV007, PRV008, then every 8th of each (PRV009, ...)
balanced          PRV002, PRV010, PRV018, ...
pajama            PRV003, PRV011, PRV019, ...
inbox_heavy       PRV004, PRV012, PRV020, ...
vacation_worker   PRV005, PRV013, PRV021, ...
no_vacation       PRV006, PRV014, PRV022, ...
================  ==========================================================

The n-th provider with a persona takes the n-th entry (cycling) of that persona's ``fte``
and ``roles`` tuples, so the first provider of every persona is a physician or an APP and
therefore subject to the burnout-risk flags.

Calibration (the figures each parameter is tuned to; minutes are per occurrence):

- EHR time of a full-time primary-care physician on a clinic day about 5.9 hours, 1.4 of
  them after clinic hours (Arndt et al., Ann Fam Med 2017, "Tethered to the EHR"); nearly
  two hours of EHR and desk work per hour of direct patient time and one to two hours of
  after-hours work each night (Sinsky et al., Ann Intern Med 2016); 3.08 h of office
  visits and 3.17 h of "desktop medicine" a day (Tai-Seale et al., Health Aff 2017). The
  ``typical`` persona spends about half of each appointment slot in the EHR (``in_clinic``)
  plus pre-clinic, lunch, after-clinic and some evening work. Measured on generated
  data: about 5.5 hours of EHR time per clinic day (all days' time over clinic days),
  about 1.6 hours of it outside the scheduled window (WOW) and 45 minutes of pajama time
  (after 17:30, before 07:00 or at weekends).
- Work outside of work (WOW) bands and inbox bands are the seed thresholds of CONTRACT.md
  section 5 (NAM Perspectives 2020, after Adler-Milstein et al., JAMIA 2020): < 30 and
  > 180 minutes per clinic day, < 150 and > 300 messages a week. Each persona is tuned to
  sit well inside one band in every calendar month, vacation months included.
- Inbox volume: ``inbox_per_week`` is the weekly message count of a provider at clinical
  FTE 1; a part-time provider keeps most of a panel's volume, so the weekly rate is
  scaled by ``0.5 + 0.5 * clinical_fte``. The ``typical`` 250 a week sits near the
  ~240-a-week averages reported for primary care (Tai-Seale et al., Health Aff 2019) and
  below the top-quartile cut of 307 per clinical FTE (Adler-Milstein et al. 2020).
- Vacation: more than 30 minutes a day of EHR work while on vacation, full inbox coverage
  and more than three weeks of vacation a year are the "Real PTO" markers of the AMA
  "Value of Feeling Valued" playbook (Sinsky et al., JAMA Netw Open 2024).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Activity:
    """One kind of EHR session: the chance it happens on an eligible day and its mean length."""

    prob: float
    minutes: float


@dataclass(frozen=True)
class Persona:
    """Parameters of one work style; see the module docstring for the calibration."""

    name: str
    in_clinic_share: float  # share of an attended appointment slot spent in the EHR
    pre_clinic: Activity  # before the first appointment of a clinic day
    lunch: Activity  # between the morning and afternoon sessions of a full clinic day
    after_clinic: Activity  # after the last appointment of a clinic day
    evening: Activity  # weekday evening "pajama" session, 19:00-21:30 start
    admin: Activity  # per weekday half-day without clinic (administrative time)
    weekend: Activity  # per weekend day, holiday or CME day
    vacation: Activity  # per vacation day, weekends inside the block included
    inbox_per_week: float  # messages a week at clinical FTE 1
    vacation_weeks: tuple[int, ...]  # lengths in weeks of the vacation blocks of one year
    pto_self_share: float  # share of messages received on vacation completed by self
    fte: tuple[float, ...]  # clinical FTE of the 1st, 2nd, ... provider with this persona
    roles: tuple[str, ...]  # role of the 1st, 2nd, ... provider with this persona


PERSONAS: dict[str, Persona] = {
    p.name: p
    for p in (
        Persona(
            name="typical",
            in_clinic_share=0.55,
            pre_clinic=Activity(0.9, 25),
            lunch=Activity(0.7, 20),
            after_clinic=Activity(0.9, 45),
            evening=Activity(0.5, 45),
            admin=Activity(0.7, 45),
            weekend=Activity(0.35, 40),
            vacation=Activity(0.2, 15),
            inbox_per_week=250,
            vacation_weeks=(2, 1, 1),
            pto_self_share=0.1,
            fte=(1.0, 0.8, 1.0, 1.0, 0.9, 0.8),
            roles=("physician", "physician", "app", "physician", "app", "physician"),
        ),
        Persona(
            name="balanced",
            in_clinic_share=0.5,
            pre_clinic=Activity(0.4, 6),
            lunch=Activity(0.4, 10),
            after_clinic=Activity(0.5, 6),
            evening=Activity(0.0, 0),
            admin=Activity(0.1, 10),
            weekend=Activity(0.0, 0),
            vacation=Activity(0.0, 0),
            inbox_per_week=110,
            vacation_weeks=(2, 1, 2, 1),
            pto_self_share=0.0,
            fte=(0.8, 0.6, 1.0),
            roles=("physician", "app", "physician"),
        ),
        Persona(
            name="pajama",
            in_clinic_share=0.5,
            pre_clinic=Activity(0.9, 40),
            lunch=Activity(0.8, 25),
            after_clinic=Activity(0.95, 60),
            evening=Activity(0.9, 110),
            admin=Activity(0.9, 80),
            weekend=Activity(0.85, 130),
            vacation=Activity(0.35, 25),
            inbox_per_week=260,
            vacation_weeks=(1, 1, 1),
            pto_self_share=0.15,
            fte=(1.0, 1.0, 0.9),
            roles=("physician", "resident", "physician"),
        ),
        Persona(
            name="inbox_heavy",
            in_clinic_share=0.55,
            pre_clinic=Activity(0.9, 30),
            lunch=Activity(0.8, 20),
            after_clinic=Activity(0.9, 45),
            evening=Activity(0.6, 50),
            admin=Activity(0.8, 50),
            weekend=Activity(0.4, 45),
            vacation=Activity(0.25, 20),
            inbox_per_week=440,
            vacation_weeks=(2, 1),
            pto_self_share=0.1,
            fte=(1.0, 1.0, 0.9),
            roles=("physician", "physician", "app"),
        ),
        Persona(
            name="vacation_worker",
            in_clinic_share=0.55,
            pre_clinic=Activity(0.9, 25),
            lunch=Activity(0.7, 20),
            after_clinic=Activity(0.9, 40),
            evening=Activity(0.5, 40),
            admin=Activity(0.7, 40),
            weekend=Activity(0.35, 40),
            vacation=Activity(0.9, 70),
            inbox_per_week=240,
            vacation_weeks=(2, 2),
            pto_self_share=0.4,
            fte=(0.8, 1.0, 0.8),
            roles=("app", "physician", "physician"),
        ),
        Persona(
            name="no_vacation",
            in_clinic_share=0.55,
            pre_clinic=Activity(0.9, 25),
            lunch=Activity(0.7, 20),
            after_clinic=Activity(0.9, 45),
            evening=Activity(0.5, 45),
            admin=Activity(0.7, 45),
            weekend=Activity(0.35, 40),
            vacation=Activity(0.3, 20),
            inbox_per_week=240,
            vacation_weeks=(1,),
            pto_self_share=0.1,
            fte=(1.0, 1.0, 0.8),
            roles=("physician", "physician", "app"),
        ),
    )
}

#: Persona of the provider at 0-based position ``i`` is ``PATTERN[i % len(PATTERN)]``.
PATTERN: tuple[str, ...] = (
    "typical",
    "balanced",
    "pajama",
    "inbox_heavy",
    "vacation_worker",
    "no_vacation",
    "typical",
    "typical",
)


def persona_of(index: int) -> Persona:
    """The persona of the provider at 0-based position ``index``."""
    return PERSONAS[PATTERN[index % len(PATTERN)]]


def copy_number(index: int) -> int:
    """How many providers before position ``index`` share its persona (0 for the first)."""
    name = PATTERN[index % len(PATTERN)]
    per_cycle = PATTERN.count(name)
    return (index // len(PATTERN)) * per_cycle + PATTERN[: index % len(PATTERN)].count(name)
