"""Repeated waves: what changed in the instrument, whether scales stay comparable, and trends.

Pure statistics: frames and :class:`~analysis.instrument.Instrument` objects in, tidy frames out.
The file-touching part is :mod:`analysis.pipeline.waves`.

A trend is only shown where it can mean something:

1. items whose wording (zh or en), response scale, reverse keying or scale changed between
   instrument versions, and items added or removed, are left out of trends
   (:func:`instrument_changes`, :func:`trend_items`); scale scores for trends are means of the
   unchanged common items (:func:`trend_instrument`);
2. a scale is *comparable* across waves when scalar invariance of its one-factor model holds by
   Chen's (2007) rule (:func:`wave_invariance`); a non-comparable scale gets means but no change
   and no test;
3. a unit (the company, a district, a branch) with fewer than ``k`` respondents in either wave
   gets no row (:func:`compare_waves`, :func:`branch_trends`).

The same functions serve every survey compared across waves: the study's respondents (staff)
and its ratings instrument (customers). The test of change is Welch's t on the two waves'
respondents. Staff answer in both waves, so the samples overlap; see :func:`compare_waves` for
why Welch's test stays valid (conservative) then. Customers are new in each wave (independent
samples), the case Welch's test was made for.

KPIs are records of every branch, not samples: :func:`kpi_trends` gives their change between
waves without a test, and nothing where either wave withheld or lacked a value.
:func:`combine_branch_trends` stacks staff, customer and KPI trends into the one
``branch_trends`` table the branch reports read, with a ``source`` column.


Modules: ``changes`` (instrument versions), ``invariance`` (comparability of each scale),
``means`` (changes of means and their tests), ``kpi_trends`` (KPI records and ``branch_trends``).
"""

from analysis.waves.changes import instrument_changes, trend_instrument, trend_items
from analysis.waves.invariance import comparability, wave_invariance
from analysis.waves.kpi_trends import TREND_SOURCES, combine_branch_trends, kpi_trends, period_dependent_kpis
from analysis.waves.means import LEVELS, branch_trends, compare_waves, holm

__all__ = [
    "instrument_changes", "trend_items", "trend_instrument", "wave_invariance", "comparability",
    "holm", "compare_waves", "branch_trends", "kpi_trends", "period_dependent_kpis", "combine_branch_trends",
    "LEVELS", "TREND_SOURCES",
]
