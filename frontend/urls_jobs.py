"""Pages of the background jobs: notifications, monthly statements, job runs."""
from django.urls import path

from .views import jobs

urlpatterns = [
    path("notifications/", jobs.notification_list, name="notification_list"),
    path("notifications/<int:notification_id>/lue/", jobs.notification_read, name="notification_read"),
    path("notifications/tout-lire/", jobs.notification_read_all, name="notification_read_all"),
]
