"""Shrink to fit without filling the template twice.

A render whose last page holds only a few lines is filled again with ``texrender_fit`` true
and typeset once more (``rendering.pipeline``). The two fills differ only where the template
reads ``texrender_fit``, in a template that reads it in a few plain expressions (``\\linespread{
((( ('0.97' if texrender_fit else '1') | raw_tex ))) }``). For such a template the places are
found once, when it is loaded: the template is compiled again with a mark in place of each
(:func:`refit_for`), a fill renders that copy, and the text between the marks is kept a moment,
so that the fit fill of the same data is those pieces joined with the expressions' other
values: a few microseconds, where a fill costs about a millisecond.

A template that reads ``texrender_fit`` anywhere else (in a loop, a macro, a condition, an
included file, an expression with anything but constants and ``raw_tex`` in it) is filled
twice as before: :func:`refit_for` gives None.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import nodes

FIT_NAME = "texrender_fit"
# What a fill yields where the template reads texrender_fit: no escaped value holds NUL (the
# escaper drops it), and a fill with more marks than places is filled plainly anyway.
MARK = "\x00texrender_fit\x00"
# Filters that give the same output for the same input, whatever the fill.
_PURE_FILTERS = frozenset({"raw_tex"})
# Fills kept for their fit fill: one per render slot under way is enough; more costs memory.
KEPT_FILLS = 16


@dataclass(frozen=True)
class _Pieces:
    """A fill cut at the template's ``texrender_fit`` places, and what each place reads."""

    data: object  # the data it was filled from (kept, so that its id is not reused)
    pieces: tuple[str, ...]  # one more than the places
    plain: tuple[str, ...]  # each place with texrender_fit false
    fit: tuple[str, ...]  # and true

    def text(self, fit: bool) -> str:
        values = self.fit if fit else self.plain
        parts = [self.pieces[0]]
        for value, piece in zip(values, self.pieces[1:], strict=True):
            parts += (value, piece)
        return "".join(parts)


class Refit:
    """A template's fills, with the fit fill of the same data made from the plain one's."""

    def __init__(self, marked: jinja2.Template, places: jinja2.Template, count: int) -> None:
        self._marked = marked  # the template, a mark at each place
        self._places = places  # the places alone, between marks
        self._count = count
        self._kept: OrderedDict[Hashable, _Pieces] = OrderedDict()
        self._lock = threading.Lock()  # a fill may run in a worker thread

    def fitted(self, data: object, choices: Hashable) -> str | None:
        """The fit fill of ``data`` (with ``choices``: its path, paper, ...) from its plain
        fill, when that was kept (each is given once); None: fill it. The data must not have
        changed since its plain fill."""
        with self._lock:
            kept = self._kept.pop((id(data), choices), None)
        return kept.text(fit=True) if kept is not None and kept.data is data else None

    def fill(
        self, data: object, choices: Hashable, names: Mapping[str, Any], *, fit: bool
    ) -> str | None:
        """The fill of ``data`` with ``names`` (``texrender_fit`` as ``fit``), the plain one
        kept for :meth:`fitted`; None when the marks cannot be told in the text (fill it with
        the template itself). Call it where the template's own fill would run."""
        pieces = self._cut(data, names)
        if pieces is None:
            return None
        if not fit:
            self._keep((id(data), choices), pieces)
        return pieces.text(fit)

    def _cut(self, data: object, names: Mapping[str, Any]) -> _Pieces | None:
        """The fill cut at the marks, and each place's value both ways (rendered now: a
        value is escaped as the fill escapes, for its path)."""
        pieces = self._marked.render(names).split(MARK)
        plain = self._places.render({FIT_NAME: False}).split(MARK)
        fit = self._places.render({FIT_NAME: True}).split(MARK)
        if not len(pieces) - 1 == len(plain) == len(fit) == self._count:
            return None  # a mark that is not ours
        return _Pieces(data, tuple(pieces), tuple(plain), tuple(fit))

    def _keep(self, key: Hashable, pieces: _Pieces) -> None:
        with self._lock:
            self._kept[key] = pieces
            self._kept.move_to_end(key)
            while len(self._kept) > KEPT_FILLS:
                self._kept.popitem(last=False)


def refit_for(
    environment: jinja2.Environment, name: str, sources: Mapping[str, Sequence[str]]
) -> Refit | None:
    """The :class:`Refit` of template ``name``; None when it does not read ``texrender_fit``,
    or reads it where a fill could not be cut (see the module's docstring). ``sources`` is
    every file the template can include, by name, with its lines.

    Blocking: reads the template's file (call it where the template is loaded).
    """
    loader = environment.loader
    assert loader is not None
    text, filename, _ = loader.get_source(environment, name)
    root = environment.parse(text, name, filename)
    included = [
        environment.parse("\n".join(lines), other)
        for other, lines in sources.items()
        if other != name
    ]
    places = _places(root)
    if not places or any(_reads_fit(tree) for tree in included):
        return None
    expressions: list[nodes.Node] = []
    for output, index in places:
        expressions += (output.nodes[index], nodes.TemplateData(MARK))
        output.nodes[index] = nodes.TemplateData(MARK, lineno=output.nodes[index].lineno)
    if _reads_fit(root):  # somewhere else as well
        return None
    alone = nodes.Template([nodes.Output(expressions[:-1], lineno=1)], lineno=1)
    marked = _compiled(environment, root, name, filename)
    return Refit(marked, _compiled(environment, alone, name, filename), len(places))


def _compiled(
    environment: jinja2.Environment, tree: nodes.Template, name: str, filename: str | None
) -> jinja2.Template:
    code = environment.compile(tree, name, filename)
    globals_ = environment.make_globals(None)
    return environment.template_class.from_code(environment, code, globals_)


def _reads_fit(tree: nodes.Node) -> bool:
    return any(found.name == FIT_NAME for found in tree.find_all(nodes.Name))


def _places(root: nodes.Template) -> list[tuple[nodes.Output, int]]:
    """Each expression at the template's top level (run once a fill, in order) that reads
    ``texrender_fit`` and nothing that could differ from one fill to another."""
    if any(True for _ in root.find_all((nodes.Extends, nodes.Block))):
        return []
    return [
        (statement, index)
        for statement in root.body
        if isinstance(statement, nodes.Output)
        for index, child in enumerate(statement.nodes)
        if _reads_fit(child) and _pure(child)
    ]


# What such an expression may hold: constants, conditions, and the name itself.
_PURE_NODES = (nodes.Const, nodes.CondExpr, nodes.Not, nodes.And, nodes.Or, nodes.Concat)


def _pure(expression: nodes.Node) -> bool:
    """Whether ``expression``'s value depends on ``texrender_fit`` alone."""
    for node in (expression, *expression.find_all(nodes.Node)):
        if isinstance(node, nodes.Name):
            if node.name != FIT_NAME or node.ctx != "load":
                return False
        elif isinstance(node, nodes.Filter):
            if node.name not in _PURE_FILTERS or node.args or node.kwargs or node.dyn_args:
                return False
            if node.dyn_kwargs:
                return False
        elif not isinstance(node, _PURE_NODES):
            return False
    return True
