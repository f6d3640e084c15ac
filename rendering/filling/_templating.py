"""The Jinja2 environment that turns a template and JSON data into TeX source.

TeX's braces clash with Jinja's default delimiters, so templates use ``((( expr )))``,
``((* block *))`` and ``((= comment =))``. Every ``((( expr )))`` is LaTeX-escaped by a
``finalize`` hook: the template author cannot forget to escape. Raw TeX is the visible
exception, and only the template can ask for it (``((( x | raw_tex )))``); a value that comes from
JSON data is always a plain ``str``, so data can never opt itself out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import jinja2

from ..errors import clip
from ._escape import TEX_HELPERS, escape_latex, escape_url
from ._fontenc import FAST_FONTS_NAME, exact_text_tex, fast_fonts_tex
from ._language import Language, language_of
from ._markup import markup_to_tex
from ._pdfmeta import metadata_tex, skill_keywords
from ._predump import predump_tex
from ._runtime import FAST_TESTS, FillEnvironment
from ._script import Script
from ._unicode import prelude_tex, script_tex, setup_tex
from ._words import ENGLISH, Words, words_for


class Tex(str):
    """A string that is already TeX source and must reach the document unescaped."""

    __slots__ = ()


def _finalize(value: object) -> str:
    if isinstance(value, Tex):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return escape_latex(str(value))


def raw_tex(value: object) -> Tex:
    """Template-side opt-in: emit ``value`` as TeX source, unescaped."""
    return Tex(str(value))


def href(url: object, text: object | None = None) -> Tex:
    """A clickable link; the URL survives ``%``, ``#``, ``_``, ``~`` and every other special."""
    target = str(url)
    label = _display_url(target) if text is None else str(text)
    return Tex(rf"\href{{{escape_url(target)}}}{{{escape_latex(label)}}}")


def _display_url(url: str) -> str:
    return re.sub(r"^(https?://)?(www\.)?", "", url.strip()).rstrip("/")


def format_date(value: object, absent: str = "", *, words: Words | None = None) -> str:
    """Render a JSON Resume date (``2013``, ``2013-12``, ``2013-12-01``) as ``Dec 2013``, in
    the language of ``words`` (English by default: ``déc. 2013`` in French).

    A value that is not such a date ("Summer 2019") is returned unchanged, so nothing the user
    wrote is lost.
    """
    if value is None or value == "":
        return absent
    text = str(value)
    shown = (words or words_for(ENGLISH)).short_date(text)
    return text if shown is None else shown


def long_date(value: object, *, words: Words | None = None) -> str:
    """A letter's date: ``2026-12-02`` as ``2 December 2026`` (``2026-12`` as ``December
    2026``), in the language of ``words``; a value that is not such a date is returned
    unchanged."""
    if value is None or value == "":
        return ""
    text = str(value)
    shown = (words or words_for(ENGLISH)).long_date(text)
    return text if shown is None else shown


def date_range(
    start: object, end: object, present: str | None = None, *, words: Words | None = None
) -> str:
    """``Dec 2013 \u2013 Present`` (en dash), "Present" in the language of ``words``; one date
    alone when only one is known, or when both read the same (``2017 \u2013 2017`` says no
    more than ``2017``). A start written as free text ("Summer 2019", "2019 \u2013 heute")
    without an end is printed alone, as written: it may say itself how long it lasts."""
    words = words or words_for(ENGLISH)
    first = format_date(start, words=words)
    free_text = bool(first) and first == str(start) and words.short_date(first) is None
    ongoing = present if present is not None else words.text["present"]
    last = format_date(end, absent=ongoing if first and not free_text else "", words=words)
    if first and last and first != last:
        return f"{first} \u2013 {last}"
    return first or last


def _words_of(context: jinja2.runtime.Context) -> Words:
    """The words of the document being filled (``texrender_calendar``); English without."""
    found = context.get(CALENDAR_NAME)
    return found if isinstance(found, Words) else words_for(ENGLISH)


