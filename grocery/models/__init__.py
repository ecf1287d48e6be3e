"""Models of the grocery app: the shared records (core) and the counter (tills, sales)."""
from .core import AuditEntry, FailedLogin, PartnerOrganisation, Site, User, validate_siret
from .jobs import JobRun, JobSettings, Notification, NotificationRead
from .statements import MonthClosing, MonthlyStatement, StatementCorrection

__all__ = [
    "AuditEntry", "FailedLogin", "JobRun", "JobSettings", "MonthClosing", "MonthlyStatement",
    "Notification", "NotificationRead", "PartnerOrganisation", "Site", "StatementCorrection", "User",
    "validate_siret",
]
