"""Catalogue, lots, the movement ledger, donations, purchases, waste and stocktakes."""