@jinja2.pass_context
def _date_filter(context: jinja2.runtime.Context, value: object, absent: str = "") -> str:
    return format_date(value, absent, words=_words_of(context))


@jinja2.pass_context
def _long_date_filter(context: jinja2.runtime.Context, value: object) -> str:
    return long_date(value, words=_words_of(context))


@jinja2.pass_context
def _date_range_filter(
    context: jinja2.runtime.Context, start: object, end: object, present: str | None = None
) -> str:
    return date_range(start, end, present, words=_words_of(context))


_PHONE = re.compile(r"^\+?[\d\s().\-/]{5,30}(?:\s*(?:x|ext\.?)\s*\d{1,6})?$", re.IGNORECASE)


def is_phone(value: object) -> bool:
    """Whether ``value`` reads as a phone number (digits with the usual separators, at least
    five digits), so that it may become a ``tel:`` link; anything else is shown as text."""
    text = str(value).strip() if value is not None else ""
    return bool(_PHONE.match(text)) and sum(c.isdigit() for c in text) >= 5


def join_nonempty(values: Iterable[object], separator: str = ", ") -> str:
    """Join the values that are not empty or null."""
    return separator.join(str(v) for v in values if v not in (None, ""))


def filled(value: object) -> bool:
    """Whether ``value`` holds anything to print: a non-blank string, a number, true, or a
    list/object with something filled inside. Templates use it to drop empty sections."""
    if isinstance(value, str):
        return bool(value.strip())
    if value is None:  # often: an absent member; the ABCs below are slow to say no
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return True
    # (map, not a generator: templates ask this of every entry, and it shows.)
    if isinstance(value, dict | Mapping):
        return any(map(filled, value.values()))
    if isinstance(value, Iterable):
        return any(map(filled, value))
    return False


def any_filled(entry: Mapping[str, object], keys: Iterable[str]) -> bool:
    """Whether any of ``keys`` of ``entry`` is filled."""
    return any(map(filled, map(entry.get, keys)))


def some(items: object, keys: Iterable[str]) -> bool:
    """Whether a list of entries has an entry with any of ``keys`` filled."""
    if isinstance(items, str | Mapping) or not isinstance(items, Iterable):
        return False
    keys = list(keys)
    return any(any_filled(e, keys) for e in items if isinstance(e, Mapping))


METADATA_CHARS = 120


def metadata(value: object) -> str:
    """Text for a PDF metadata field (title, author, subject): one line, at most
    :data:`METADATA_CHARS` characters. hyperref's \\pdfstringdef takes time quadratic in the
    length of what it is given, so a 16,000-character name must not reach it whole."""
    text = " ".join(str(value).split()) if value is not None else ""
    return clip(text, METADATA_CHARS)


_WORD_BREAK = re.compile(r"[_\-\s]+|(?<=[a-z0-9])(?=[A-Z])")


def heading(key: object) -> str:
    """A section heading from a data key: ``community`` as ``Community``, ``sideProjects`` and
    ``side_projects`` as ``Side projects``."""
    words = " ".join(_WORD_BREAK.split(str(key).strip())).strip()
    return words[:1].upper() + words[1:].lower() if words else ""


# How an entry of a section the template does not know is read: the first filled key of each.
_TITLE_KEYS = ("name", "title", "organization", "institution", "company")
_SUBTITLE_KEYS = (
    "position", "role", "studyType", "area", "institution", "organization", "issuer",
    "publisher", "awarder",
)  # fmt: skip
_PLACE_KEYS = ("location", "city")
_URL_KEYS = ("url", "website")
_START_KEYS = ("startDate", "start")
_END_KEYS = ("endDate", "end")
_DATE_KEYS = ("date", "releaseDate")
_SUMMARY_KEYS = ("summary", "description")
_LIST_KEYS = ("highlights",)


