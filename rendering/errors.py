"""Every way a render can fail, as one tree of exceptions.

Each class carries the HTTP status it maps to, a stable machine-readable ``type`` slug and the
render :class:`~rendering.outcome.Outcome` it stands for, so the server needs exactly one
handler for all of them and the outcome of a failure is decided in one place (a test fails if a
subclass lacks any of them)::

    RenderError                       500  error          (never raised itself: a bug)
    ├── TemplateNotFound              404  error          unknown template name
    ├── PageNotFound                  404  error          a page past the last (a PNG page)
    ├── UnsupportedPaper              422  invalid_data   a paper size the template is not made for
    ├── InvalidData                   422  invalid_data   data fails the template's JSON Schema
    │   ├── UnsupportedCharacter      422  invalid_data   characters the fonts cannot set
    │   ├── DataTooLarge              422  invalid_data   more text than a document can hold
    │   └── EmptyDocument             422  invalid_data   nothing the template prints (blank page)
    ├── TexError                      422  tex_error      TeX stopped with an error (``tex``)
    ├── RenderQueueFull               429  rejected       every slot busy, the wait queue full
    │   ├── OwnerQueueFull            429  rejected       this owner's share of the queue full
    │   └── OwnerRateLimited          429  rejected       this owner's renders a minute used up
    ├── QueueTimeout                  503  expired        waited in the queue past its deadline
    ├── EngineUnavailable             503  error          the TeX engine is missing or broken
    ├── TexKilled                     503  killed         a signal from outside (OOM killer)
    └── TexTimeout                    504  timeout        typesetting ran past the render timeout

Nothing here knows about HTTP beyond the status number: ``server/`` turns these into
problem+json responses. Errors in the request itself (a body that is not JSON, a wrong media
type) are the server's own and not part of this tree: no render was attempted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

import trio

from .outcome import Outcome


@dataclass(frozen=True)
class FieldError:
    """One problem with the request data, located by a JSON Pointer (RFC 6901)."""

    pointer: str
    message: str


@dataclass(frozen=True)
class ReadWarning:
    """Something worth telling about the data that did not stop the render (a change reading
    made, a line too wide), located by a JSON Pointer into the data as sent."""

    pointer: str
    message: str


@dataclass(frozen=True)
class TexDiagnostic:
    """The first error TeX reported: its message, the line of the generated source and the
    text around it; and, when it can be traced, the template file and line that made that
    source line and the JSON Pointer of the data value set there."""

    message: str
    line: int | None
    context: str
    template: str | None = None  # "resume-classic/template.tex.j2"
    template_line: int | None = None
    pointer: str | None = None


class RenderError(Exception):
    """Base of every render failure; the status and type say how to report it."""

    status: ClassVar[int] = 500
    type: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"
    outcome: ClassVar[Outcome] = Outcome.ERROR
    retry_after_s: int | None = None  # a class default; an instance may know better
    # What reading the data changed, when the render failed after reading it.
    warnings: tuple[ReadWarning, ...] = ()

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
    outcome = Outcome.ERROR  # never counted: an unknown name is no metric label


class PageNotFound(RenderError):
    status = 404
    type = "page-not-found"
    title = "The document has no such page"
    outcome = Outcome.ERROR  # never counted: the render itself succeeded


class UnsupportedPaper(RenderError):
    status = 422
    type = "unsupported-paper"
    title = "The template is not made for that paper size"
    outcome = Outcome.INVALID_DATA


class InvalidData(RenderError):
    status = 422
    type = "invalid-data"
    title = "Data does not match the template's schema"
    outcome = Outcome.INVALID_DATA

    def __init__(self, detail: str, errors: list[FieldError]) -> None:
        super().__init__(detail)
        self.errors = errors


class UnsupportedCharacter(InvalidData):
    status = 422
    type = "unsupported-character"
    title = "Data contains a character the template cannot typeset"
    outcome = Outcome.INVALID_DATA


class DataTooLarge(InvalidData):
    status = 422
    type = "data-too-large"
    title = "The data is larger than a document can be"
    outcome = Outcome.INVALID_DATA


class EmptyDocument(InvalidData):
    status = 422
    type = "empty-document"
    title = "The data holds nothing the template prints"
    outcome = Outcome.INVALID_DATA


class TexError(RenderError):
    status = 422
    type = "tex-error"
    title = "The document could not be typeset"
    outcome = Outcome.TEX_ERROR

    def __init__(self, detail: str, tex: TexDiagnostic) -> None:
        super().__init__(detail)
        self.tex = tex


class RenderQueueFull(RenderError):
    status = 429
    type = "queue-full"
    title = "Render queue is full"
    outcome = Outcome.REJECTED
    retry_after_s = 1

    def __init__(self, detail: str, retry_after_s: int | None = None) -> None:
        super().__init__(detail)
        if retry_after_s is not None:
            self.retry_after_s = retry_after_s


class OwnerQueueFull(RenderQueueFull):
    status = 429
    type = "owner-queue-full"
    title = "Your share of the render queue is full"
    outcome = Outcome.REJECTED


class OwnerRateLimited(RenderQueueFull):
    status = 429
    type = "owner-rate-limited"
    title = "Your render rate limit is reached"
    outcome = Outcome.REJECTED


class QueueTimeout(RenderError):
    status = 503
    type = "queue-timeout"
    title = "Waited too long for a render slot"
    outcome = Outcome.EXPIRED
    retry_after_s = 2


class EngineUnavailable(RenderError):
    status = 503
    type = "engine-unavailable"
    title = "The TeX engine is not available"
    outcome = Outcome.ERROR
    retry_after_s = 30


class TexKilled(RenderError):
    status = 503
    type = "tex-killed"
    title = "TeX was stopped from outside"
    outcome = Outcome.KILLED
    retry_after_s = 1


class TexTimeout(RenderError):
    status = 504
    type = "render-timeout"
    title = "Typesetting took longer than the render timeout"
    outcome = Outcome.TIMEOUT


def outcome_of(error: BaseException) -> Outcome:
    """The outcome an exception stands for: a render error says its own; a cancellation (or a
    group of nothing but cancellations) is ``cancelled``; anything else is a bug, ``error``."""
    if isinstance(error, RenderError):
        return error.outcome
    if isinstance(error, trio.Cancelled):
        return Outcome.CANCELLED
    if isinstance(error, BaseExceptionGroup) and error.split(trio.Cancelled)[1] is None:
        return Outcome.CANCELLED
    return Outcome.ERROR


# --- How problems are written for people -------------------------------------------------

ELLIPSIS = "\u2026"


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, an ellipsis marking a cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def json_pointer(path: Iterable[object]) -> str:
    """RFC 6901 pointer for a path of keys and indexes."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)
