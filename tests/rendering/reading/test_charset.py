"""rendering.reading._charset: which characters resume-classic can typeset, and what happens to
the rest.

The unit tests pin the API down; the `tex` tests prove the measured table on this machine's TeX:
every character it lists typesets (in every font shape the template uses, with a missing glyph
counted as an error), a sample of those it leaves out stops TeX with "not set up", and a fresh
probe finds the same table. On a newer TeX Live, which may define more characters, the first two
still pass (the table is then a subset) and the probe comparison only checks that subset.
"""

from __future__ import annotations

import ast
import io
import itertools
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rendering.catalogue import Catalogue
from rendering.errors import TexError
from rendering.filling import escape_latex
from rendering.reading import _charset as charset
from rendering.typesetting import PdfLatexEngine, unsupported_character
from tests.conftest import TESTS_DIR, pdf_text
from tools import charset_table

TEMPLATES = TESTS_DIR.parent / "templates"
CHARSET_SOURCE = Path(charset.__file__)
EMOJI_DATA = Path("/usr/share/texlive/texmf-dist/tex/generic/unicode-data/emoji-data.txt")

needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is needed")


def expand(ranges: charset.Ranges) -> list[int]:
    return [cp for first, last in ranges for cp in range(first, last + 1)]


MEASURED = expand(charset.MEASURED_RANGES)
SETTABLE = sorted(charset.T1_TEXT)
# What escape_latex removes or rewrites, so that it never reaches TeX as itself.
ESCAPER_HANDLED = [
    *range(0x00, 0x09), 0x0B, 0x0C, 0x0D, *range(0x0E, 0x20), 0x7F, *range(0x80, 0xA0),
    0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0x2028, 0x2029,
]  # fmt: skip


def can_set(char: str) -> bool:
    """Whether the template typesets ``char`` as given (not NFC-normalised, as the data is):
    U+212B ANGSTROM SIGN, say, is not settable, though it passes in data as "Å"."""
    return ord(char) in charset.T1_TEXT


def is_pictograph(char: str) -> bool:
    """Whether reading drops ``char`` as an emoji or pictograph (with a warning) rather than
    fail on it."""
    return charset.drop_pictographs(char)[1] == (char,)


def preamble() -> str:
    """resume-classic up to (not including) its ``\\endofdump`` line."""
    tex = Catalogue.load([TEMPLATES])["resume-classic"].to_tex({})
    head, marker, _ = tex.partition("\n\\endofdump\n")
    assert marker, "resume-classic has no \\endofdump line"
    return head


# --- The table ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ranges", [charset.MEASURED_RANGES, charset.INVISIBLE_RANGES, charset.PICTOGRAPH_RANGES]
)
def test_tables_are_sorted_disjoint_ranges(ranges: charset.Ranges) -> None:
    assert all(first <= last for first, last in ranges)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(ranges))


def test_measured_table_is_merged_and_written_as_the_regenerator_prints_it() -> None:
    assert charset.to_ranges(MEASURED) == charset.MEASURED_RANGES
    assert min(MEASURED) > 0x7F, "ASCII needs no utf8 definition"
    printed = charset_table.format_ranges(charset.MEASURED_RANGES)
    assert ast.literal_eval(printed) == charset.MEASURED_RANGES
    # What `python -m tools.charset_table table` prints pastes over the literal as it stands.
    assert f"MEASURED_RANGES: Ranges = {printed}  # fmt: skip" in CHARSET_SOURCE.read_text()


def test_settable_set_is_ascii_text_plus_the_nfc_stable_measurements() -> None:
    ascii_text = {0x09, 0x0A, *range(0x20, 0x7F)}
    assert set(MEASURED) - charset.T1_TEXT == {0x2126}  # OHM SIGN: NFC makes it Greek Omega
    assert ascii_text | (set(MEASURED) - {0x2126}) == charset.T1_TEXT


