from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroceryConfig(AppConfig):
    name = "grocery"
    verbose_name = _("Épicerie")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import auth  # noqa: F401 - connects the failed-login signal
        from .counter import register_extensions

        register_extensions()
