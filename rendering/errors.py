"""Every way a render can fail, as one tree of exceptions.

Each class carries the HTTP status it maps to and a stable machine-readable ``type`` slug, so the
server needs exactly one handler for all of them (and a test fails if a subclass is unmapped)::

    RenderError                       500  (never raised itself: a bug)
    ├── TemplateNotFound              404  unknown template name
    ├── InvalidData                   422  data fails the template's JSON Schema  (``errors``)
    │   └── UnsupportedCharacter      422  a character the template's fonts cannot set
    ├── TexError                      422  TeX stopped with an error             (``tex``)
    ├── RenderQueueFull               429  every slot busy and the wait queue full
    ├── QueueTimeout                  503  waited in the queue past its deadline
    ├── EngineUnavailable             503  the TeX engine is missing or cannot start
    └── TexTimeout                    504  typesetting ran past the render timeout

Nothing here knows about HTTP beyond the status number: ``server/`` turns these into
problem+json responses (and adds two request errors of its own to the tree: invalid JSON, 400,
and a body that is not JSON, 415).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class FieldError:
    """One problem with the request data, located by a JSON Pointer (RFC 6901)."""

    pointer: str
    message: str


@dataclass(frozen=True)
class TexDiagnostic:
    """The first error TeX reported: its message, the source line and the text around it."""

    message: str
    line: int | None
    context: str


class RenderError(Exception):
    """Base of every render failure; the status and type say how to report it."""

    status: ClassVar[int] = 500
    type: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"
    retry_after_s: ClassVar[int | None] = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def clone(self) -> RenderError:
        """A fresh copy, for raising the same failure in another task (shared renders)."""
        twin = type(self).__new__(type(self))
        twin.__dict__.update(self.__dict__)
        twin.args = self.args
        return twin


class TemplateNotFound(RenderError):
    status = 404
    type = "template-not-found"
    title = "Unknown template"


class InvalidData(RenderError):
    status = 422
    type = "invalid-data"
    title = "Data does not match the template's schema"

    def __init__(self, detail: str, errors: list[FieldError]) -> None:
        super().__init__(detail)
        self.errors = errors


class UnsupportedCharacter(InvalidData):
    type = "unsupported-character"
    title = "Data contains a character the template cannot typeset"


class TexError(RenderError):
    status = 422
    type = "tex-error"
    title = "The document could not be typeset"

    def __init__(self, detail: str, tex: TexDiagnostic) -> None:
        super().__init__(detail)
        self.tex = tex


class RenderQueueFull(RenderError):
    status = 429
    type = "queue-full"
    title = "Render queue is full"
    retry_after_s = 1


class QueueTimeout(RenderError):
    status = 503
    type = "queue-timeout"
    title = "Waited too long for a render slot"
    retry_after_s = 2


class EngineUnavailable(RenderError):
    status = 503
    type = "engine-unavailable"
    title = "The TeX engine is not available"
    retry_after_s = 30


class TexTimeout(RenderError):
    status = 504
    type = "render-timeout"
    title = "Typesetting took longer than the render timeout"
