import factory
from django.utils import timezone

from grocery.models.jobs import Notification


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    key = factory.Sequence(lambda n: f"test:{n}")
    kind = "test"
    title = factory.Sequence(lambda n: f"Alerte {n}")
    body = "Détail de l'alerte."
    role = "manager"
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyFunction(timezone.now)
