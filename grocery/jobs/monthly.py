"""The monthly reconciliation: each household's month closed into a statement.

For every household with an entitlement in the month, the close computes from the sales (the
truth) what the household paid, the market value it received, its savings, its visits and its
use of per-product limits; against its allowance (and what was carried in) the overrun, and the
carry-over to next month when that setting is on. It then lists overruns and households that
never came ("non-recours") for CCAS staff.

Set-based: a fixed number of aggregate queries and bulk writes whatever the number of
households. Idempotent: a rerun with nothing new changes nothing. A rerun after late sales
(offline replays that arrived after the close) updates the statements they touch, bumps their
revision and keeps a StatementCorrection with the figures before and after. The whole close is
one transaction under a per-month lock: an interrupted close leaves nothing behind, and the
next run does it all again.
"""
from __future__ import annotations

import calendar
import datetime
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from grocery.models.jobs import JobSettings
from grocery.models.statements import MonthClosing, MonthlyStatement, StatementCorrection
from grocery.notifications.services import NotificationDraft, notifications_publish, notifications_withdraw
from grocery.permissions import Role

from . import sources
from .locks import try_job_lock
from .runs import JobLocked, RunRecorder

log = logging.getLogger("grocery.jobs")
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
BATCH = 2000


def parse_month(value: str | datetime.date) -> datetime.date:
    """'2026-10' (or any date in the month) → 2026-10-01; ValueError with a French message."""
    if isinstance(value, datetime.date):
        return value.replace(day=1)
    try:
        return datetime.datetime.strptime(value.strip(), "%Y-%m").date()
    except (ValueError, AttributeError):
        raise ValueError(f"Mois invalide : {value!r} (format attendu AAAA-MM, ex. 2026-10).") from None


