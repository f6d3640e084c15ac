"""What the catalogue says when data or a name is wrong, in words a person reads.

jsonschema writes its messages for Python programmers (``'42' is not a 'email'``, ``None is not
of type 'object'``, ``[] should be non-empty``); the ones people meet most are rewritten here,
the rest are kept as jsonschema words them. A wrong template name gets the names there are and
the nearest one.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from typing import Any

import jsonschema.exceptions

from ..errors import clip

_FORMATS = {
    "email": "not an email address (name@example.com)",
    "idn-email": "not an email address (name@example.com)",
    "uri": "not a full web address (https://example.com)",
    "iri": "not a full web address (https://example.com)",
    "date": "not a date in the form 2024-05-31",
    "date-time": "not a date and time in the form 2024-05-31T09:30:00Z",
    "time": "not a time of day in the form 09:30:00Z",
    "ipv4": "not an IPv4 address",
    "ipv6": "not an IPv6 address",
    "hostname": "not a host name (example.com)",
    "idn-hostname": "not a host name (example.com)",
    "regex": "not a regular expression",
}
_MAX_NAME_CHARS = 100


def field_message(error: jsonschema.exceptions.ValidationError) -> str:
    """The message for one schema error: rewritten for the common validators (``format``, the
    lengths of lists and text), else jsonschema's own."""
    kind, limit = error.validator, error.validator_value
    if kind == "format":
        return _FORMATS.get(str(limit), f"not in the {limit!r} format")
    if kind == "minItems":
        return "must not be empty" if limit == 1 else f"needs at least {limit} items"
    if kind == "maxItems":
        return f"has more than {limit} items"
    if kind == "minLength":
        return "must not be empty" if limit == 1 else f"needs at least {limit} characters"
    if kind == "maxLength":
        return f"is longer than {limit} characters"
    return error.message


def json_kind(value: Any) -> str:
    """What a JSON value is, in words: ``null``, ``a list``, ``text``, ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    return "an object" if isinstance(value, dict) else type(value).__name__


def not_an_object(data: Any) -> tuple[str, str]:
    """The detail and the field message for data that is not a JSON object."""
    kind = json_kind(data)
    return (
        f"the data is {kind}: send the template's data as a JSON object",
        f"expected a JSON object, got {kind}",
    )


def nothing_printed(template: str) -> tuple[str, str]:
    """The detail and the field message for data that holds nothing the template prints."""
    return (
        f"the document is empty: {template!r} prints nothing from this data (it would be a "
        "blank page)",
        "no field holds anything this template prints: send at least one that its schema "
        "describes (its sample shows them all); any warnings name the keys it does not know",
    )


def unknown_template(name: str, names: Collection[str]) -> str:
    """No template is called ``name``: the names there are, and the nearest if one is close."""
    shown = clip(name, _MAX_NAME_CHARS)
    nearest = difflib.get_close_matches(name[:_MAX_NAME_CHARS], names, n=1)
    listed = ", ".join(names) if names else "none"
    hint = f": did you mean {nearest[0]!r}?" if nearest else "."
    return f"no template named {shown!r}{hint} The templates are: {listed}"
