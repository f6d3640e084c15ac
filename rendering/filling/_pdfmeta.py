"""What a PDF says about itself: its document information (title, author, subject, keywords,
dates, producer) and the same as XMP metadata, written as TeX after a template's fixed preamble.

* Dates come from the data only (JSON Resume's ``meta.lastModified``, a letter's ``date``), so
  the same data still gives the same bytes. Without one the PDF has no date: pdfTeX is told to
  leave its own out (``\\pdfinfoomitdate``), which would otherwise be the fixed epoch of
  ``SOURCE_DATE_EPOCH`` (1 January 1970).
* Keywords (a résumé's skills) are bounded: hyperref's ``\\pdfstringdef`` takes time quadratic
  in the length of what it is given (measured on the sample résumé: 250 characters cost pdfTeX
  8 ms, 500 characters 27 ms, 1,000 a tenth of a second).
* The XMP packet is built here rather than by hyperxmp, which writes three 1970 dates, its
  format's file name as ``dc:source`` and 8 KB of PDF/A schema descriptions into every file.
  It reaches TeX as ASCII: XML character references for everything else, and TeX's specials
  as the category-12 copies of ``texrender_helpers`` (``\\trAmp``, ``\\trHash``), so no data
  can become TeX or break out of the stream. Its language is hyperref's ``pdflang`` when the
  document sets one (read by TeX when the first page is shipped out).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..errors import clip
from ._escape import escape_latex
from ._unicode import unicode_script

FIELD_CHARS = 120  # title, author, subject: what a title bar shows
KEYWORDS_CHARS = 250  # the whole keyword list; one keyword is at most FIELD_CHARS
CREATOR = "texrender"

_ISO = re.compile(
    r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?)?)?)?",
    re.ASCII,
)


@dataclass(frozen=True)
class DocumentDate:
    """A date read from the data, in the two forms a PDF holds it."""

    pdf: str  # D:20240502093000Z, for the document information
    xmp: str  # 2024-05-02T09:30:00Z, for XMP


def document_date(value: object) -> DocumentDate | None:
    """``2024``, ``2024-05``, ``2024-05-02``, or a date and time (``2024-05-02T09:30:00``,
    seconds, fraction and offset optional) as a PDF date; None for anything else (a date that
    does not exist included)."""
    if not isinstance(value, str):
        return None
    match = _ISO.fullmatch(value.strip())
    if match is None:
        return None
    parts = match.groupdict()
    year, month, day = int(parts["y"]), int(parts["m"] or 1), int(parts["d"] or 1)
    hour, minute, second = int(parts["H"] or 0), int(parts["M"] or 0), int(parts["S"] or 0)
    try:
        datetime.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    if not 1000 <= year <= 2999:
        return None
    pdf, xmp = f"D:{year:04d}", f"{year:04d}"
    for key, sep in (("m", "-"), ("d", "-"), ("H", "T"), ("M", ":"), ("S", ":")):
        if parts[key] is None:
            break
        pdf += parts[key]
        xmp += sep + parts[key]
    if parts["H"] is not None and parts["S"] is None:
        xmp += ":00"  # XMP has minutes only with seconds
    zone = parts["tz"]
    if zone is not None:
        if zone == "Z":
            pdf, xmp = pdf + "Z", xmp + "Z"
        else:
            hours, minutes = zone[1:3], zone[-2:]
            if int(hours) > 23 or int(minutes) > 59:
                return None
            pdf += f"{zone[0]}{hours}'{minutes}'"
            xmp += f"{zone[0]}{hours}:{minutes}"
    return DocumentDate(pdf, xmp)


def _line(value: object, limit: int = FIELD_CHARS) -> str:
    """One line of text, at most ``limit`` characters; "" for what is not text or a number."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return clip(" ".join(str(value).split()), limit)


