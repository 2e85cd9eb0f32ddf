"""Errors of the service, free of Flask: each knows its status and problem type.

``service.errors`` maps these (and every other exception) to RFC 9457
``application/problem+json`` in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "ApiProblem",
    "BadRequest",
    "DeadlineExceeded",
    "InvalidBody",
    "NotAcceptable",
    "NotFound",
    "Overloaded",
    "PointerError",
    "Unauthorized",
    "UnsupportedMediaType",
    "WorkBudgetExceeded",
]


@dataclass(frozen=True)
class PointerError:
    """One problem at an RFC 6901 pointer into the request body."""

    pointer: str
    detail: str


@dataclass
class ApiProblem(Exception):
    """Base class: a problem with an HTTP status, a type URI and a title."""

    detail: str
    status: int = 400
    type: str = "about:blank"
    title: str = "Bad Request"
    errors: Sequence[PointerError] = field(default_factory=tuple)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.detail


class BadRequest(ApiProblem):
    """Malformed JSON, an unreadable body or a bad query parameter (400)."""

    def __init__(
        self,
        detail: str,
        type_: str = "urn:detainer-cost:problem:malformed-body",
        title: str = "Malformed body",
    ) -> None:
        super().__init__(detail, 400, type_, title)


class NotFound(ApiProblem):
    """A named resource does not exist (404)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, 404, "about:blank", "Not Found")


class NotAcceptable(ApiProblem):
    """No representation the client accepts (406)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, 406, "about:blank", "Not Acceptable")


class UnsupportedMediaType(ApiProblem):
    """The body is not JSON (415)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, 415, "about:blank", "Unsupported Media Type")


class InvalidBody(ApiProblem):
    """The body is JSON but not a valid request (422), with a pointer per problem."""

    def __init__(self, errors: Sequence[PointerError]) -> None:
        first = errors[0]
        where = first.pointer or "the body"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(
            f"{where}: {first.detail}{more}",
            422,
            "urn:detainer-cost:problem:invalid-scenario",
            "Invalid scenario",
            tuple(errors),
        )


class WorkBudgetExceeded(ApiProblem):
    """The request asks for more work than one request may (422)."""

    def __init__(self, pointer: str, detail: str) -> None:
        super().__init__(
            detail,
            422,
            "urn:detainer-cost:problem:work-budget",
            "Work over the budget",
            (PointerError(pointer, detail),),
        )


class DeadlineExceeded(ApiProblem):
    """A run went past the request deadline and was stopped (503)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"the simulation was stopped after the {seconds:g} s request deadline; "
            "ask for fewer trials or a shorter horizon",
            503,
            "urn:detainer-cost:problem:deadline",
            "Deadline exceeded",
        )


class Overloaded(ApiProblem):
    """Too many simulations in flight in this worker (503, Retry-After)."""

    def __init__(self, retry_after: int = 1) -> None:
        super().__init__(
            "the service is busy; retry shortly",
            503,
            "urn:detainer-cost:problem:overloaded",
            "Service busy",
            headers={"Retry-After": str(retry_after)},
        )


class RequestTimeout(ApiProblem):
    """The request body did not arrive within the bound (408; the connection closes)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"the request body did not arrive within {seconds:g} s; send it at once",
            408,
            "urn:detainer-cost:problem:body-timeout",
            "Request body too slow",
        )


class Unauthorized(ApiProblem):
    """Missing or wrong API key (401)."""

    def __init__(self) -> None:
        super().__init__(
            "a valid API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key'",
            401,
            "urn:detainer-cost:problem:unauthorized",
            "Unauthorized",
            headers={"WWW-Authenticate": 'Bearer realm="detainer-cost"'},
        )