def test_every_code_point_is_judged_as_the_escaper_will_pass_it_to_tex() -> None:
    """unsupported() on one character agrees with the table after NFC, for all of Unicode."""
    passes = charset.T1_TEXT | set(ESCAPER_HANDLED) | set(range(0xD800, 0xE000))
    for cp in range(sys.maxunicode + 1):
        char = chr(cp)
        tex_gets = unicodedata.normalize("NFC", char)
        expected = {c for c in tex_gets if ord(c) not in passes}
        assert charset.unsupported(char) == expected, charset.character_name(char)


# --- Settable or not ---------------------------------------------------------------------------


@pytest.mark.parametrize("char", "éñłőßœ€“”–—…«»‰°ŁØÆçšžğışșț„‚‹›•†‡§¶©®™№¢£¥←→↑↓♪ﬁ\u00a0\u200b")  # noqa: RUF001
def test_latin_and_typographic_characters_are_settable(char: str) -> None:
    assert can_set(char)
    assert charset.unsupported(f"x{char}y") == set()
    assert not is_pictograph(char)


@pytest.mark.parametrize(
    "char",
    ["★", "😀", "🇩", "🇪", "Я", "α", "中", "ạ", "↔", "≤", "∞", "√", "Ω", "\u200d"],  # noqa: RUF001
)
def test_other_scripts_and_symbols_are_not(char: str) -> None:
    assert not can_set(char)
    assert charset.unsupported(f"x{char}y") == {char}


def test_ascii_is_always_fine() -> None:
    printable = "".join(map(chr, range(0x20, 0x7F)))
    assert all(map(can_set, printable + "\t\n"))
    every_ascii = "".join(map(chr, range(0x80)))
    assert charset.unsupported(every_ascii) == set()
    assert charset.strip_invisible(every_ascii) is every_ascii
    assert charset.drop_pictographs(every_ascii) == (every_ascii, ())
    assert charset.check_text(every_ascii) == (every_ascii, (), frozenset())


def test_unsupported_lists_every_offending_character_once() -> None:
    assert charset.unsupported("Привет, мир! Jürgen") == set("Приветмир")
    assert charset.unsupported("中文 " * 1000) == {"中", "文"}


def test_unsupported_normalises_like_the_escaper() -> None:
    assert charset.unsupported("Rene\u0301e") == set()  # e + COMBINING ACUTE ACCENT is é
    assert charset.unsupported("q\u0307") == {"\u0307"}  # no precomposed q with dot above
    assert charset.unsupported("5 k\u2126") == {"\u03a9"}  # OHM SIGN: TeX gets GREEK OMEGA
    assert not can_set("\u2126")
    assert charset.unsupported("\u212b") == set()  # ANGSTROM SIGN: TeX gets Å
    assert charset.unsupported("\u2329x\u232a") == set()  # deprecated angle brackets -> 3008/9


@pytest.mark.parametrize("cp", ESCAPER_HANDLED)
def test_what_the_escaper_removes_is_not_reported(cp: int) -> None:
    char = chr(cp)
    assert charset.unsupported(f"é{char}é") == set()
    # ... because escape_latex really leaves nothing of it but ASCII.
    assert escape_latex(f"a{char}b").isascii()


settable_text = st.text(alphabet=st.sampled_from([chr(cp) for cp in SETTABLE]), max_size=60)


@given(settable_text)
def test_settable_text_stays_settable_through_the_escaper(text: str) -> None:
    assert charset.unsupported(text) == set()
    assert set(unicodedata.normalize("NFC", text)) <= set(map(chr, SETTABLE))
    assert charset.unsupported(escape_latex(text)) == set()


# --- Invisible characters ----------------------------------------------------------------------


def test_invisible_characters_are_stripped() -> None:
    text = "a\u200db\ufe0fc\U000e0067d\u2060e\ufefff\u200eg\u202eh\U000e0100i\u034fj"
    assert charset.strip_invisible(text) == "abcdefghij"
    assert charset.unsupported(charset.strip_invisible("Zoë\u200d\ufe0f")) == set()


def test_meaningful_zero_width_characters_are_kept() -> None:
    for char in ("\u200b", "\u200c", "\u00ad"):
        assert char not in charset.INVISIBLE
        assert charset.strip_invisible(f"a{char}b") == f"a{char}b"


