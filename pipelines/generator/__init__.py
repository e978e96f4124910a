"""Synthetic EHR audit-log deliveries, calibrated to published figures.

``generate_extract(...)`` builds the five extracts of CONTRACT.md section 1 in memory
(polars frames); ``write_extract(...)`` writes them as one delivery folder. Modules:

- ``clock``: instants and local wall-clock time (DST-safe), US holidays;
- ``personas``: the six work styles and their calibration;
- ``roster``: providers, departments, FTE, clinic templates;
- ``time_off``: vacation blocks, holidays, sick and CME days, the provider-day grid;
- ``schedule``: half-day clinic sessions of appointment slots;
- ``sessions``: EHR work sessions (pre-clinic, in clinic, lunch, after clinic, evening,
  admin, weekend, vacation);
- ``actions``: action names from ``schemas/action_map.csv`` and their mix;
- ``events``: audit events inside sessions (gaps <= 240 s within, > 300 s between);
- ``inbox``: in-basket messages and their completion;
- ``write``: CSV (events gzip-compressed) or Parquet output.
"""

from pipelines.generator.extract import Extract, generate_extract
from pipelines.generator.write import write_extract

__all__ = ["Extract", "generate_extract", "write_extract"]
