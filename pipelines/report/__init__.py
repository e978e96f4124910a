"""Leader reports: Altair charts of department and specialty aggregates (CONTRACT.md 6).

``build_leader_report`` writes a folder of self-contained HTML charts, their PNGs and an
``index.html``; ``build_provider_page`` writes one clinician's own page (for them and
their direct leader). Both read the published warehouse read-only.

Modules: :mod:`.data` (read-only queries, aggregation and suppression before anything is
charted), :mod:`.thresholds` (cut points and citations to draw), :mod:`.charts` (one
function per chart), :mod:`.export` (HTML with the Vega JavaScript inlined, PNG, file
modes), :mod:`.page` (``index.html``), :mod:`.individual` (one clinician's page),
:mod:`.texts` (how measures are named), :mod:`.build` (the two entry points).
See docs/reports.md.
"""

from __future__ import annotations

from pipelines.report.build import ReportError, build_leader_report, build_provider_page

__all__ = ["ReportError", "build_leader_report", "build_provider_page"]
