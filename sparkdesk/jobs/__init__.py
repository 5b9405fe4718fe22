"""Saved export jobs (jobs.md): a TOML file names the dumps, the exports and a range
relative to the day it runs; ``run_job`` runs it and leaves a receipt. No Qt here.

The window's "Save as job…" and Jobs dialog, and ``sparkdesk run`` / ``schedule``, are
thin layers over these functions.
"""

from sparkdesk.jobs.model import (
    FORMATS,
    Job,
    JobFileError,
    JobOptions,
    check_job,
    job_to_toml,
    load_job,
    save_job,
    user_jobs_dir,
)
from sparkdesk.jobs.ranges import NAMED_RANGES, WEEKDAYS, resolve_range
from sparkdesk.jobs.run import Output, Receipt, dump_paths, last_receipt, run_job, state_path

__all__ = [
    "FORMATS",
    "NAMED_RANGES",
    "WEEKDAYS",
    "Job",
    "JobFileError",
    "JobOptions",
    "Output",
    "Receipt",
    "check_job",
    "dump_paths",
    "job_to_toml",
    "last_receipt",
    "load_job",
    "resolve_range",
    "run_job",
    "save_job",
    "state_path",
    "user_jobs_dir",
]