class Keywords(list[str]):
    """Keywords already bounded (:func:`bounded_keywords`, at :data:`KEYWORDS_CHARS`): bounded
    again they are the same, so :func:`metadata_tex` takes them as they are."""


def skill_keywords(skills: object, limit: int = KEYWORDS_CHARS) -> list[str]:
    """The keywords of a résumé: each skill's name, then its keywords, in the data's order,
    each once (case ignored), as many as fit in ``limit`` characters joined by ", "."""
    if isinstance(skills, str | Mapping) or not isinstance(skills, Iterable):
        return []
    words: list[object] = []
    for skill in skills:
        if not isinstance(skill, Mapping):
            continue
        given = skill.get("keywords")
        listed = given if isinstance(given, list) else []
        words += [skill.get("name"), *listed]
    return bounded_keywords(words, limit)


def bounded_keywords(words: Iterable[object], limit: int = KEYWORDS_CHARS) -> list[str]:
    """``words`` as keywords: one line each, each once (case ignored), the first that fit in
    ``limit`` characters joined by ", " (as :class:`Keywords` at the usual limit)."""
    seen: set[str] = set()
    kept: list[str] = []
    length = 0
    for word in words:
        text = _line(word)
        key = text.casefold()
        if not text or key in seen:
            continue
        added = len(text) + (2 if kept else 0)
        if length + added > limit:
            break
        seen.add(key)
        kept.append(text)
        length += added
    return Keywords(kept) if limit == KEYWORDS_CHARS else kept


# XML text: the three markup characters by name; anything that is not plain ASCII, or that TeX
# or a PDF string would read (\ { } $ ^ _ ~ % ( ) and the quotes), by number; / too, so that
# data never reads as a PDF name ("/Type /Page") in the uncompressed stream. What is left is
# ASCII that means nothing to TeX but & and #, which become texrender's category-12 copies.
_XML_NAMED = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_XML_NOT_PLAIN = re.compile(r"[^A-Za-z0-9 .,:;!?*+=|@-]")


def _xml_text(text: str) -> str:
    # One substitution over the characters that are not plain, rather than a test of each.
    return _XML_NOT_PLAIN.sub(_xml_character, text)


def _xml_character(match: re.Match[str]) -> str:
    char = match.group()
    return _XML_NAMED.get(char) or f"&#x{ord(char):X};"


def _tex_ascii(xml: str) -> str:
    """XML that is ASCII, as TeX that expands to it (inside ``\\pdfobj`` or ``\\special``)."""
    return xml.replace("&", r"\trAmp ").replace("#", r"\trHash ")


_NAMESPACES = (
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
    'xmlns:pdf="http://ns.adobe.com/pdf/1.3/"'
)
# The language: hyperref's \@pdflang (unset: \relax), read when the packet is written.
_LANGUAGE = (
    r"\expandafter\ifx\csname @pdflang\endcsname\relax\else"
    r"<dc:language><rdf:Bag><rdf:li>\csname @pdflang\endcsname</rdf:li></rdf:Bag>"
    r"</dc:language>\fi"
)


