"""The lenient reader: the deviations real files have, turned into the shape the schema wants.

It walks the data beside the template's JSON Schema, so it knows at each value what type is
expected, and applies a fixed, documented list of rules, each reported as a warning:

``empty``
    ``""``, white space and ``null`` mean "absent": the member or list item is removed.
``number-as-text``
    A number where text is expected (``"score": 3.8``, ``"postalCode": 10115``) is written as text.
``text-as-list``
    Text where a list of text is expected becomes a one-item list, or is split at commas and
    semicolons for keyword-like lists (``"keywords": "Python, Go"``).
``object-as-list``
    An object where a list of entries is expected becomes a one-entry list, or, when its members
    are not entry fields (``"skills": {"Languages": ["Go"]}``), one entry per member.
``text-as-entry``
    Text where an entry is expected becomes an entry with the text in its main field
    (``"interests": ["chess"]`` gives ``[{"name": "chess"}]``).
``text-as-object``
    Text where an object is expected becomes its main field (``"location": "Berlin"``).
``legacy-key``
    An older key name is read as the current one (``company`` as ``name``); when both are given,
    the current one wins and the older one is reported as ignored.
``alias``
    Another name for a list, as exporters and hand-written files have it (``work[].highlight``,
    ``details``): its items join the list's (text as one item), after the list's own.
``ongoing``
    A word meaning "until now" in an end date (``Present``, ``heute``, ``至今``) removes it.
``date``
    A date written another way (``Sep 2022``, ``07/2025``, ``2023-9-28``) becomes its ISO form; a
    date in words it cannot read (``Summer 2019``) is printed as written (its schema error is
    waived, see :data:`~rendering.reading._reading.PRINTED_AS_WRITTEN`); numbers that cannot be
    read unambiguously are left for validation, which then names the accepted forms.
``html-in-plain-text``
    HTML in a field the template prints plainly (a name, a job title) is reduced to its text;
    fields printed with markup keep it (see :mod:`rendering.filling._markup`).
``address``
    A web address without a scheme (``example.com``) gets ``https://``; ``mailto:`` is taken off
    an email address.

Three more warnings change nothing, but say what will not be seen or looks wrong:

``unknown-key``
    A member the schema does not describe where it names the members of an object (a slip,
    ``wrok``, or a section the template has not, ``community``) is kept but never printed, or,
    at the top of a template that prints other sections, printed as a section of its own; the
    warning suggests the known key one slip away (:mod:`rendering.reading._suggest`). Inside
    metadata (``meta``) nothing is said.
``not-printed``
    A member the schema describes that the template does not print (``basics.image``; see
    :mod:`rendering.reading._shown`).
``date-order``
    An end date before the start date of the same entry (at the end date's pointer).

What a format knows beyond its schema (older key names, main fields, which lists are keyword
lists) is a :class:`Dialect` (see :mod:`rendering.reading._jsonresume`). Local ``$ref`` s are
followed. The walk only descends where the schema describes the data, so its cost is linear in
the size of the data and bounded by the depth of the schema.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ReadWarning, json_pointer
from ..filling import markup_budget, markup_to_text
from ._dates import ACCEPTED_FORMS, is_free_text, is_ongoing, read_date
from ._reading import PRINTED_AS_WRITTEN, Reading
from ._schema import ANYTHING, lists_members, member_schema, refuses_others, resolve
from ._shown import Shown
from ._suggest import one_slip_away

ISO_DATE = re.compile(
    r"^([1-2][0-9]{3}-[0-1][0-9]-[0-3][0-9]|[1-2][0-9]{3}-[0-1][0-9]|[1-2][0-9]{3})$"
)
_HOST = re.compile(r"^(?:www\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?:[/?#:]\S*)?$")
_HTML = re.compile(r"</?[A-Za-z][^<>]*>|&(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);")
_LIST_SEPARATORS = re.compile(r"\s*[,;\n]\s*")
_MAX_SPLIT_ITEMS = 200
_MAX_RESOLVED = 1_000  # schema objects a reader keeps resolved


@dataclass(frozen=True)
class Dialect:
    """What the reader knows of one data format beyond its schema. Places are written as
    paths of property names with ``[]`` for list items: ``work[]``, ``basics.profiles[]``."""

    renames: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # place: old -> new
    # place: other name -> list key; the items are added to the list's (see ``alias``).
    aliases: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    main_keys: Mapping[str, str] = field(default_factory=dict)  # place of an entry: its field
    keyword_lists: frozenset[str] = frozenset()  # lists whose text form is comma-separated
    end_dates: frozenset[str] = frozenset({"endDate"})
    date_ranges: tuple[tuple[str, str], ...] = (("startDate", "endDate"),)  # (start, end) keys
    # Places printed with markup (see rendering.filling._markup); HTML anywhere else is reduced
    # to text. None: the format does not say, and text is left alone.
    rich_text: frozenset[str] | None = None


class _Absent:
    """The value a rule removed."""


ABSENT = _Absent()


class LenientReader:
    """Reads data for one schema; :meth:`read` never modifies its argument."""

    def __init__(
        self, schema: Mapping[str, Any], dialect: Dialect | None = None, shown: Shown | None = None
    ) -> None:
        self.schema = schema
        self.dialect = dialect or Dialect()
        self.shown = shown or Shown()
        # Each schema object resolved once for every read (the same few, many times): by id,
        # with the object itself kept, so that its id cannot be another's while it is known.
        self._resolved: dict[int, tuple[Any, Mapping[str, Any]]] = {}

    def read(self, data: Any) -> Reading:
        walk = _Walk(self.schema, self.dialect, self.shown, self._resolved)
        with markup_budget():  # HTML reduced in plain fields: bounded per document too
            result = walk.value(data, self.schema, "", ())
        return Reading(
            {} if result is ABSENT else result, tuple(walk.warnings), dict(walk.explanations)
        )


class _Walk:
    def __init__(
        self,
        root: Mapping[str, Any],
        dialect: Dialect,
        shown: Shown,
        resolved: dict[int, tuple[Any, Mapping[str, Any]]],
    ) -> None:
        self.root = root
        self.dialect = dialect
        self.shown = shown
        self.warnings: list[ReadWarning] = []
        self.explanations: dict[str, str] = {}
        self._resolved = resolved  # the reader's, kept from one read to the next

    def warn(self, path: tuple[object, ...], message: str) -> None:
        self.warnings.append(ReadWarning(json_pointer(path), message))

    def resolve(self, schema: Any) -> Mapping[str, Any]:
        """The schema with local ``$ref`` s followed (a few hops at most)."""
        known = self._resolved.get(id(schema))
        if known is not None and known[0] is schema:
            return known[1]
        resolved = resolve(self.root, schema)
        if len(self._resolved) < _MAX_RESOLVED:  # the schema's objects: a few dozen
            self._resolved[id(schema)] = (schema, resolved)
        return resolved

    def value(self, value: Any, schema: Any, place: str, path: tuple[object, ...]) -> Any:
        if path and _is_empty(value):
            self.warn(path, "empty value: treated as absent and removed")
            return ABSENT
        resolved = self.resolve(schema)
        kind = resolved.get("type")
        if kind == "string":
            return self.text(value, resolved, place, path)
        if kind == "array":
            return self.array(value, resolved, place, path)
        if kind == "object":
            return self.mapping(value, resolved, place, path)
        return value

    def text(
        self, value: Any, schema: Mapping[str, Any], place: str, path: tuple[object, ...]
    ) -> Any:
        if not isinstance(value, str):
            if not isinstance(value, int | float) or isinstance(value, bool):
                return value
            self.warn(path, "a number where text is expected: written as text")
            value = str(value)
        if schema.get("pattern") == ISO_DATE.pattern:
            return self.date(value, path)
        if schema.get("format") == "uri" and "://" not in value and _HOST.match(value.strip()):
            self.warn(path, "web address without a scheme: https:// added")
            return "https://" + value.strip()
        if schema.get("format") == "email" and value.lower().startswith("mailto:"):
            self.warn(path, "email address with mailto: in front: mailto: removed")
            return value[len("mailto:") :]
        rich = self.dialect.rich_text
        if rich is not None and place not in rich and _may_hold_html(value):
            plain = markup_to_text(value)
            if plain != value:
                self.warn(path, "HTML in a field printed as plain text: reduced to its text")
                return plain
        return value

    def date(self, value: str, path: tuple[object, ...]) -> Any:
        if ISO_DATE.match(value):
            return value
        key = path[-1] if path else ""
        if is_ongoing(value):
            if key in self.dialect.end_dates:
                self.warn(path, "an ongoing word (such as 'Present') as end date: end date removed")
                return ABSENT
            self.explanations[json_pointer(path)] = (
                "a word meaning 'until now' only makes sense as an end date"
            )
            return value
        iso = read_date(value)
        if iso is None and is_free_text(value):
            self.warn(path, "a date in words, not one the reader can read: printed as written")
            self.explanations[json_pointer(path)] = PRINTED_AS_WRITTEN
            return value
        if iso is None:
            self.explanations[json_pointer(path)] = f"cannot read this date: write {ACCEPTED_FORMS}"
            return value
        self.warn(path, "date written another way: read as its ISO form")
        return iso

    def array(
        self, value: Any, schema: Mapping[str, Any], place: str, path: tuple[object, ...]
    ) -> Any:
        items = self.resolve(schema.get("items", ANYTHING))
        item_place = f"{place}[]"
        if isinstance(value, str) and items.get("type") == "string":
            if place in self.dialect.keyword_lists:
                parts = [p for p in _LIST_SEPARATORS.split(value.strip())[:_MAX_SPLIT_ITEMS] if p]
                self.warn(path, "text where a list is expected: split at commas into a list")
                return [self.value(p, items, item_place, path) for p in parts]
            self.warn(path, "text where a list is expected: made a one-item list")
            return [value]
        # (A list first: the Mapping ABC is slow to say no, and a list is the usual value.)
        if type(value) is not list and isinstance(value, Mapping) and items.get("type") == "object":
            return self.object_as_list(value, items, item_place, path)
        if not isinstance(value, list):
            return value
        result = []
        for index, item in enumerate(value):
            read = self.item(item, items, item_place, (*path, index))
            if read is not ABSENT:
                result.append(read)
        return result

    def object_as_list(
        self,
        value: Mapping[str, Any],
        items: Mapping[str, Any],
        place: str,
        path: tuple[object, ...],
    ) -> list[Any]:
        known = items.get("properties", {})
        if any(key in known for key in value) or place not in self.dialect.main_keys:
            self.warn(path, "an object where a list is expected: made a one-entry list")
            read = self.value(value, items, place, path)
            return [] if read is ABSENT else [read]
        # {"Languages": ["Go", "C"], "Tools": "Git, Make"}: one entry per member.
        self.warn(path, "an object where a list of entries is expected: one entry per member")
        main = self.dialect.main_keys[place]
        list_key = next(
            (k for k, v in known.items() if self.resolve(v).get("type") == "array"), None
        )
        entries: list[Any] = []
        for key, member in value.items():
            entry: dict[str, Any] = {main: key}
            if list_key is not None and not _is_empty(member):
                entry[list_key] = member
            read = self.value(entry, items, place, (*path, key))
            if read is not ABSENT:
                entries.append(read)
        return entries

    def item(
        self, item: Any, items: Mapping[str, Any], place: str, path: tuple[object, ...]
    ) -> Any:
        main = self.dialect.main_keys.get(place)
        if isinstance(item, str) and items.get("type") == "object" and main and item.strip():
            self.warn(path, f"text where an entry is expected: made an entry with it as {main}")
            item = {main: item}
        return self.value(item, items, place, path)

    def mapping(
        self, value: Any, schema: Mapping[str, Any], place: str, path: tuple[object, ...]
    ) -> Any:
        main = self.dialect.main_keys.get(place)
        if isinstance(value, str) and main:
            self.warn(path, f"text where an object is expected: read as its {main}")
            value = {main: value}
        if type(value) is not dict and not isinstance(value, Mapping):
            return value
        value = self.renamed(value, place, path)
        properties = schema.get("properties", {})
        result: dict[str, Any] = {}
        for key, member in value.items():
            if key in properties:
                sub_place = f"{place}.{key}" if place else str(key)
                read = self.value(member, properties[key], sub_place, (*path, key))
                if read is not ABSENT:
                    result[key] = read
                    if sub_place in self.shown.not_printed:
                        self.warn((*path, key), "known key, but this template does not print it")
            else:
                result[key] = member  # not described by the schema: left as it is
                self.unknown(key, member, schema, place, (*path, key))
        self.date_order(result, path)
        return result

    def unknown(
        self,
        key: str,
        member: Any,
        schema: Mapping[str, Any],
        place: str,
        path: tuple[object, ...],
    ) -> None:
        """Warn about a member the schema does not describe (kept, never printed), where the
        schema names the members and would accept it; an older key name has had its say."""
        if not lists_members(schema) or refuses_others(schema) or _holds_nothing(member):
            return
        if self.shown.is_metadata(place):
            return
        if member_schema(schema, key) is not None or key in self.dialect.renames.get(place, {}):
            return
        if key in self.dialect.aliases.get(place, {}):
            return
        message = "unknown key: not in the template's schema, so not printed"
        if not place and self.shown.other_sections:
            message = "unknown key: not in the template's schema: printed as a section of its own"
        nearest = one_slip_away(key, schema.get("properties", {}))
        self.warn(path, message if nearest is None else f"{message}; did you mean {nearest!r}?")

    def date_order(self, entry: Mapping[str, Any], path: tuple[object, ...]) -> None:
        for start_key, end_key in self.dialect.date_ranges:
            start, end = entry.get(start_key), entry.get(end_key)
            if isinstance(start, str) and isinstance(end, str) and _ends_before(end, start):
                self.warn((*path, end_key), "end date before the start date: printed as given")

    def renamed(
        self, value: Mapping[str, Any], place: str, path: tuple[object, ...]
    ) -> Mapping[str, Any]:
        value = self.aliased(value, place, path)
        renames = self.dialect.renames.get(place)
        if not renames or not any(old in value for old in renames):
            return value
        result = dict(value)
        for old, new in renames.items():
            if old not in result:
                continue
            if _is_empty(result.get(new)):
                result[new] = result.pop(old)
                self.warn((*path, old), f"older key name: read as {new!r}")
            else:
                self.warn((*path, old), f"older key name ignored: {new!r} is given too")
        return result

    def aliased(
        self, value: Mapping[str, Any], place: str, path: tuple[object, ...]
    ) -> Mapping[str, Any]:
        """``value`` with the items under another name of a list added to the list's."""
        aliases = self.dialect.aliases.get(place)
        if not aliases or not any(other in value for other in aliases):
            return value
        result = dict(value)
        for other, target in aliases.items():
            if other not in result or _holds_nothing(result[other]):
                continue
            items = result.pop(other)
            own = result.get(target)
            merged = [] if _holds_nothing(own) else (own if isinstance(own, list) else [own])
            result[target] = [*merged, *(items if isinstance(items, list) else [items])]
            self.warn((*path, other), f"another name for {target!r}: read as part of it")
        return result


def _may_hold_html(text: str) -> bool:
    """Whether ``text`` holds a tag or a character reference (each starts with ``<`` or
    ``&``: most text has neither, and is passed over without the expression's scan)."""
    return ("<" in text or "&" in text) and _HTML.search(text) is not None


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _holds_nothing(value: Any) -> bool:
    return _is_empty(value) or value == [] or value == {}


def _ends_before(end: str, start: str) -> bool:
    """Whether ISO date ``end`` is before ``start``, compared to the precision both have
    (``2021`` does not end before ``2021-03``: the year holds the month)."""
    if not (ISO_DATE.match(end) and ISO_DATE.match(start)):
        return False
    common = min(len(end), len(start))
    return end[:common] < start[:common]
