"""The error tree: every class says its own status, type, title and outcome, once."""

from __future__ import annotations

import pytest
import trio

from rendering.errors import RenderError, RenderQueueFull, TexTimeout, outcome_of
from rendering.outcome import Outcome
from server.http.problems import RequestError
from tests.conftest import error_classes

EXPECTED = {
    "RenderError",
    "TemplateNotFound",
    "PageNotFound",
    "UnsupportedPaper",
    "InvalidData",
    "UnsupportedCharacter",
    "DataTooLarge",
    "EmptyDocument",
    "TexError",
    "RenderQueueFull",
    "OwnerQueueFull",
    "OwnerRateLimited",
    "TexKilled",
    "QueueTimeout",
    "EngineUnavailable",
    "TexTimeout",
    "RequestError",
    "InvalidJson",
    "InvalidIdempotencyKey",
    "InvalidParameter",
    "NestedTooDeep",
    "PreconditionFailed",
    "AmbiguousLength",
    "UnsupportedMediaType",
    "DocumentTooLarge",
    "Unauthorized",
}


def test_the_tree_is_exactly_what_the_docstring_draws() -> None:
    names = sorted(cls.__name__ for cls in error_classes())
    assert names == sorted(EXPECTED)  # a duplicate name would show twice here


def test_every_class_declares_its_own_status_type_and_title() -> None:
    for cls in error_classes():
        if cls in (RenderError, RequestError):
            continue
        assert {"status", "type", "title"} <= vars(cls).keys(), cls
        assert 400 <= cls.status <= 599, cls
        assert cls.type == cls.type.strip().lower(), cls


def test_every_render_error_declares_its_own_outcome() -> None:
    for cls in error_classes():
        if issubclass(cls, RenderError):
            assert "outcome" in vars(cls), cls
            assert isinstance(cls.outcome, Outcome)
        else:
            assert not hasattr(cls, "outcome"), f"{cls} is a request error: no render ran"


def test_types_are_unique() -> None:
    types = [cls.type for cls in error_classes()]
    assert len(types) == len(set(types)), types


def test_outcome_of_a_render_error_is_its_own() -> None:
    assert outcome_of(TexTimeout("slow")) is Outcome.TIMEOUT
    assert outcome_of(RenderQueueFull("full")) is Outcome.REJECTED


def test_outcome_of_a_bug_is_error() -> None:
    assert outcome_of(ValueError("bug")) is Outcome.ERROR
    assert outcome_of(ExceptionGroup("g", [ValueError("bug")])) is Outcome.ERROR


async def test_outcome_of_a_cancellation() -> None:
    caught: list[BaseException] = []
    with trio.CancelScope() as scope:
        scope.cancel()
        try:
            await trio.sleep(1)
        except trio.Cancelled as exc:
            caught.append(exc)
            raise
    (cancelled,) = caught
    assert outcome_of(cancelled) is Outcome.CANCELLED
    assert outcome_of(BaseExceptionGroup("g", [cancelled])) is Outcome.CANCELLED
    assert outcome_of(BaseExceptionGroup("g", [cancelled, ValueError()])) is Outcome.ERROR


def test_every_name_of_the_public_face_is_there() -> None:
    """``rendering`` loads its names on first use: each must be found where it is said to be."""
    import rendering

    for name in rendering.__all__:
        assert getattr(rendering, name) is not None, name
    with pytest.raises(AttributeError):
        _ = rendering.no_such_name