def xmp_packet(
    title: str, author: str, subject: str, keywords: list[str], date: DocumentDate | None
) -> str:
    """The XMP packet as TeX source (one line per property; see the module's docstring)."""

    def alt(name: str, text: str) -> str:
        return (
            f'<dc:{name}><rdf:Alt><rdf:li xml:lang="x-default">{_xml_text(text)}</rdf:li>'
            f"</rdf:Alt></dc:{name}>"
        )

    lines = [
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>',
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
        f'<rdf:Description rdf:about="" {_NAMESPACES}>',
        "<dc:format>application/pdf</dc:format>",
    ]
    if title:
        lines.append(alt("title", title))
    if author:
        lines.append(
            f"<dc:creator><rdf:Seq><rdf:li>{_xml_text(author)}</rdf:li></rdf:Seq></dc:creator>"
        )
    if subject:
        lines.append(alt("description", subject))
    if keywords:
        items = "".join(f"<rdf:li>{_xml_text(k)}</rdf:li>" for k in keywords)
        lines.append(f"<dc:subject><rdf:Bag>{items}</rdf:Bag></dc:subject>")
        lines.append(f"<pdf:Keywords>{_xml_text(', '.join(keywords))}</pdf:Keywords>")
    lines.append(_LANGUAGE)
    lines.append(r"<pdf:Producer>\trProducer</pdf:Producer>")
    lines.append(f"<xmp:CreatorTool>{CREATOR}</xmp:CreatorTool>")
    if date is not None:
        for name in ("CreateDate", "ModifyDate", "MetadataDate"):
            lines.append(f"<xmp:{name}>{date.xmp}</xmp:{name}>")
    lines += ["</rdf:Description>", "</rdf:RDF>", "</x:xmpmeta>", '<?xpacket end="r"?>']
    return "\n".join(_tex_ascii(line) if "\\" not in line else line for line in lines)


# The producer, the same in the document information and in XMP.
_PRODUCER_PDFTEX = (
    r"\edef\trProducer{pdfTeX-1.\the\numexpr\pdftexversion-100\relax.\pdftexrevision}"
)
_PRODUCER_XETEX = r"\edef\trProducer{XeTeX-\the\XeTeXversion\XeTeXrevision\space(xdvipdfmx)}"

# The packet goes into the PDF as the first page is shipped out: by then every \hypersetup of
# the document has been read. pdfTeX writes it uncompressed (readers that do not parse PDF find
# it); xdvipdfmx through its stream special.
_EMBED_PDFTEX = (
    r"\AddToHook{shipout/firstpage}{\begingroup\pdfcompresslevel=0\relax"
    "\n\\immediate\\pdfobj stream attr{/Type/Metadata/Subtype/XML}{%\n{packet}}%"
    "\n\\pdfcatalog{/Metadata \\the\\pdflastobj\\space 0 R}\\endgroup}"
)
_EMBED_XETEX = (
    r"\AddToHook{shipout/firstpage}{\special{pdf:stream @trXmp (%"
    "\n{packet})<</Type/Metadata/Subtype/XML>>}%"
    "\n\\special{pdf:put @catalog <</Metadata @trXmp>>}}"
)


def metadata_tex(
    *,
    title: object = None,
    author: object = None,
    subject: object = None,
    keywords: Iterable[object] = (),
    date: object = None,
) -> str:
    """The TeX (after ``\\endofdump``, before ``\\begin{document}``) that gives the PDF its
    document information and XMP metadata. Values that are not text are left out."""
    title_text, author_text, subject_text = _line(title), _line(author), _line(subject)
    words = keywords if isinstance(keywords, Keywords) else bounded_keywords(keywords)
    when = document_date(date)
    xetex = unicode_script() is not None
    fields = [
        ("pdftitle", title_text),
        ("pdfauthor", author_text),
        ("pdfsubject", subject_text),
        ("pdfkeywords", ", ".join(words)),
    ]
    setup = [f"{key}={{{escape_latex(text)}}}" for key, text in fields if text]
    if when is not None:
        setup += [f"pdfcreationdate={{{when.pdf}}}", f"pdfmoddate={{{when.pdf}}}"]
    setup.append(r"pdfproducer={\trProducer}")
    lines = [
        # pdfTeX's own dates would be SOURCE_DATE_EPOCH's; hyperref writes the data's.
        r"\ifdefined\pdfinfoomitdate\pdfinfoomitdate=1\relax\fi",
        _PRODUCER_XETEX if xetex else _PRODUCER_PDFTEX,
        r"\hypersetup{" + ",%\n".join(setup) + "}",
        (_EMBED_XETEX if xetex else _EMBED_PDFTEX).replace(
            "{packet}", xmp_packet(title_text, author_text, subject_text, words, when)
        ),
    ]
    return "\n".join(lines) + "\n"
