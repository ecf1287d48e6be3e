"""The `/api/v1/` routes: authentication here, then each app's own routes."""
from django.urls import include, path

from . import api_views

urlpatterns = [
    path("auth/token/", api_views.obtain_token, name="api-token"),
    path("me/", api_views.me, name="api-me"),
]

urlpatterns += [
    path("", include("beneficiaries.urls")),
    path("", include("stock.urls")),
    path("", include("grocery.counter_urls")),
    path("", include("grocery.jobs_urls")),
]
