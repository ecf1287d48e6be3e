"""API routes of the background jobs: notifications, monthly statements, job runs
(included under /api/v1/)."""
from rest_framework.routers import SimpleRouter

from grocery.notifications.api import NotificationViewSet

router = SimpleRouter(use_regex_path=False)
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = router.urls
