"""Sign-in throttling: too many failed attempts for a username or an address lock it for a while.

Failures are rows in the database (not a per-process cache), so the limit holds across app
servers and needs no Redis.
"""
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from .errors import DomainError
from .models import FailedLogin


class TooManyAttempts(DomainError):
    status = 429
    default_code = "too_many_attempts"


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR")


def check_login_allowed(username: str, ip: str | None) -> None:
    since = timezone.now() - timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
    recent = FailedLogin.objects.filter(at__gte=since)
    by_user = recent.filter(username__iexact=username or "").count()
    by_ip = recent.filter(ip=ip).count() if ip else 0
    limit = settings.LOGIN_FAILURE_LIMIT
    if by_user >= limit or by_ip >= limit * 4:
        raise TooManyAttempts(
            f"Trop de tentatives de connexion échouées. Réessayez dans "
            f"{settings.LOGIN_FAILURE_WINDOW_MINUTES} minutes."
        )


def clear_failures(username: str) -> None:
    FailedLogin.objects.filter(username__iexact=username).delete()


@receiver(user_login_failed)
def _record_failure(sender, credentials, request=None, **kwargs):
    FailedLogin.objects.create(
        username=(credentials.get("username") or "")[:150], ip=client_ip(request)
    )