def month_bounds(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    """First and last day of the month."""
    last = calendar.monthrange(month.year, month.month)[1]
    return month, month.replace(day=last)


def next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def previous_month(today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


@dataclass
class CloseResult:
    month: datetime.date
    households: int = 0
    created: int = 0
    corrected: int = 0
    unchanged: int = 0
    overruns: int = 0
    no_visit: int = 0
    carried_over: int = 0
    allowance_mismatches: int = 0
    corrections: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        return {
            "month": self.month.strftime("%Y-%m"), "households": self.households,
            "created": self.created, "corrected": self.corrected, "unchanged": self.unchanged,
            "overruns": self.overruns, "no_visit": self.no_visit, "carried_over": self.carried_over,
            "allowance_mismatches": self.allowance_mismatches,
        }


def _money(value) -> Decimal:
    return (Decimal(value or 0)).quantize(CENT)


def compute_statements(month: datetime.date) -> tuple[dict[int, dict[str, Any]], list[int]]:
    """The figures of every household's statement for `month`, keyed by household id, and the
    households whose allowance row (the running total the till keeps) disagrees with their
    sales: a reconciliation finding, logged and counted (the sales are the truth).

    A constant number of queries: entitlements overlapping the month, the allowance months,
    the sales totals, the refunds and the limit usage, each one aggregate query.
    """
    start, end = month_bounds(month)
    entitlements = sources.entitlements_in_month(start, end)
    allowance_months = sources.allowance_months(month)
    sales = sources.sales_by_household(start, end)
    limits = sources.limit_usage_by_household(start, end)
    carry = sources.carry_over_setting()
    # What the previous close carried into this month, for households that never came (no
    # allowance row was made to hold it).
    carried_from_previous = dict(
        MonthlyStatement.objects.filter(month=previous_month(month + datetime.timedelta(days=1)))
        .values_list("household_id", "carry_over")
    )

    figures: dict[int, dict[str, Any]] = {}
    mismatches: list[int] = []
    for household_id in entitlements.keys() | allowance_months.keys():
        entitlement = entitlements.get(household_id)
        allowance_month = allowance_months.get(household_id)
        if entitlement is None and allowance_month is None:
            continue
        basis = (entitlement or {}).get("allowance_basis") or (allowance_month or {}).get("basis") or "paid"
        if allowance_month is not None:
            allowance = _money(allowance_month["allowance"])
            carried_in = _money(allowance_month["carried_over"])
        else:
            allowance = _money(entitlement["monthly_allowance"])
            carried_in = _money(carried_from_previous.get(household_id)) if carry.enabled else ZERO
        totals = sales.get(household_id) or sources.SalesTotals()
        paid, market = _money(totals.paid), _money(totals.market_value)
        if allowance_month is not None and (
            (allowance_month["spent_paid"], allowance_month["spent_market"], allowance_month["visits"])
            != (paid, market, totals.visits)
        ):
            mismatches.append(household_id)
        spent = paid if basis == "paid" else market
        available = allowance + carried_in
        carry_over = ZERO
        if carry.enabled:
            carry_over = max(available - spent, ZERO)
            if carry.cap is not None:
                carry_over = min(carry_over, _money(carry.cap))
        figures[household_id] = {
            "entitlement_id": (entitlement or {}).get("id") or (allowance_month or {}).get("entitlement_id"),
            "allowance_basis": basis,
            "allowance": allowance,
            "carried_in": carried_in,
            "amount_paid": paid,
            "market_value": market,
            "savings": _money(totals.savings if totals.savings is not None else market - paid),
            "spent": spent,
            "overrun": max(spent - available, ZERO),
            "carry_over": carry_over,
            "visits": totals.visits,
            "last_visit_at": totals.last_visit_at,
            "no_visit": totals.visits == 0,
            "limit_usage": limits.get(household_id, []),
        }
    return figures, mismatches


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def _same(current: Any, new: Any) -> bool:
    if isinstance(new, Decimal) and current is not None:
        return Decimal(current) == new
    return current == new


def lock_key(month: datetime.date) -> str:
    return f"close_month:{month:%Y-%m}"


@transaction.atomic
def month_close(*, month: datetime.date, run: RunRecorder | None = None) -> CloseResult:
    """Close (or re-close) `month`: write its statements, corrections, carry-over and alerts."""
    month = parse_month(month)
    key = lock_key(month)
    if not try_job_lock(key):
        raise JobLocked(f"La clôture de {month:%m/%Y} est déjà en cours sur un autre worker.")
    if run is not None:
        run.claim_lock(key)
    now = timezone.now()
    job_run = run.run if run is not None else None
    result = CloseResult(month=month)

    figures, mismatches = compute_statements(month)
    if mismatches:
        log.warning("close_month %s: %d allowance row(s) disagree with the sales: households %s",
                    month.strftime("%Y-%m"), len(mismatches), mismatches[:20])
    existing = {s.household_id: s for s in MonthlyStatement.objects.filter(month=month)}
    to_create, to_update, corrections = [], [], []
    for household_id, values in figures.items():
        statement = existing.get(household_id)
        if statement is None:
            to_create.append(MonthlyStatement(household_id=household_id, month=month, closed_at=now,
                                              updated_at=now, **values))
            continue
        changes = {
            name: [_jsonable(getattr(statement, name)), _jsonable(value)]
            for name, value in values.items()
            if not _same(getattr(statement, name), value)
        }
        if not changes:
            result.unchanged += 1
            continue
        for name, value in values.items():
            setattr(statement, name, value)
        statement.revision += 1
        statement.updated_at = now
        to_update.append(statement)
        corrections.append((statement, changes))

    MonthlyStatement.objects.bulk_create(to_create, batch_size=BATCH)
    if to_update:
        MonthlyStatement.objects.bulk_update(
            to_update, [*MonthlyStatement.FIGURES, "revision", "updated_at"], batch_size=BATCH
        )
        StatementCorrection.objects.bulk_create(
            [StatementCorrection(statement=s, revision=s.revision, at=now, changes=c, job_run=job_run)
             for s, c in corrections],
            batch_size=BATCH,
        )
    result.households = len(figures)
    result.allowance_mismatches = len(mismatches)
    result.created, result.corrected = len(to_create), len(to_update)
    result.overruns = sum(1 for v in figures.values() if v["overrun"] > 0)
    result.no_visit = sum(1 for v in figures.values() if v["no_visit"])

    carry = {hid: v["carry_over"] for hid, v in figures.items()}
    result.carried_over = sources.carry_over_apply(next_month(month), carry)

    closing = MonthClosing.objects.select_for_update().filter(month=month).first()
    if closing is None:
        MonthClosing.objects.create(month=month, first_closed_at=now, last_closed_at=now,
                                    households=result.households, corrections=result.corrected,
                                    job_run=job_run)
    else:
        closing.last_closed_at = now
        closing.runs += 1
        closing.households = result.households
        closing.corrections += result.corrected
        closing.job_run = job_run
        closing.save()

    _publish_alerts(month, figures, result, job_run)
    if run is not None:
        run.counts.update(result.counts())
    return result


def _publish_alerts(month, figures, result: CloseResult, job_run) -> None:
    """One notification per list (overruns, non-take-up, corrections) for CCAS staff and
    managers; a rerun updates them."""
    link = reverse("statement_list")
    label = month.strftime("%m/%Y")
    drafts, withdrawn = [], []

    def add(kind, level, title, count, query, data=None):
        for role in (Role.CCAS_STAFF, Role.MANAGER):
            key = f"close_month:{month:%Y-%m}:{kind}:{role.value}"
            if not count:
                withdrawn.append(key)
                continue
            drafts.append(NotificationDraft(
                key=key, kind=f"statements.{kind}", title=title, level=level,
                link=f"{link}?mois={month:%Y-%m}&{query}", role=role, data=data or {},
                body="Voir la liste des bilans mensuels pour le détail foyer par foyer.",
            ))

    add("overrun", "warning", f"{result.overruns} foyer(s) en dépassement en {label}", result.overruns,
        "liste=depassements")
    add("no_visit", "info", f"{result.no_visit} foyer(s) sans aucun passage en {label} (non-recours)",
        result.no_visit, "liste=non-recours")
    if result.corrected:
        # Corrections are news when they happen; a quiet rerun leaves the last notice alone.
        add("corrected", "info",
            f"{result.corrected} bilan(s) de {label} corrigé(s) par des ventes arrivées après la clôture",
            result.corrected, "liste=corriges")
    notifications_publish(drafts=drafts, job_run=job_run)
    notifications_withdraw(keys=withdrawn)


def months_to_reconcile(today: datetime.date | None = None) -> list[datetime.date]:
    """The months the nightly run re-closes, oldest first: the last `reconcile_months` closed
    months, plus last month if its close never ran."""
    depth = JobSettings.get_solo().reconcile_months
    last_month = previous_month(today)
    closed = MonthClosing.objects.filter(month__lte=last_month).order_by("-month")
    months = list(closed.values_list("month", flat=True)[:depth])
    if last_month not in months:
        months.append(last_month)
    return sorted(set(months))
