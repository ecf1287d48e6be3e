"""Plain HTTP views of the wiring: the health check."""
import time

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

import grocery
from grocery.permissions import requires


def _database_status() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - the health check reports any failure
        return {"status": "error", "error": type(exc).__name__}
    return {
        "status": "ok",
        "vendor": connection.vendor,
        "ms": round((time.perf_counter() - started) * 1000, 2),
    }


def _broker_status() -> dict:
    from django.conf import settings

    if not settings.REDIS_URL:
        return {"status": "ok", "mode": "eager"}
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
        client.ping()
    except Exception as exc:  # noqa: BLE001
        return {"status": "error", "mode": "redis", "error": type(exc).__name__}
    return {"status": "ok", "mode": "redis"}


@never_cache
@require_GET
@requires("public")
def healthz(request):
    """Database and broker status. 200 when the database answers; the broker is reported only,
    because the till keeps selling without it."""
    database = _database_status()
    broker = _broker_status()
    healthy = database["status"] == "ok"
    body = {
        "status": "ok" if healthy and broker["status"] == "ok" else ("degraded" if healthy else "error"),
        "version": grocery.__version__,
        "database": database,
        "broker": broker,
    }
    return JsonResponse(body, status=200 if healthy else 503)
