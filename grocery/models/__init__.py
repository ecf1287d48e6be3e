"""Models of the grocery app: the shared records (core) and the counter (tills, sales)."""
from .core import AuditEntry, FailedLogin, PartnerOrganisation, Site, User, validate_siret

__all__ = ["AuditEntry", "FailedLogin", "PartnerOrganisation", "Site", "User", "validate_siret"]