def _text(value: object) -> str | None:
    """``value`` as one line of text: text, a number, or a list of those joined by commas."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        return str(value) if str(value).strip() else None
    if isinstance(value, list):
        parts = [t for t in map(_text, value) if t]
        return ", ".join(parts) if parts else None
    return None


def as_entry(item: Mapping[str, Any]) -> dict[str, Any]:
    """An entry of a section the template does not know (``community``), in the parts an entry
    has: title, subtitle, place, url, start, end, date (one day or month, not a span), summary,
    highlights; every other member with text in it is in ``rest``, as (heading, text), so that
    nothing written is left out."""
    used: set[str] = set()

    def first(keys: Iterable[str]) -> str | None:
        for key in keys:
            if key not in used and isinstance(item.get(key), str | int | float):
                text = _text(item[key])
                if text:
                    used.add(key)
                    return text
        return None

    entry: dict[str, Any] = {
        "title": first(_TITLE_KEYS),
        "subtitle": first(_SUBTITLE_KEYS),
        "place": first(_PLACE_KEYS),
        "url": first(_URL_KEYS),
        "start": first(_START_KEYS),
        "end": first(_END_KEYS),
        "date": first(_DATE_KEYS),
        "summary": first(_SUMMARY_KEYS),
    }
    highlights = next((item[k] for k in _LIST_KEYS if isinstance(item.get(k), list)), None)
    entry["highlights"] = [h for h in highlights or [] if isinstance(h, str) and h.strip()]
    used.update(k for k in _LIST_KEYS if highlights is not None and k in item)
    entry["rest"] = [
        (heading(key), text)
        for key, value in item.items()
        if key not in used and (text := _text(value))
    ]
    return entry


def markup(value: object) -> Tex:
    """Text in which a small subset of HTML and Markdown becomes typesetting (bold, emphasis,
    links, line breaks, paragraphs, lists); everything else is escaped text. See
    :mod:`rendering.filling._markup` (and its budget per document)."""
    if value is None:
        return Tex("")
    return Tex(markup_to_tex(str(value)))


def pdf_metadata(**fields: Any) -> Tex:
    """The PDF's document information and XMP metadata (title, author, subject, keywords,
    date), as TeX for after the fixed preamble: see :mod:`rendering.filling._pdfmeta`."""
    return Tex(metadata_tex(**fields))


def _filters() -> dict[str, Callable[..., Any]]:
    return {
        "raw_tex": raw_tex,
        "markup": markup,
        "metadata": metadata,
        "href": href,
        "date": _date_filter,
        "long_date": _long_date_filter,
        "date_range": _date_range_filter,
        "join_nonempty": join_nonempty,
        "heading": heading,
        "as_entry": as_entry,
    }


CALENDAR_NAME = "texrender_calendar"


def language_names(
    data: Mapping[str, Any],
    *,
    unicode: bool = False,
    cyrillic_greek: bool = False,
    language: Language | None = None,
) -> dict[str, Any]:
    """Laid over the names above for a document: the words a template prints itself in the
    document's language (:mod:`._language`), for the Unicode path too when ``unicode``.

    ``texrender_words`` maps each key of ``words.toml`` (``experience``, ``present``,
    ``enclosures``, ...) to its word; ``texrender_lang`` is the BCP 47 tag for the PDF's
    ``/Lang``; ``texrender_patterns`` names the hyphenation patterns ("" for none). Words the
    fast path cannot set (CJK, Arabic, ...; Cyrillic and Greek unless ``cyrillic_greek``: it has
    their fonts) are printed in English there: the reading sends such a document to the Unicode
    path when the server has one, and warns when it has not. ``language`` is the data's
    when its reading found it already (``language_of(data)``, worked out once a render).
    """
    if language is None:
        language = language_of(data)
    return names_for(language, unicode=unicode, cyrillic_greek=cyrillic_greek)


def names_for(
    language: Language, *, unicode: bool = False, cyrillic_greek: bool = False
) -> dict[str, Any]:
    """:func:`language_names` for a language already resolved."""
    words = words_for(language.words)
    fast = ("Latin", "Cyrillic", "Greek") if cyrillic_greek else ("Latin",)
    if words.script not in fast and not unicode:
        words = words_for(ENGLISH)
    return {
        "texrender_words": dict(words.text),
        "texrender_lang": language.tag,
        "texrender_patterns": words.patterns if language.known else "",
        CALENDAR_NAME: words,
    }


def fast_fonts_names(cyrillic_greek: bool) -> dict[str, Any]:
    """The fast path's font encodings (``texrender_fast_fonts``: T1, and T2A and LGR when
    ``cyrillic_greek``) and the ``/ActualText`` that goes with them (``texrender_exact_text``):
    see :mod:`._fontenc`."""
    return {
        FAST_FONTS_NAME: Tex(fast_fonts_tex(cyrillic_greek)),
        "texrender_exact_text": Tex(exact_text_tex(cyrillic_greek)),
    }


# Names the environment provides to every template. Data is rendered with these laid over it, so
# a data key with the same name can never replace them.
RESERVED_NAMES: dict[str, Any] = {
    "texrender_helpers": Tex(TEX_HELPERS),
    **fast_fonts_names(False),
    "texrender_predump": Tex(predump_tex()),
    "texrender_unicode": False,
    "texrender_unicode_prelude": Tex(""),
    "texrender_paper": "a4",  # the paper size of a render (rendering.catalogue._papers)
    "texrender_fit": False,  # set one notch tighter (rendering.pipeline, shrink to fit)
    "texrender_unicode_setup": Tex(""),
    "texrender_unicode_setup_sans": Tex(""),
    "texrender_unicode_script": Tex(""),
    **names_for(Language()),
    "filled": filled,
    "any_filled": any_filled,
    "some": some,
    "is_phone": is_phone,
    "pdf_metadata": pdf_metadata,
    "skill_keywords": skill_keywords,
    # A tagged PDF (LaTeX's tagging project, \DocumentMetadata): costly, so only when asked.
    "texrender_tagged": False,
}


def unicode_names(script: Script) -> dict[str, Any]:
    """Laid over the names above when filling for the Unicode path a document in ``script``
    (rendering.filling._unicode): its preamble, with a serif or a sans Latin face."""
    return {
        "texrender_unicode": True,
        "texrender_unicode_prelude": Tex(prelude_tex()),
        "texrender_unicode_setup": Tex(setup_tex()),
        "texrender_unicode_setup_sans": Tex(setup_tex(sans=True)),
        "texrender_unicode_script": Tex(script_tex(script)),
        "texrender_exact_text": Tex(""),
    }


SHARED_DIR = "_shared"  # beside the template folders: files their templates may include


def make_environment(search_path: Path) -> jinja2.Environment:
    """Build the environment for templates found under ``search_path``, which may also include
    the files of the ``_shared`` folder beside it (``((* include "jsonresume.tex.j2" *))``).

    Templates are compiled once and cached by Jinja; ``auto_reload`` is off because a running
    server does not expect its templates to change under it. The environment's calls and
    look-ups take the short ways of :mod:`._runtime`.
    """
    env = FillEnvironment(
        loader=jinja2.FileSystemLoader(
            [
                search_path,
                *([shared] if (shared := search_path.parent / SHARED_DIR).is_dir() else []),
            ]
        ),
        block_start_string="((*",
        block_end_string="*))",
        variable_start_string="(((",
        variable_end_string=")))",
        comment_start_string="((=",
        comment_end_string="=))",
        line_statement_prefix=None,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        autoescape=False,  # LaTeX escaping is done by `finalize`, not HTML
        auto_reload=False,
    )
    env.filters.update(_filters())
    env.tests.update(FAST_TESTS)
    env.globals.update(RESERVED_NAMES)
    return env
