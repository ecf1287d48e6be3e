"""Celery tasks of the grocery: thin wrappers over the services of grocery.jobs."""
from grocery.jobs import housekeeping
from grocery.jobs.runs import job


@job("grocery.prune_job_history")
def prune_job_history(*, run):
    """Weekly: drop old run logs and stale notifications."""
    run.counts.update(housekeeping.job_history_prune())
