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
    "validate_siret",
]
