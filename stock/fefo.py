"""First-expired-first-out: which lots an outgoing quantity of a product comes from.

One function, used by the till (grocery.counter) and by stock's own transfers. A lot past its
use-by date (DLC) is never taken; a lot past its best-before date (DDM) is taken only within the
tolerance of the stock settings, and the allocation says so, so the receipt can mark it.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q

from grocery.errors import Conflict, DomainError

from .models import Lot, StockSettings


@dataclass(frozen=True)
class Allocation:
    lot: Lot
    quantity: Decimal
    past_best_before: bool


def ddm_limit(lot: Lot, settings: StockSettings) -> date | None:
    """The last day a lot may still be distributed under its DDM tolerance."""
    if lot.best_before is None:
        return None
    days = settings.ddm_month_tolerance_days if lot.best_before_month_only else settings.ddm_tolerance_days
    return lot.best_before + timedelta(days=days)


def is_distributable(lot: Lot, on_date: date, settings: StockSettings) -> bool:
    if lot.use_by is not None and lot.use_by < on_date:
        return False
    limit = ddm_limit(lot, settings)
    return limit is None or limit >= on_date


def _fefo_key(lot: Lot):
    expiry = lot.use_by or lot.best_before
    # Lots without any date go last; then the oldest receipt, then the oldest row.
    return (expiry is None, expiry or date.max, lot.received_on, lot.pk)


def distributable_lots(
    *, product_id: int, site_id: int, on_date: date, lock: bool = False, location_id: int | None = None
) -> list[Lot]:
    """The lots of a product at a site that may go out on `on_date`, in FEFO order."""
    settings = StockSettings.get_solo()
    widest = max(settings.ddm_tolerance_days, settings.ddm_month_tolerance_days)
    queryset = Lot.objects.filter(product_id=product_id, site_id=site_id, quantity_on_hand__gt=0).filter(
        Q(use_by__isnull=True) | Q(use_by__gte=on_date),
        Q(best_before__isnull=True) | Q(best_before__gte=on_date - timedelta(days=widest)),
    )
    if location_id is not None:
        queryset = queryset.filter(location_id=location_id)
    if lock:
        # Locked in id order, whatever the FEFO order: two tills never wait on each other in a cycle.
        queryset = queryset.select_for_update(of=("self",)).order_by("pk")
    lots = [lot for lot in queryset if is_distributable(lot, on_date, settings)]
    lots.sort(key=_fefo_key)
    return lots


def allocate(
    *,
    product_id: int,
    site_id: int,
    quantity: Decimal,
    on_date: date,
    lock: bool = True,
    location_id: int | None = None,
) -> list[Allocation]:
    """Split `quantity` of a product over the site's lots, first expired first.

    With `lock` (the default, inside the caller's transaction) the candidate lots are locked
    with `select_for_update` so the quantities read stay true until the movements are written.
    Raises `out_of_stock` (409, `extra={"available": "…"}`) when the site has not enough.
    """
    quantity = Decimal(quantity)
    if quantity <= 0:
        raise DomainError.for_field(
            "quantity", "La quantité doit être supérieure à zéro.", "invalid_quantity"
        )
    lots = distributable_lots(
        product_id=product_id, site_id=site_id, on_date=on_date, lock=lock, location_id=location_id
    )
    available = sum((lot.quantity_on_hand for lot in lots), Decimal("0"))
    if available < quantity:
        raise Conflict(
            f"Stock insuffisant : {available.normalize():f} disponible(s), "
            f"{quantity.normalize():f} demandé(s).",
            "out_of_stock",
            fields={"quantity": ["Stock insuffisant."]},
            extra={"available": str(available)},
        )
    allocations: list[Allocation] = []
    remaining = quantity
    for lot in lots:
        if remaining <= 0:
            break
        taken = min(lot.quantity_on_hand, remaining)
        allocations.append(
            Allocation(
                lot=lot,
                quantity=taken,
                past_best_before=lot.best_before is not None and lot.best_before < on_date,
            )
        )
        remaining -= taken
    return allocations
