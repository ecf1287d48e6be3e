"""API plumbing shared by every app: pagination, the error format, and the API root views."""
import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError

log = logging.getLogger(__name__)


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


def _flatten(detail):
    """DRF error details as plain strings, keeping the field structure."""
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


_GENERIC = {
    exceptions.NotAuthenticated: "Authentification requise.",
    exceptions.AuthenticationFailed: "Identifiants invalides.",
    exceptions.PermissionDenied: "Vous n'avez pas le droit de faire cette action.",
    exceptions.NotFound: "Introuvable.",
    exceptions.MethodNotAllowed: "Méthode non autorisée.",
    exceptions.UnsupportedMediaType: "Format de données non pris en charge.",
    exceptions.ParseError: "Données illisibles (JSON invalide).",
}


def exception_handler(exc, context):
    """Every error the API returns is `{"code", "detail", "fields"}` with a 4xx status."""
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        detail = "; ".join(exc.messages) if not fields else "Données invalides."
        return Response(
            {"code": "invalid", "detail": detail, "fields": fields},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: let Django log it and answer 500
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        if isinstance(fields, list):
            fields = {"non_field_errors": fields}
        response.data = {"code": "invalid", "detail": "Données invalides.", "fields": fields}
    else:
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        detail = next(
            (text for kind, text in _GENERIC.items() if isinstance(exc, kind)), str(exc.detail)
        )
        response.data = {"code": code, "detail": detail, "fields": {}}
    return response
