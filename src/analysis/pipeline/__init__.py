"""Stage orchestration: with ``cli``, the only code that reads and writes files.

``core`` holds simulate, ingest, score and analyze; ``report`` the report stage; ``waves`` the
comparison of waves. Each stage reads only what the stage before it wrote and writes atomically.
"""

from analysis.pipeline.core import (
    atomic_dir,
    load_processed,
    package_versions,
    run_analyze_instrument,
    run_analyze_study,
    run_export,
    run_ingest,
    run_score,
    run_simulate,
    sha256,
    write_atomic,
    write_json,
    write_results,
)

__all__ = [
    "atomic_dir", "load_processed", "package_versions", "run_analyze_instrument", "run_analyze_study", "run_export",
    "run_ingest", "run_score", "run_simulate", "sha256", "write_atomic", "write_json", "write_results",
]