def test_strip_invisible_returns_the_same_string_when_there_is_nothing_to_strip() -> None:
    text = "Łódź – “quoted” 😀"  # noqa: RUF001
    assert charset.strip_invisible(text) is text


def test_invisible_set_matches_its_ranges() -> None:
    assert set(map(chr, expand(charset.INVISIBLE_RANGES))) == charset.INVISIBLE
    assert {"\u200d", "\u2060", "\ufeff", "\ufe0f", "\U000e0020", "\U000e01ef"} <= (
        charset.INVISIBLE
    )
    assert not any(map(is_pictograph, charset.INVISIBLE))


# --- Pictographs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "char",
    [
        "★", "☎", "✉", "✓", "✔", "✗", "❤", "❶", "⭐", "▶", "‼", "ℹ", "⌚", "\u20e3",  # BMP  # noqa: RUF001
        "😀", "🎉", "🇩", "🇪", "🏽", "🃏", "🅰", "🜁", "🧑", "🫠",  # U+1F000..U+1FAFF
        "\U0001fae8", "\U0001fc00",  # not yet assigned when Python's Unicode data was made
    ],
)  # fmt: skip
def test_pictographs(char: str) -> None:
    assert is_pictograph(char)
    assert not can_set(char)


@pytest.mark.parametrize(
    "char",
    ["♪", "©", "®", "™", "→", "↔", "↩", "⤴", "Я", "α", "中", "é", "a", " ", "\u200d"],  # noqa: RUF001
)
def test_settable_characters_arrows_and_letters_are_not_pictographs(char: str) -> None:
    assert not is_pictograph(char)


@pytest.mark.skipif(not EMOJI_DATA.is_file(), reason="TeX Live's emoji-data.txt is not installed")
def test_pictograph_ranges_are_derived_from_extended_pictographic() -> None:
    extended: set[int] = set()
    for line in EMOJI_DATA.read_text(encoding="utf-8").splitlines():
        fields = [field.strip() for field in line.split("#", 1)[0].split(";")]
        if len(fields) == 2 and fields[1] == "Extended_Pictographic":
            first, _, last = fields[0].partition("..")
            extended.update(range(int(first, 16), int(last or first, 16) + 1))
    arrows = {*range(0x2190, 0x2200), *range(0x2900, 0x2980)}
    blocks = {*range(0x2600, 0x27C0), *range(0x1F000, 0x1FB00), 0x20E3}
    assert set(expand(charset.PICTOGRAPH_RANGES)) == (extended - arrows) | blocks


def test_drop_pictographs_removes_whole_emoji_sequences_once_invisibles_are_gone() -> None:
    text = charset.strip_invisible("Go 🇩🇪 team 👍🏽! ❤️ 1️⃣ 👨‍👩‍👧 🏴󠁧󠁢󠁳󠁣󠁴󠁿 ✓ ♪ 🇩🇪")
    kept, dropped = charset.drop_pictographs(text)
    assert kept == "Go  team !  1    ♪ "
    assert dropped == ("🇩", "🇪", "👍", "🏽", "❤", "\u20e3", "👨", "👩", "👧", "🏴", "✓")
    assert charset.unsupported(kept) == set()


def test_drop_pictographs_returns_the_same_string_when_there_is_none() -> None:
    text = "Łódź ↔ Kraków ♪"
    assert charset.drop_pictographs(text) == (text, ())
    assert charset.drop_pictographs(text)[0] is text


def test_check_text_does_all_three() -> None:
    checked = charset.check_text("\ufeffIvan 🚀 Иван\u200d")
    assert checked.text == "Ivan  Иван"
    assert checked.dropped == ("🚀",)
    assert checked.unsupported == frozenset("Иван")
    plain = "Jürgen Łukasz – “quoted”"  # noqa: RUF001
    assert charset.check_text(plain) == (plain, (), frozenset())
    assert charset.check_text(plain).text is plain


