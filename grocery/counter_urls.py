"""API routes of the counter (included under /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from grocery.counter import api

# Path-style routes (int ids, UUIDs for sales): the permission walker can fill them.
router = SimpleRouter(use_regex_path=False)
router.register("tills", api.TillViewSet, basename="till")
router.register("cash-sessions", api.CashSessionViewSet, basename="cash-session")
router.register("sales", api.SaleViewSet, basename="sale")
router.register("refunds", api.RefundViewSet, basename="refund")
router.register("pricing-rules", api.PricingRuleViewSet, basename="pricing-rule")
router.register("limits", api.LimitViewSet, basename="limit")

urlpatterns = [
    path("sites/<int:site_id>/catalogue/", api.CatalogueView.as_view(), name="site-catalogue"),
    *router.urls,
]
