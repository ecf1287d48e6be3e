"""Models of the grocery app: the shared records (core) and the counter (tills, sales)."""
from .core import AuditEntry, FailedLogin, PartnerOrganisation, Site, User, validate_siret
from .jobs import JobRun, JobSettings, Notification, NotificationRead

__all__ = [
    "AuditEntry", "FailedLogin", "JobRun", "JobSettings", "Notification", "NotificationRead",
    "PartnerOrganisation", "Site", "User", "validate_siret",
]