# Settable characters, and a few of every kind check_text acts on or reports.
_mixed_text = st.text(
    alphabet=st.one_of(
        st.sampled_from([chr(cp) for cp in SETTABLE]),
        st.sampled_from("\ufeff\u200d\ufe0f🚀★Яαω中\u0301\u2126\x07\u2028"),
    ),
    max_size=12,
)


@given(st.lists(_mixed_text, max_size=5))
def test_what_passes_untouched_joined_passes_string_by_string(texts: list[str]) -> None:
    """A document's strings joined are looked at in one scan: it must answer for each."""
    for fast in (False, True):
        untouched = [charset.passes_untouched(t, cyrillic_greek=fast) for t in texts]
        assert charset.passes_untouched("".join(texts), cyrillic_greek=fast) == all(untouched)
        for text, passes in zip(texts, untouched, strict=True):
            checked = charset.check_text(text, cyrillic_greek=fast)
            if passes:
                assert checked == (text, (), frozenset())
                assert charset.strip_invisible(text) == text
                assert charset.unsupported(text, cyrillic_greek=fast) == set()


def test_passes_untouched() -> None:
    assert charset.passes_untouched("Jürgen Łukasz – “quoted”")  # noqa: RUF001
    assert not charset.passes_untouched("Иван")
    assert charset.passes_untouched("Иван", cyrillic_greek=True)
    for other in ("\ufeffAda", "Ada 🚀", "中文", "Ada\u200d"):
        assert not charset.passes_untouched(other, cyrillic_greek=True), other


# --- Messages ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("char", "description"),
    [
        ("★", "U+2605 BLACK STAR"),
        ("😀", "U+1F600 GRINNING FACE"),
        ("中", "U+4E2D CJK UNIFIED IDEOGRAPH-4E2D"),
        ("\x07", "U+0007 <control>"),
        ("\ue000", "U+E000 <private use>"),
        ("\ud800", "U+D800 <surrogate>"),
        ("\u0378", "U+0378 <unassigned>"),
    ],
)
def test_character_name(char: str, description: str) -> None:
    assert charset.character_name(char) == description


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("Иван Петров", "Cyrillic"),
        ("αβγ", "Greek"),
        ("中文简历", "CJK"),
        ("こんにちは", "Japanese"),
        ("한국어", "Korean"),
        ("שלום", "Hebrew"),
        ("مرحبا", "Arabic"),
        ("नमस्ते", "Devanagari"),  # vowel signs count with their letters
        ("Иван ★😀", "Cyrillic"),  # symbols and pictographs do not count
        ("Яα中", None),  # no majority
        ("Яαβ", "Greek"),
        ("ạẹ", None),  # Latin letters T1 lacks: no other script to blame
        ("★😀", None),
        ("𝐀𝐁𝐂", None),  # mathematical letters are no script  # noqa: RUF001
        ("", None),
    ],
)
def test_script_hint(text: str, hint: str | None) -> None:
    assert charset.script_hint(charset.unsupported(text)) == hint


# --- Regeneration helpers ----------------------------------------------------------------------


def test_probe_source_tests_each_candidate_by_its_u8_macro() -> None:
    source = charset_table.probe_source("PREAMBLE\n", [(0xE9, 0xE9), (0xD7FF, 0xE000)])
    assert source.startswith("PREAMBLE\n")
    assert r"\ifcsname u8:\detokenize{#1}\endcsname" in source
    assert "\\charsetProbe{é}{00E9}\n" in source
    assert "{D7FF}" in source
    assert "{E000}" in source
    assert "{D800}" not in source
    assert source.rstrip().endswith(r"\end{document}")


def test_parse_probe_log_merges_the_marks() -> None:
    log = "CHARSET-DEFINED 00E9\nnoise CHARSET-DEFINED 00E8\nCHARSET-DEFINED 00EA\n"
    log += "CHARSET-DEFINED 1F600\n"
    assert charset_table.parse_probe_log(log) == ((0xE9, 0xEA), (0x1F600, 0x1F600))


