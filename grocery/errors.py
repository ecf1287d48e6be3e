"""Domain errors: a stable machine code beside a French message, raised by services.

The API turns them into `{"code", "detail", "fields"}` JSON with their HTTP status (see
`grocery.api.exception_handler`); pages show the message. Tests assert the code, not the words.
"""
from typing import Any


class DomainError(Exception):
    """A refusal a person can understand and act on. Never a 500."""

    status = 400
    default_code = "invalid"

    def __init__(
        self,
        message: str,
        code: str | None = None,
        *,
        fields: dict[str, Any] | None = None,
        status: int | None = None,
        extra: dict[str, Any] | None = None,
    ):
        super().__init__(str(message))
        self.message = str(message)
        self.code = code or self.default_code
        self.fields = fields or {}
        self.extra = extra or {}
        if status is not None:
            self.status = status

    @classmethod
    def for_field(cls, field: str, message: str, code: str | None = None, **kwargs):
        """The error names the field it is about, as forms and the API expect."""
        return cls(message, code, fields={field: [str(message)]}, **kwargs)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.message, "fields": self.fields, **self.extra}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class Conflict(DomainError):
    """The request cannot apply to the current state (impossible transition, reused id)."""

    status = 409
    default_code = "conflict"


class NotFound(DomainError):
    status = 404
    default_code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    default_code = "permission_denied"
