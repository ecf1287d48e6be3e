"""The counter: tills, cash sessions, pricing, limits, sales, refunds and receipts."""


def register_extensions() -> None:
    """Plug the counter into the other apps' extension points (called by GroceryConfig.ready)."""
    from beneficiaries import selectors as beneficiary_selectors
    from stock import selectors as stock_selectors

    from .selectors import card_lookup_limits, recall_extension

    if card_lookup_limits not in beneficiary_selectors.CARD_LOOKUP_EXTENSIONS:
        beneficiary_selectors.CARD_LOOKUP_EXTENSIONS.append(card_lookup_limits)
    # The recall hook arrives with stock's recall feature; until then there is nothing to fill.
    recall_extensions = getattr(stock_selectors, "RECALL_EXTENSIONS", None)
    if recall_extensions is not None and recall_extension not in recall_extensions:
        recall_extensions.append(recall_extension)
