"""Receipts: what a printed ticket says, as an 80 mm HTML page and as plain text for thermal
printers. Nothing sensitive: no name, no budget; the card number is masked."""

from __future__ import annotations

from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone

from grocery.models import Payment, Sale

WIDTH = 42  # characters per line on an 80 mm thermal printer (font A)
METHODS = dict(Payment.Method.choices)
UNITS = {"piece": "", "kg": " kg", "l": " l"}


def _euros(value) -> str:
    return f"{Decimal(value):.2f}".replace(".", ",") + " €"


def _quantity(value: Decimal, unit: str) -> str:
    value = Decimal(value)
    text = f"{value:.0f}" if unit == "piece" else f"{value:.3f}".replace(".", ",")
    return text + UNITS.get(unit, "")


def receipt_context(sale: Sale, *, duplicata: bool = False) -> dict:
    """Everything a receipt shows, from a sale loaded with `selectors.sales()`."""
    site = sale.site
    response = sale.response or {}
    lines = []
    for line in sale.lines.all():
        lines.append(
            {
                "name": line.name,
                "quantity": _quantity(line.quantity, line.unit),
                "market_price": _euros(line.market_price),
                "market_value": _euros(line.market_value),
                "price_paid": _euros(line.price_paid),
                "free": line.is_free,
                "past_best_before": line.past_best_before,
                "refunded": _quantity(line.refunded_quantity, line.unit) if line.refunded_quantity else "",
            }
        )
    refunds = [
        {"at": timezone.localtime(r.at), "amount": _euros(r.amount), "reason": r.reason}
        for r in sale.refunds.all()
    ]
    card = sale.card_number or ""
    return {
        "sale": sale,
        "duplicata": duplicata,
        "site": site,
        "number": sale.receipt_number,
        "sold_at": timezone.localtime(sale.sold_at),
        "till": sale.session.till.name,
        "cashier": sale.cashier.first_name or sale.cashier.username,
        "card": ("•" * max(0, len(card) - 4)) + card[-4:] if card else "",
        "lines": lines,
        "market_value": _euros(sale.market_value),
        "paid": _euros(sale.paid),
        "savings": _euros(sale.savings),
        "payments": [
            {"method": METHODS.get(p.method, p.method), "amount": _euros(p.amount)}
            for p in sale.payments.all()
        ],
        "change_due": _euros(sale.change_due) if sale.change_due else "",
        "remaining_allowance": _euros(response["remaining_allowance"])
        if response.get("remaining_allowance")
        else "",
        "allowance_basis": "valeur marchande" if sale.allowance_basis == "market" else "montant payé",
        "refunds": refunds,
    }


def render_html(context: dict, request=None) -> str:
    return render_to_string("frontend/counter/receipt.html", context, request=request)


def _pair(left: str, right: str) -> str:
    room = WIDTH - len(right) - 1
    if len(left) > room:
        left = left[: max(0, room - 1)] + "…"
    return left + " " * (WIDTH - len(left) - len(right)) + right


def _centre(text: str) -> str:
    return text[:WIDTH].center(WIDTH).rstrip()


def render_text(context: dict) -> str:
    """The receipt in 42 columns of plain text."""
    site = context["site"]
    out = []
    if context["duplicata"]:
        out += [_centre("*** DUPLICATA ***"), ""]
    out.append(_centre(site.name))
    for part in (site.address, f"{site.postcode} {site.city}".strip(), site.phone):
        if part:
            out += [_centre(line) for line in part.splitlines()]
    out.append("-" * WIDTH)
    out.append(_pair(f"Ticket n° {context['number']}", context["sold_at"].strftime("%d/%m/%Y %H:%M")))
    out.append(_pair(f"Caisse : {context['till']}", f"Carte {context['card']}" if context["card"] else ""))
    out.append("-" * WIDTH)
    for line in context["lines"]:
        out.append(line["name"][:WIDTH])
        detail = f"  {line['quantity']} × {line['market_price']}"
        paid = "offert" if line["free"] else line["price_paid"]
        out.append(_pair(detail + f" = {line['market_value']}", paid))
        if line["past_best_before"]:
            out.append("  DDM dépassée (consommable)")
        if line["refunded"]:
            out.append(f"  remboursé : {line['refunded']}")
    out.append("-" * WIDTH)
    out.append(_pair("Valeur marchande", context["market_value"]))
    out.append(_pair("TOTAL PAYÉ", context["paid"]))
    out.append(_pair("Votre économie", context["savings"]))
    for payment in context["payments"]:
        out.append(_pair(f"  {payment['method']}", payment["amount"]))
    if context["change_due"]:
        out.append(_pair("  Monnaie rendue", context["change_due"]))
    for refund in context["refunds"]:
        out.append(_pair(f"Remboursé le {refund['at']:%d/%m/%Y}", refund["amount"]))
    if context["remaining_allowance"]:
        out.append("-" * WIDTH)
        out.append(_pair("Reste ce mois-ci", context["remaining_allowance"]))
        out.append(f"({context['allowance_basis']})")
    out += ["", _centre("Merci et à bientôt !")]
    if context["duplicata"]:
        out += ["", _centre("*** DUPLICATA ***")]
    return "\n".join(out) + "\n"
