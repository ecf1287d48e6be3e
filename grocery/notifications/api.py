"""Notifications API: the list addressed to the signed-in person, and marking them read."""
import django_filters
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from grocery.models.jobs import Notification

from . import selectors, services


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)
    site = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "level", "title", "body", "link", "site", "data", "created_at",
                  "updated_at", "is_read"]
        read_only_fields = fields

    def get_site(self, obj) -> dict | None:
        return {"id": obj.site_id, "name": obj.site.name} if obj.site_id else None


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(method="filter_unread", label="non lues")
    kind = django_filters.CharFilter()
    level = django_filters.ChoiceFilter(choices=Notification.Level.choices)

    class Meta:
        model = Notification
        fields = ["kind", "level", "site"]

    def filter_unread(self, queryset, name, value):
        return queryset.filter(is_read=not value) if value is not None else queryset


class MarkedReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Notifications addressed to me (by name or by role), newest first, with my read state."""

    capability = "notifications.view"
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    ordering_fields = ["updated_at", "created_at", "level"]

    def get_queryset(self):
        return selectors.notifications_with_read_state(self.request.user)

    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark this notification read for me."""
        notification = services.notification_mark_read(user=request.user, notification_id=pk)
        notification = self.get_queryset().get(pk=notification.pk)
        return Response(NotificationSerializer(notification).data)

    @action(detail=False, methods=["post"], url_path="read-all", serializer_class=MarkedReadSerializer)
    def read_all(self, request):
        """Mark every notification addressed to me read."""
        return Response({"marked": services.notifications_mark_all_read(user=request.user)})
