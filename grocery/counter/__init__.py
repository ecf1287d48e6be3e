"""The counter: tills, cash sessions, pricing, limits, sales, refunds and receipts."""


def register_extensions() -> None:
    """Plug the counter into the other apps' extension points (called by GroceryConfig.ready)."""
    from beneficiaries import selectors as beneficiary_selectors

    from .selectors import card_lookup_limits

    if card_lookup_limits not in beneficiary_selectors.CARD_LOOKUP_EXTENSIONS:
        beneficiary_selectors.CARD_LOOKUP_EXTENSIONS.append(card_lookup_limits)
