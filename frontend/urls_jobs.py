"""Pages of the background jobs: notifications, monthly statements, job runs."""
from django.urls import path

from .views import jobs

urlpatterns = [
    path("notifications/", jobs.notification_list, name="notification_list"),
    path("notifications/<int:notification_id>/lue/", jobs.notification_read, name="notification_read"),
    path("notifications/tout-lire/", jobs.notification_read_all, name="notification_read_all"),
]

urlpatterns += [
    path("stock/alertes/", jobs.expiry_alerts, name="expiry_alerts"),
    path("stock/alertes/casse/", jobs.expiry_waste_confirm, name="expiry_waste_confirm"),
    path("bilans/", jobs.statement_list, name="statement_list"),
    path("bilans/<int:statement_id>/", jobs.statement_detail, name="statement_detail"),
]