def test_main_prints_a_probe_and_a_table(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    charset_table.main(["probe"])
    assert "\\charsetProbe{é}{00E9}" in capsys.readouterr().out
    log = b"CHARSET-DEFINED 00E9\nCHARSET-DEFINED 00EA\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(log)))
    charset_table.main(["table"])
    assert capsys.readouterr().out == "(\n    (0x00E9, 0x00EA),\n)\n"
    with pytest.raises(SystemExit):
        charset_table.main(["tables"])


# --- Against the real TeX ----------------------------------------------------------------------


def lines_of(chars: list[str], per_line: int = 40) -> str:
    return "\n".join(" ".join(chars[i : i + per_line]) for i in range(0, len(chars), per_line))


@pytest.mark.tex
@needs_pdflatex
async def test_every_character_the_table_lists_typesets(tmp_path: Path) -> None:
    """One document: each measured character, raw, in every shape the template uses and in the
    PDF metadata, then all of T1_TEXT through escape_latex. A glyph missing from a font is an
    error too (\\tracinglostchars=3), so "compiles" means "prints"."""
    raw = lines_of([chr(cp) for cp in MEASURED])
    shapes = ["", r"\bfseries", r"\itshape", r"\bfseries\itshape", r"\scshape", r"\footnotesize"]
    body = "\n".join(f"{{{shape}\n{raw}\\par}}" for shape in shapes)
    escaped = escape_latex(" ".join(chr(cp) for cp in SETTABLE))
    source = "\n".join(
        [
            preamble(),
            r"\tracinglostchars=3",
            f"\\hypersetup{{pdftitle={{{raw}}}}}",
            r"\begin{document}",
            body,
            f"\\trUrl{{{raw}}}\\par",
            f"\\section{{{raw}}}",
            escaped,
            r"\end{document}",
            "",
        ]
    )
    engine = PdfLatexEngine(work_root=tmp_path)
    result = await engine.compile(source, timeout_s=60)
    assert result.pdf.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = pdf_text(result.pdf)
        for char in "ł€“”–—«»‰°ß":  # noqa: RUF001 (… comes out as three periods)
            assert char in text


@pytest.mark.tex
@needs_pdflatex
@pytest.mark.parametrize(
    ("char", "reported"),
    [
        ("\u0416", "\u0416"),  # CYRILLIC CAPITAL LETTER ZHE
        ("\u03b1", "\u03b1"),  # GREEK SMALL LETTER ALPHA
        ("\u4e2d", "\u4e2d"),  # CJK UNIFIED IDEOGRAPH-4E2D
        ("\u2605", "\u2605"),  # BLACK STAR
        ("\u2126", "\u03a9"),  # OHM SIGN: settable, but the escaper's NFC makes it Omega
    ],
)
async def test_characters_the_table_leaves_out_stop_tex(
    tmp_path: Path, char: str, reported: str
) -> None:
    assert charset.unsupported(char) == {reported}
    source = f"{preamble()}\n\\begin{{document}}\nx {escape_latex(char)} x\n\\end{{document}}\n"
    engine = PdfLatexEngine(work_root=tmp_path)
    with pytest.raises(TexError) as caught:
        await engine.compile(source, timeout_s=60)
    assert unsupported_character(caught.value.tex) == reported


@pytest.mark.tex
@needs_pdflatex
def test_a_fresh_probe_finds_the_table(tmp_path: Path) -> None:
    """probe_source run through pdflatex finds exactly the table on TeX Live 2022 (where it was
    measured), and at least the table on any other release."""
    (tmp_path / "probe.tex").write_text(charset_table.probe_source(preamble()), encoding="utf-8")
    subprocess.run(
        ["pdflatex", "-no-shell-escape", "-interaction=batchmode", "probe.tex"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        timeout=60,
        check=True,
    )
    log = (tmp_path / "probe.log").read_text(encoding="utf-8", errors="replace")
    found = set(expand(charset_table.parse_probe_log(log)))
    version = subprocess.run(
        ["pdflatex", "--version"], capture_output=True, text=True, check=True
    ).stdout
    if re.search(r"TeX Live 2022\b", version):
        assert found == set(MEASURED)
    else:
        assert found >= set(MEASURED)
