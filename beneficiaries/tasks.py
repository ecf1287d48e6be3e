"""Periodic jobs of beneficiaries, thin wrappers over the services (schedule them with Celery
beat: `expire_entitlements` nightly, `anonymise_households` monthly)."""
from celery import shared_task

from . import services


@shared_task
def expire_entitlements() -> int:
    """Mark as expired the entitlements whose last day has passed."""
    return services.entitlements_expire()


@shared_task
def anonymise_households() -> int:
    """Anonymise the households past the retention period (BeneficiarySettings)."""
    return services.households_anonymise_due()
