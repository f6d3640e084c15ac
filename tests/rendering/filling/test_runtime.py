"""Jinja's hot paths made cheaper (``rendering/filling/_runtime.py``) answer as Jinja does:
each case below is filled by texrender's environment and by Jinja's own, and must agree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest

from rendering.filling import make_environment


def _plain_environment() -> jinja2.Environment:
    """Jinja's own environment with texrender's delimiters, filters and names."""
    fast = make_environment(Path("/nonexistent"))
    delimiters = {
        name: getattr(fast, name)
        for name in (
            "block_start_string",
            "block_end_string",
            "variable_start_string",
            "variable_end_string",
            "comment_start_string",
            "comment_end_string",
        )
    }
    plain = jinja2.Environment(
        **delimiters,
        undefined=jinja2.StrictUndefined,
        finalize=fast.finalize,
        autoescape=False,  # LaTeX escaping is done by `finalize`, as texrender's
    )
    plain.filters.update(fast.filters)
    plain.globals.update(fast.globals)
    return plain


def _both(source: str, **names: Any) -> tuple[str, str]:
    fast = make_environment(Path("/nonexistent")).from_string(source)
    plain = _plain_environment().from_string(source)
    return fast.render(**names), plain.render(**names)


@jinja2.pass_context
def _with_context(context: jinja2.runtime.Context, value: object) -> str:
    return f"{context['marker']}:{value}"


@jinja2.pass_context
def _sees(context: jinja2.runtime.Context, name: str) -> str:
    return f"{name}={context.get(name)}"


def _stops(value: object) -> object:
    raise StopIteration


class _Callable:
    def __call__(self, value: object) -> str:
        return f"called {value}"


class _Members(dict[str, Any]):
    label = "an attribute"


@pytest.mark.parametrize(
    ("source", "names"),
    [
        # A member of a dict, and a dict's own methods, even where a member has their name.
        ("((( e.name )))|((( e.get('name') )))", {"e": {"name": "a_b"}}),
        ("((( e.get('x', 'none') )))|((( e.items() | list | length )))", {"e": {"get": 1}}),
        ("((( e.keys | string | truncate(10) )))", {"e": {"keys": "mine"}}),
        # A dict of another class: its attributes first, as Jinja reads them.
        ("((( e.label )))|((( e.other )))", {"e": _Members(label="a member", other="o")}),
        # Calls: plain, builtin, bound, with keywords, marked for the context, callable objects.
        ("((( filled(x) )))|((( x.strip() )))|((( f(x) )))", {"x": " y ", "f": str.upper}),
        (
            "((( ', '.join(items) )))|((( d.get(k, default='-') if false else 1 )))",
            {"items": ["a", "b"], "d": {}, "k": "k"},
        ),
        ("((( f(1) )))", {"f": _with_context, "marker": "m"}),
        ("((( f(1) )))", {"f": _Callable()}),
        ("((( (f(1) is defined) | string )))", {"f": _stops}),
        # A template's macros, and calls in a loop that sets a variable (Jinja passes the
        # loop's variables along, for a function that is given the context).
        ("((* macro m(x, y=0) *))[((( x ~ y )))]((* endmacro *))((( m(1) )))((( m(2, y=3) )))", {}),
        (
            "((* for i in items *))((* set j = i ~ '!' *))((( f(j) )))((( g('j') )))"
            "((( e.get('k', j) )))((* endfor *))",
            {"items": [1, 2], "f": str, "g": _sees, "e": {}},
        ),
        # Tests: mapping or not.
        (
            "((( (a is mapping) ~ (b is mapping) ~ (c is mapping) )))",
            {"a": {}, "b": _Members(), "c": []},
        ),
    ],
)
def test_answers_as_jinja(source: str, names: dict[str, Any]) -> None:
    fast, plain = _both(source, **names)
    assert fast == plain


@pytest.mark.parametrize("source", ["((( e.missing )))", "((( e.missing.deeper )))"])
def test_a_missing_member_is_undefined_as_in_jinja(source: str) -> None:
    with pytest.raises(jinja2.UndefinedError) as fast:
        make_environment(Path("/nonexistent")).from_string(source).render(e={})
    with pytest.raises(jinja2.UndefinedError) as plain:
        _plain_environment().from_string(source).render(e={})
    assert str(fast.value) == str(plain.value)


def test_a_plain_function_is_called_directly() -> None:
    # The case the short way takes: the same answer, without Jinja's look-ups.
    seen: list[tuple[object, ...]] = []

    def record(*args: object) -> str:
        seen.append(args)
        return "ok"

    fast, plain = _both("((( f(1, 'two') )))", f=record)
    assert fast == plain == "ok"
    assert seen == [(1, "two"), (1, "two")]
