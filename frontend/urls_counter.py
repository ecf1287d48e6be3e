"""Pages of the counter area (the till page itself lives beside these)."""

from django.urls import path

from .views import counter

urlpatterns: list = [
    path("caisse/tickets/<uuid:sale_id>/", counter.receipt, name="counter_receipt"),
    path("caisse/tickets/<uuid:sale_id>/texte/", counter.receipt_text, name="counter_receipt_text"),
    path("caisse/sessions/<int:session_id>/rapport-z/", counter.z_report, name="counter_z_report"),
]
