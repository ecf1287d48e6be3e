"""Celery tasks of stock: thin wrappers over selectors, meant for a nightly beat schedule."""

import logging

from celery import shared_task

from .selectors import ledger_differences

log = logging.getLogger(__name__)


@shared_task(name="stock.check_ledger")
def check_ledger() -> int:
    """Compare every lot with its movements; log an error per difference. Returns how many."""
    differences = ledger_differences()
    for row in differences:
        log.error(
            "Stock ledger difference on lot %s: cached %s, ledger %s",
            row["lot"],
            row["cached"],
            row["ledger"],
        )
    return len(differences)
