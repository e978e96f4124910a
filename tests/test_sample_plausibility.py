"""The measures on sample_logs/ fall in plausible published ranges.

Ranges and their sources (also in README, "Plausibility of the sample"):
- PSH40, provider-months of physicians and APPs: median between 25 and 40 hours; the
  national median is 33.2 h (Sinsky, Rotenstein, Holmgren, Apathy, JAMIA 2024).
- EHR minutes on clinic days, FTE-1 physicians: median between 240 and 420 minutes;
  Arndt et al. 2017 (Ann Fam Med) measured 5.9 hours (354 min) of EHR time a workday.
- EHR time per 8 hours of scheduled patient time (Sinsky et al. 2020): median between 4
  and 9 hours, a broad band around Arndt et al. 2017's 5.9 hours of EHR time a workday.
- Inbox messages per week: median between 150 and 350 (the generator's calibration,
  within the range NAM 2020 cites: fewer than 150 to more than 300 a week).
- WOW per clinic day: median between 30 and 180 minutes (most clinicians lie between the
  cited low and high cut points, NAM 2020 after Adler-Milstein et al. 2020).
"""

from __future__ import annotations

from pathlib import Path

import duckdb


def _median(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    return con.sql(sql).fetchall()[0][0]


def test_sample_measures_fall_in_published_ranges(sample_warehouse: Path) -> None:
    con = duckdb.connect(str(sample_warehouse), read_only=True)
    try:
        clinical = ("SELECT pp.* FROM marts.provider_period pp JOIN core.providers p "
                    "USING (provider_id) WHERE pp.complete AND p.role IN ('physician', 'app')")
        psh40 = _median(con, f"SELECT median(psh40) FROM ({clinical})")
        time8 = _median(con, f"SELECT median(ehr_time8) FROM ({clinical})")
        inbox = _median(con, f"SELECT median(inbox_messages_per_week) FROM ({clinical})")
        wow = _median(con, f"SELECT median(wow_minutes_per_clinic_day) FROM ({clinical})")
        ehr_day = _median(con, (
            "SELECT median(d.ehr_minutes) FROM marts.provider_day d JOIN core.providers p "
            "USING (provider_id) WHERE p.role = 'physician' AND p.clinical_fte = 1 "
            "AND NOT d.unscheduled_day"))
    finally:
        con.close()
    assert 25 <= psh40 <= 40, psh40
    assert 4 <= time8 <= 9, time8
    assert 150 <= inbox <= 350, inbox
    assert 30 <= wow <= 180, wow
    assert 240 <= ehr_day <= 420, ehr_day
