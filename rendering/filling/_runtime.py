"""Jinja's run-time hot paths, made cheaper for what a fill meets: JSON's plain types and
texrender's own functions.

A template calls ``filled(...)`` and ``e.get(...)`` hundreds of times a fill, and reads
``e.name`` on dicts as often. Jinja routes every call through ``Context.call``, which looks
twice for a "pass the context" mark before calling, and every ``a.b`` through
``Environment.getattr``, which tries the attribute first and so raises and catches an
``AttributeError`` for each member of a dict. Together they were a fifth of a fill. The
classes here answer the cases that are known without that work, exactly as Jinja would, and
leave every other case to Jinja.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

import jinja2
import jinja2.runtime

# Callables whose only possible mark is their own ``jinja_pass_arg`` attribute (their
# ``__call__`` is a method wrapper, which has none): functions and bound methods. Builtins
# (``e.get``) cannot have one; a template's macro always wants the evaluation context.
_PLAIN_CALLABLES = frozenset({types.FunctionType, types.MethodType})
# What ``getattr`` finds on a dict: anything else a template reads from one is a member.
_DICT_ATTRIBUTES = frozenset(dir(dict))


class FillContext(jinja2.runtime.Context):
    """Jinja's context, with a call of a plain function, a builtin or a macro made directly."""

    def call(
        __self,  # Jinja's own spelling: a keyword argument may be named `self`
        __obj: Callable[..., Any],
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        kind = type(__obj)
        if kind is jinja2.runtime.Macro:
            args = (__self.eval_ctx, *args)  # as Jinja passes it (its __call__ is marked)
        elif kind is not types.BuiltinFunctionType and (
            kind not in _PLAIN_CALLABLES or getattr(__obj, "jinja_pass_arg", None) is not None
        ):
            return super().call(__obj, *args, **kwargs)
        if kwargs:  # the variables of a loop or block, which only a context's function sees
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:  # as Jinja answers it
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


class FillEnvironment(jinja2.Environment):
    """Jinja's environment, with a dict's members read without trying an attribute first,
    and each template's globals a plain dict."""

    context_class = FillContext

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """The environment's globals with the template's over them, copied once, when the
        template is loaded. Jinja's ``ChainMap`` of the two is read whole, key by key in
        Python, twice at the start of every fill: a twentieth of one. (Globals are not
        changed once a template is loaded, as Jinja asks.)"""
        return {**self.globals, **(d or {})}

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            if attribute in _DICT_ATTRIBUTES:
                return getattr(obj, attribute)  # e.get: no member can hide it
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def is_mapping(value: object) -> bool:
    """Jinja's ``mapping`` test, a dict answered without the ABC's look-up."""
    return type(value) is dict or isinstance(value, Mapping)


FAST_TESTS = {"mapping": is_mapping}
