"""Cash counts: euro denominations counted in a drawer, validated and added up."""

from decimal import Decimal, InvalidOperation

from grocery.errors import DomainError
from grocery.models import DENOMINATIONS


def parse_count(count, *, field: str) -> tuple[dict[str, int], Decimal]:
    """`{"20.00": 1, "0.5": 4}` → a normalised count (keys with two decimals) and its total."""
    if count is None:
        count = {}
    if not isinstance(count, dict):
        raise DomainError.for_field(field, "Le comptage doit lister les billets et pièces.", "invalid_count")
    normalised: dict[str, int] = {}
    total = Decimal("0")
    for key, number in count.items():
        try:
            denomination = f"{Decimal(str(key)):.2f}"
        except (InvalidOperation, ValueError):
            denomination = ""
        if denomination not in DENOMINATIONS:
            raise DomainError.for_field(
                field, f"« {key} » n'est pas un billet ou une pièce en euros.", "invalid_denomination"
            )
        if isinstance(number, bool) or not isinstance(number, int | str):
            raise DomainError.for_field(field, f"Nombre invalide pour {denomination} €.", "invalid_count")
        try:
            number = int(number)
        except ValueError:
            raise DomainError.for_field(field, f"Nombre invalide pour {denomination} €.", "invalid_count")
        if number < 0:
            raise DomainError.for_field(field, f"Nombre négatif pour {denomination} €.", "invalid_count")
        if number:
            normalised[denomination] = normalised.get(denomination, 0) + number
            total += Decimal(denomination) * number
    return dict(sorted(normalised.items(), key=lambda item: -Decimal(item[0]))), total
