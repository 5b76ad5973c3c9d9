"""hallperf: survey-based research on business-hall (营业厅) marketing staff performance.

The importable package is ``analysis``; the console script is ``hallperf``.
"""

__version__ = "0.1.0"
