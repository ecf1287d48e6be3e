"""Pages of the till: the till itself and the scanner test page."""
from django.urls import path

from .views import till

urlpatterns = [
    path("caisse/", till.till, name="till"),
    path("caisse/test-scanner/", till.scanner_test, name="till_scanner_test"),
    path("caisse/foyers/", till.household_search, name="till_household_search"),
    path("caisse/sw.js", till.service_worker, name="till_service_worker"),
]
