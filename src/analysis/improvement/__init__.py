"""Branch diagnosis: profiles, item results, priorities, actions and the KPI snapshot of every branch.

A dimension's *importance* is its share of the explained variance of the performance outcome
across all staff (Johnson's relative weights, rescaled to sum to 1); its *gap* in a branch is how
far the branch mean lies below the company benchmark. The top priorities become actions from the
action library (``surveys/actions.yml``); KPIs and the customer survey give actions to every
branch, small ones included (:mod:`analysis.improvement.actions`).

Privacy (minimum reporting size k, :mod:`analysis.disclosure`): a branch with fewer than k staff
respondents (or hidden by complementary suppression) gets no staff survey results at all;
benchmarks are computed only over branches that are shown, so no difference between two shown
figures can reveal a hidden branch. Customer-based figures follow the same rule on the number of
customer respondents.

Modules: ``favourable`` (% favourable), ``profiles`` (branch and district dimension profiles),
``items`` (item-level results and wording), ``actions`` (priorities and actions), ``summary``
(KPI snapshot, summary row, labels).
"""

from analysis.improvement.actions import branch_actions, district_actions, kpi_needs, priorities
from analysis.improvement.items import item_labels, item_results
from analysis.improvement.profiles import dimension_profiles, district_profiles
from analysis.improvement.summary import branch_summary, dimension_labels, kpi_snapshot

__all__ = ["branch_actions", "branch_summary", "district_actions", "dimension_labels", "dimension_profiles", "district_profiles",
           "item_labels", "item_results", "kpi_needs", "kpi_snapshot", "priorities"]
