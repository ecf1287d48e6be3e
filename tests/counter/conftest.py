import uuid

import pytest

from tests.factories.counter import make_shop


@pytest.fixture
def shop(site, volunteer):
    return make_shop(site=site, volunteer=volunteer)


@pytest.fixture
def sale_body(shop):
    """`sale_body(lines=..., payments=...)`: a valid request body for POST /api/v1/sales/."""

    def make(lines=None, payments=None, **extra):
        body = {
            "id": str(uuid.uuid4()),
            "session": shop.session.pk,
            "card": shop.card.number,
            "lines": lines if lines is not None else [shop.line(0, 2), shop.line(1, 1)],
            "payments": payments if payments is not None else [{"method": "cash", "amount": "5.00"}],
        }
        body.update(extra)
        return body

    return make
