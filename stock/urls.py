"""API routes of stock (included under /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

# Path-style routes with int ids: the permission walker reads them, and "1/barcodes" is never an id.
router = SimpleRouter(use_regex_path=False)
router.register("categories", api.CategoryViewSet, basename="category")
router.register("products", api.ProductViewSet, basename="product")
router.register("locations", api.LocationViewSet, basename="location")
router.register("temperatures", api.TemperatureViewSet, basename="temperature")
router.register("lots", api.LotViewSet, basename="lot")
router.register("movements", api.MovementViewSet, basename="movement")
router.register("donations", api.DonationViewSet, basename="donation")
router.register("attestations", api.AttestationViewSet, basename="attestation")
router.register("purchases", api.PurchaseViewSet, basename="purchase")
router.register("waste", api.WasteViewSet, basename="waste")
router.register("transfers", api.TransferViewSet, basename="transfer")
router.register("stocktakes", api.StocktakeViewSet, basename="stocktake")

urlpatterns = [
    path("stock-levels/", api.StockLevelView.as_view(), name="stock-levels"),
    path("stock-alerts/", api.StockAlertView.as_view(), name="stock-alerts"),
    path("recall/", api.RecallView.as_view(), name="recall"),
    *router.urls,
]
