"""Pages of the stock area."""

from django.urls import path

from .views import core
from .views import stock as views

urlpatterns: list = [
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/nouveau/", views.product_create, name="product_create"),
    path("catalogue/<int:pk>/", views.product_detail, name="product_detail"),
    path("catalogue/<int:pk>/modifier/", views.product_edit, name="product_edit"),
    path("catalogue/<int:pk>/code-interne/", views.product_internal_code, name="product_internal_code"),
    path("etiquettes/", views.labels, name="labels"),
    path("stock/", views.stock_levels, name="stock_levels"),
    path("stock/lots/", views.lot_list, name="lot_list"),
    path("stock/lots/<int:pk>/", views.lot_detail, name="lot_detail"),
    path("stock/alertes/", views.alerts, name="stock_alerts"),
    path("stock/emplacements/", views.locations, name="stock_locations"),
    path("stock/temperatures/", views.temperatures, name="stock_temperatures"),
    path("stock/casse/", views.waste_create, name="waste_create"),
    path("stock/transferts/", views.transfer_create, name="transfer_create"),
    path("stock/achats/", views.purchase_list, name="purchase_list"),
    path("stock/achats/<int:pk>/", views.purchase_detail, name="purchase_detail"),
    path("stock/rappel/", views.recall, name="stock_recall"),
    path("inventaires/", views.stocktake_list, name="stocktake_list"),
    path("inventaires/<int:pk>/", views.stocktake_detail, name="stocktake_detail"),
    path("dons/", views.donation_list, name="donation_list"),
    path("dons/nouveau/", views.donation_create, name="donation_create"),
    path("dons/<int:pk>/", views.donation_detail, name="donation_detail"),
    path("dons/<int:pk>/modifier/", views.donation_edit, name="donation_edit"),
    path("reception/", views.donation_receive_list, name="donation_receive_list"),
    path("reception/<int:pk>/", views.donation_receive, name="donation_receive"),
    path("attestations/", views.attestation_list, name="attestation_list"),
    path("attestations/emettre/", views.attestation_issue, name="attestation_issue"),
    path("attestations/<int:pk>/", views.attestation_detail, name="attestation_detail"),
    path("attestations/<int:pk>/pdf/", views.attestation_pdf, name="attestation_pdf"),
]

if views.alerts_home_block not in core.HOME_BLOCKS:
    core.HOME_BLOCKS.append(views.alerts_home_block)
