"""Models of the grocery app: the shared records (core) and the counter (tills, sales)."""
from .core import AuditEntry, FailedLogin, PartnerOrganisation, Site, User, validate_siret
from .counter import (
    DENOMINATIONS,
    CashSession,
    CounterSettings,
    Limit,
    Payment,
    PricingRule,
    ReceiptSequence,
    Refund,
    RefundLine,
    Sale,
    SaleLine,
    SaleLineLot,
    Till,
)
from .jobs import JobRun, JobSettings, Notification, NotificationRead
from .statements import MonthClosing, MonthlyStatement, StatementCorrection

__all__ = [
    "DENOMINATIONS",
    "AuditEntry",
    "CashSession",
    "CounterSettings",
    "FailedLogin",
    "Limit",
    "Payment",
    "PricingRule",
    "Refund",
    "RefundLine",
    "Sale",
    "SaleLine",
    "SaleLineLot",
    "PartnerOrganisation",
    "ReceiptSequence",
    "Site",
    "Till",
    "User",
    "JobRun",
    "JobSettings",
    "MonthClosing",
    "MonthlyStatement",
    "Notification",
    "NotificationRead",
    "StatementCorrection",
    "validate_siret",
]
