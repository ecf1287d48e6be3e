"""Top-level routes: pages, the API, its schema and docs, the admin and the health check."""
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

admin.site.site_header = "Épicerie — administration"
admin.site.site_title = "Épicerie"


class SchemaView(SpectacularAPIView):
    capability = "public"


class DocsView(SpectacularSwaggerView):
    capability = "public"


urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("grocery.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("frontend.urls")),
]
