"""What a document is written in, as far as its fonts and direction care: read from its
language (JSON Resume ``meta.language``, a BCP 47 tag) or, without one, from its letters.

Two choices hang on it. The CJK face: Han characters take different shapes in Chinese
(simplified or traditional), Japanese and Korean (门 述 骨 直), and each Noto CJK face draws
its own language's. And the direction of the page: a résumé in Arabic or Hebrew is laid out
right to left.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Primary language subtags written right to left.
_RTL_LANGUAGES = frozenset({"ar", "he", "iw", "fa", "ur", "yi", "ps", "sd", "ug", "ckb", "dv"})
_CJK_LANGUAGES = {"ja": "JP", "ko": "KR", "zh": "SC"}
_TRADITIONAL = re.compile(r"^zh-(?:hant|tw|hk|mo)\b", re.IGNORECASE)
_HONG_KONG = re.compile(r"^zh-(?:hant-)?(?:hk|mo)\b", re.IGNORECASE)
_KANA = re.compile(r"[\u3040-\u30FF\u31F0-\u31FF\uFF66-\uFF9F]")
_HANGUL = re.compile(r"[\u1100-\u11FF\u3130-\u318F\uAC00-\uD7AF]")
_RTL_LETTER = re.compile(r"[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]")
_OTHER_LETTER = re.compile(r"[^\W\d_\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]")
_MAX_CHARS = 20_000  # enough letters to tell; a huge document is not read twice


@dataclass(frozen=True)
class Script:
    """The document's CJK variant (``SC``, ``TC``, ``HK``, ``JP`` or ``KR``) and whether it
    reads right to left."""

    cjk: str = "SC"
    rtl: bool = False


LTR = Script()


def script_of(data: Mapping[str, Any]) -> Script:
    """The document's script: its ``meta.language`` when it names one, else its letters
    (kana: Japanese, hangul: Korean, other Han: simplified Chinese; more right-to-left
    letters than others: right to left)."""
    meta = data.get("meta")
    tag = meta.get("language") if isinstance(meta, Mapping) else None
    text = "".join(strings_of(data))[:_MAX_CHARS]
    if isinstance(tag, str) and tag.strip():
        tag = tag.strip().replace("_", "-")
        primary = tag.split("-")[0].lower()
        if primary in _RTL_LANGUAGES or primary in _CJK_LANGUAGES:
            return Script(cjk=_cjk_of_tag(tag, primary, text), rtl=primary in _RTL_LANGUAGES)
    # Counting every letter is a twentieth of a fill: a text with no right-to-left letter at
    # all (the usual one) is left to right without it.
    rtl = _RTL_LETTER.search(text) is not None and len(_RTL_LETTER.findall(text)) > len(
        _OTHER_LETTER.findall(text)
    )
    return Script(cjk=_cjk_of_text(text), rtl=rtl)


def _cjk_of_tag(tag: str, primary: str, text: str) -> str:
    if primary != "zh":
        return _CJK_LANGUAGES.get(primary) or _cjk_of_text(text)
    if _HONG_KONG.match(tag):
        return "HK"
    return "TC" if _TRADITIONAL.match(tag) else "SC"


def _cjk_of_text(text: str) -> str:
    if _KANA.search(text):
        return "JP"
    return "KR" if _HANGUL.search(text) else "SC"


def strings_of(value: Any) -> list[str]:
    """Every string in ``value`` (member names aside), depth first in the data's order
    (walked with a stack of its own: generators nested as deep as the data cost a twentieth
    of a fill)."""
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            stack.extend(reversed(item.values()))
        elif item is not None and not isinstance(item, int | float) and isinstance(item, Mapping):
            stack.extend(reversed(list(item.values())))
    return found
