"""Which language a document is written in, for the words a template prints itself
(:mod:`._words`), its hyphenation patterns and the PDF's ``/Lang``.

One place decides, in this order: the data's ``meta.language`` (JSON Resume's; the cover
letter takes the same member), read leniently: a BCP 47 tag (``fr``, ``fr-CA``, ``pt-BR``,
``zh-Hant``, ``zh_TW``), an ISO 639-2 code (``fra``, ``deu``) or a language's name in English
or in itself (``French``, ``Français``, ``русский``); else the letters of the data (Greek: el,
Arabic: ar, Hebrew: he, hangul: ko, kana: ja, other Han: zh; Cyrillic: uk when it has the
letters only Ukrainian writes, else ru); else English. A language texrender has
no words for is printed with English words, and :attr:`Language.known` says so (the reading
warns).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._script import strings_of
from ._words import ENGLISH, LANGUAGES, Words, words_for

__all__ = ["Language", "language_of", "words_of"]

_MAX_CHARS = 20_000  # enough letters to tell; a huge document is not read twice
_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,6}", re.ASCII)
_TRADITIONAL = re.compile(r"^zh(?:-[a-z0-9]+)*-(?:hant|tw|hk|mo)(?:-|$)")

_CODES = {
    "eng": "en", "fra": "fr", "fre": "fr", "deu": "de", "ger": "de", "spa": "es", "ita": "it",
    "por": "pt", "nld": "nl", "dut": "nl", "pol": "pl", "rus": "ru", "ukr": "uk", "ell": "el",
    "gre": "el", "tur": "tr", "ara": "ar", "heb": "he", "iw": "he", "zho": "zh", "chi": "zh",
    "cmn": "zh", "jpn": "ja", "kor": "ko",
}  # fmt: skip

_NAMES = {
    "en": ("english", "anglais", "englisch", "inglés", "inglese", "inglês", "engels"),
    "fr": ("french", "français", "francais", "französisch", "francés", "francese", "francês"),
    "de": ("german", "deutsch", "allemand", "alemán", "tedesco", "alemão", "duits"),
    "es": ("spanish", "español", "espanol", "castellano", "espagnol", "spanisch"),
    "it": ("italian", "italiano", "italien", "italienisch"),
    "pt": ("portuguese", "português", "portugues", "portugais", "portugiesisch"),
    "nl": ("dutch", "nederlands", "flemish", "vlaams", "néerlandais", "niederländisch"),
    "pl": ("polish", "polski", "polnisch", "polonais"),
    "ru": ("russian", "русский", "русский язык", "russe", "russisch", "ruso"),
    "uk": ("ukrainian", "українська", "українська мова", "ukrainien", "ukrainisch"),
    "el": ("greek", "ελληνικά", "ελληνικα", "grec", "griechisch", "griego"),
    "tr": ("turkish", "türkçe", "turkce", "turc", "türkisch", "turco"),
    "ar": ("arabic", "العربية", "عربي", "arabe", "arabisch", "árabe"),
    "he": ("hebrew", "עברית", "hébreu", "hebräisch", "hebreo"),
    "zh": ("chinese", "中文", "汉语", "漢語", "简体中文", "chinois", "chinesisch", "chino",
           "mandarin", "普通话"),
    "zh-Hant": ("繁體中文", "繁体中文", "traditional chinese", "正體中文"),
    "ja": ("japanese", "日本語", "japonais", "japanisch", "japonés"),
    "ko": ("korean", "한국어", "조선어", "coréen", "koreanisch", "coreano"),
}  # fmt: skip


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not _is_mark(c)))


def _is_mark(char: str) -> bool:
    return unicodedata.category(char) == "Mn"


_BY_NAME = {_fold(name): code for code, names in _NAMES.items() for name in names}
_NAME_PART = re.compile(r"[^\W\d_]+(?:\s+[^\W\d_]+)?")


@dataclass(frozen=True)
class Language:
    """The document's language: whose words it gets, and its tag for the PDF's ``/Lang``."""

    words: str = ENGLISH  # a key of rendering.filling._words.LANGUAGES
    tag: str = ENGLISH  # BCP 47, safe to write into TeX (letters, digits, hyphens)
    declared: str | None = None  # what meta.language said, when it said something
    known: bool = True  # False: declared, but texrender has no words for it (English used)


def language_of(data: Mapping[str, Any], text: str | None = None) -> Language:
    """The document's :class:`Language`: its ``meta.language``, else its letters, else
    English (see the module's docstring). ``text`` is the data's strings joined
    (``"".join(strings_of(data))``) when the caller has read them already."""
    meta = data.get("meta")
    declared = meta.get("language") if isinstance(meta, Mapping) else None
    if isinstance(declared, str) and declared.strip():
        return _declared(declared.strip()[:100])
    if text is None:
        text = "".join(strings_of(data))
    code = _detected(text[:_MAX_CHARS])
    return Language(words=code, tag=code)


def words_of(data: Mapping[str, Any]) -> Words:
    """The words of the document's language (:func:`language_of`), as its Unicode path prints
    them (its fast path prints English where they need another script)."""
    return words_for(language_of(data).words)


def _declared(text: str) -> Language:
    tag = text.replace("_", "-")
    if _TAG.fullmatch(tag):
        lowered = tag.lower()
        primary = _CODES.get(lowered.split("-")[0], lowered.split("-")[0])
        if primary == "zh" and _TRADITIONAL.match(lowered):
            return Language(words="zh-Hant", tag=tag, declared=text)
        if primary in LANGUAGES:
            return Language(words=primary, tag=tag, declared=text)
        if _fold(tag) not in _BY_NAME:
            return Language(tag=tag, declared=text, known=False)
    folded = _fold(text)
    code = _BY_NAME.get(folded)
    if code is None and (match := _NAME_PART.match(folded)):  # "Português (Brasil)"
        code = _BY_NAME.get(match.group()) or _BY_NAME.get(match.group().split()[0])
    if code is None:
        return Language(declared=text, known=False)
    return Language(words=code, tag=code, declared=text)


# Letters of each script, by the language they are taken for: (first, last, language).
_RANGES = sorted(
    [
        (0x0370, 0x03FF, "el"), (0x1F00, 0x1FFF, "el"),
        (0x0400, 0x04FF, "ru"),
        (0x0590, 0x05FF, "he"), (0xFB1D, 0xFB4F, "he"),
        (0x0600, 0x06FF, "ar"), (0x0750, 0x077F, "ar"), (0x08A0, 0x08FF, "ar"),
        (0xFB50, 0xFDFF, "ar"), (0xFE70, 0xFEFF, "ar"),
        (0x1100, 0x11FF, "ko"), (0x3130, 0x318F, "ko"), (0xAC00, 0xD7AF, "ko"),
        (0x3040, 0x30FF, "ja"), (0x31F0, 0x31FF, "ja"), (0xFF66, 0xFF9F, "ja"),
        (0x3400, 0x4DBF, "zh"), (0x4E00, 0x9FFF, "zh"), (0xF900, 0xFAFF, "zh"),
    ]
)  # fmt: skip
_STARTS = [first for first, _, _ in _RANGES]
_OTHER = re.compile("[" + "".join(f"\\u{a:04X}-\\u{b:04X}" for a, b, _ in _RANGES) + "]")
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")
_UKRAINIAN = re.compile(r"[іїєґІЇЄҐ]")
# A CJK character is a syllable or a word where a Latin word has several letters.
_WEIGHT = {"ko": 3, "ja": 3, "zh": 3}


def _detected(text: str) -> str:
    """The language the letters of ``text`` are mostly in (two passes of a regular
    expression: a Latin résumé has few letters of other scripts to sort)."""
    counts = dict.fromkeys(("el", "ar", "he", "ko", "ja", "zh", "ru"), 0)
    for char in _OTHER.findall(text):
        counts[_RANGES[bisect.bisect_right(_STARTS, ord(char)) - 1][2]] += 1
    if counts["ja"]:  # kana: Japanese, its Han characters with it
        counts["ja"] += counts.pop("zh")
    weighted = {code: n * _WEIGHT.get(code, 1) for code, n in counts.items()}
    code = max(weighted, key=lambda c: weighted[c])
    if not weighted[code] or weighted[code] <= len(_LATIN.findall(text)):
        return ENGLISH
    if code == "ru" and _UKRAINIAN.search(text):
        return "uk"
    return code
