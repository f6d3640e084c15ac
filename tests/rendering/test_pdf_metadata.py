"""What a rendered PDF says about itself, read back with poppler (pdfinfo, pdfinfo -meta) from
real renders on both paths: the data's date or none (never 1970), the skills as keywords, XMP
that parses and holds title and creator, the outline kept but not shown on opening, and the
same bytes for the same data. A tagged PDF when the templates are asked for one."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path
from typing import Any

import pytest

from rendering import RenderConfig, RenderOrder, RenderService, build_service
from rendering.catalogue import Catalogue
from rendering.typesetting import PdfLatexEngine
from server.settings import DEFAULT_TEMPLATES_DIR
from tests.conftest import TESTS_DIR

pytestmark = pytest.mark.tex

RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
DC = "{http://purl.org/dc/elements/1.1/}"
XMP = "{http://ns.adobe.com/xap/1.0/}"
CATALOGUE = Catalogue.load([DEFAULT_TEMPLATES_DIR])


def sample(name: str) -> dict[str, Any]:
    return copy.deepcopy(dict(CATALOGUE.get_template(name).sample))


def russian() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((TESTS_DIR / "corpus" / "russian.json").read_text())
    return data


def chinese() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((TESTS_DIR / "corpus" / "chinese.json").read_text())
    return data


def info(pdf: bytes) -> dict[str, str]:
    out = subprocess.run(
        ["pdfinfo", "-isodates", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    pairs = (line.split(":", 1) for line in out.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def xmp(pdf: bytes) -> ET.Element:
    """The XMP packet's rdf:Description, parsed."""
    out = subprocess.run(
        ["pdfinfo", "-meta", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    root = ET.fromstring(out.strip())
    description = root.find(f"{RDF}RDF/{RDF}Description")
    assert description is not None
    return description


def unpacked(pdf: bytes) -> list[bytes]:
    """The file and each of its streams inflated (object streams hold most dictionaries)."""
    texts = [pdf]
    for match in re.finditer(rb"stream\r?\n", pdf):
        try:
            texts.append(zlib.decompressobj().decompress(pdf[match.end() :]))
        except zlib.error:
            continue
    return texts


def catalog(pdf: bytes) -> str:
    """The document catalog's dictionary, found in the file or in its object streams."""
    for text in unpacked(pdf):
        starts: list[int] = []
        for mark in re.finditer(rb"<<|>>", text):
            if mark.group() == b"<<":
                starts.append(mark.start())
            elif starts:
                start = starts.pop()
                entries = text[start : mark.end()]
                if not starts and re.search(rb"/Type\s*/Catalog", entries):
                    return entries.decode("latin-1")
    raise AssertionError("no catalog found")


def is_tagged(pdf: bytes) -> bool:
    """Whether the PDF says it is tagged, in its catalog (a structure tree, marked content) and
    as poppler reads it."""
    entries = catalog(pdf)
    # /MarkInfo << /Marked true >>, written as an object of its own (so looked for anywhere).
    marked = "/MarkInfo" in entries and any(re.search(rb"/Marked\s+true", t) for t in unpacked(pdf))
    said = info(pdf)["Tagged"] == "yes"
    assert ("/StructTreeRoot" in entries) == marked == said, entries
    return said


@pytest.fixture
async def service(work_dir: Path) -> RenderService:
    config = RenderConfig(template_dirs=(DEFAULT_TEMPLATES_DIR,), work_dir=work_dir, cache_bytes=0)
    return await build_service(config)


async def render(service: RenderService, template: str, data: dict[str, Any]) -> bytes:
    return (await service.pipeline.render(RenderOrder.for_data(template, data))).body


async def test_the_resume_carries_its_own_date_keywords_and_xmp(service: RenderService) -> None:
    data = sample("resume-classic")
    assert data["meta"]["lastModified"] == "2024-05-02T09:30:00"
    pdf = await render(service, "resume-classic", data)
    fields = info(pdf)
    assert fields["CreationDate"] == fields["ModDate"] == "2024-05-02T09:30:00Z"  # poppler: UTC
    name = data["basics"]["name"]
    assert fields["Title"] == fields["Author"] == name
    assert fields["Keywords"].startswith("Data platforms, Apache Kafka, Apache Flink, Airflow")
    assert fields["Keywords"].endswith("Java, C#")
    assert b"1970" not in pdf
    meta = xmp(pdf)
    assert meta.findtext(f"{DC}title/{RDF}Alt/{RDF}li") == name
    assert meta.findtext(f"{DC}creator/{RDF}Seq/{RDF}li") == name
    assert meta.findtext(f"{DC}description/{RDF}Alt/{RDF}li") == data["basics"]["label"]
    subjects = [li.text for li in meta.iterfind(f"{DC}subject/{RDF}Bag/{RDF}li")]
    assert subjects[:3] == ["Data platforms", "Apache Kafka", "Apache Flink"]
    assert meta.findtext(f"{XMP}CreateDate") == "2024-05-02T09:30:00"
    assert meta.findtext("{http://ns.adobe.com/pdf/1.3/}Producer") == fields["Producer"]
    # The outline is there, the viewer opens on the page alone.
    entries = catalog(pdf)
    assert "/Outlines" in entries
    assert re.search(r"/PageMode\s*/UseNone", entries)
    assert "/Metadata" in entries


def xref_is_right(pdf: bytes) -> bool:
    """Whether each entry of the (last, classic) cross-reference table points at its object."""
    table = pdf[int(pdf[pdf.rindex(b"startxref") + 9 :].split()[0]) :].split(b"\n")
    first, count = map(int, table[1].split())
    entries = [line.split() for line in table[2 : 2 + count]]
    return all(
        pdf[int(offset) :].startswith(b"%d 0 obj" % number)
        for number, (offset, _, kind) in enumerate(entries, start=first)
        if kind == b"n"
    )


@pytest.mark.parametrize("template", ["resume-classic", "resume-modern", "cover-letter"])
async def test_without_a_date_the_pdf_has_none(service: RenderService, template: str) -> None:
    data = sample(template)
    data.pop("meta", None)
    data.pop("date", None)
    pdf = await render(service, template, data)
    fields = info(pdf)
    assert "CreationDate" not in fields
    assert "ModDate" not in fields
    assert xmp(pdf).find(f"{XMP}CreateDate") is None
    assert re.search(r"/PageMode\s*/UseNone", catalog(pdf))


async def test_without_a_date_the_unicode_path_has_none_either(service: RenderService) -> None:
    data = chinese()
    assert "lastModified" not in data["meta"]
    rendered = await service.pipeline.render(RenderOrder.for_data("resume-classic", data))
    assert rendered.engine == "xelatex"
    assert "CreationDate" not in info(rendered.body)
    assert b"19700101" not in rendered.body
    assert xref_is_right(rendered.body)  # blanked in place: every offset still right
    assert info(rendered.body)["Title"] == data["basics"]["name"]
    assert info(rendered.body)["Pages"] == "1"


async def test_the_letter_is_dated_by_its_date(service: RenderService) -> None:
    data = sample("cover-letter")
    data["date"] = "2026-11-30"
    pdf = await render(service, "cover-letter", data)
    fields = info(pdf)
    assert fields["CreationDate"].startswith("2026-11-30")
    assert fields["Title"] == data["subject"]
    assert xmp(pdf).findtext(f"{XMP}CreateDate") == "2026-11-30"


@pytest.mark.parametrize(
    ("data", "name", "engine"),
    [
        (chinese(), "陈静怡 {陈} & <Co> #1 100%", "xelatex"),
        # Cyrillic on the fast path: its runs are wrapped in \trCyr, which the metadata drops.
        (russian(), "Екатерина {Соловьёва} & <Co> #1 100%", ""),
    ],
    ids=["unicode-path", "cyrillic-fast-path"],
)
async def test_another_script_carries_the_same(
    service: RenderService, data: dict[str, Any], name: str, engine: str
) -> None:
    data["meta"]["lastModified"] = "2025-03-04T10:20:30+03:00"
    data["basics"]["name"] = name
    rendered = await service.pipeline.render(RenderOrder.for_data("resume-classic", data))
    assert rendered.engine == engine
    fields = info(rendered.body)
    assert fields["CreationDate"].startswith("2025-03-04T10:20:30")
    assert fields["Title"] == data["basics"]["name"]
    assert data["skills"][0]["keywords"][-1] in fields["Keywords"]
    meta = xmp(rendered.body)
    assert meta.findtext(f"{DC}title/{RDF}Alt/{RDF}li") == data["basics"]["name"]
    assert meta.findtext(f"{XMP}CreateDate") == "2025-03-04T10:20:30+03:00"
    assert re.search(r"/PageMode\s*/UseNone", catalog(rendered.body))
    again = await service.pipeline.render(RenderOrder.for_data("resume-classic", data))
    assert again.body == rendered.body


async def test_the_same_data_gives_the_same_bytes(service: RenderService) -> None:
    data = sample("resume-classic")
    first = await render(service, "resume-classic", data)
    second = await render(service, "resume-classic", copy.deepcopy(data))
    assert first == second
    data["meta"]["lastModified"] = "2024-05-03"
    assert await render(service, "resume-classic", data) != first


@pytest.mark.parametrize(("engine", "unicode"), [("pdflatex", False), ("xelatex", True)])
async def test_a_tagged_pdf_when_asked(work_dir: Path, engine: str, unicode: bool) -> None:
    template = CATALOGUE.get_template("resume-classic")
    data = russian() if unicode else sample("resume-classic")
    assert "DocumentMetadata" not in template.to_tex(data, unicode=unicode)
    source = template.to_tex(data, unicode=unicode, tagged=True)
    assert source.startswith("\\DocumentMetadata{")
    tex = PdfLatexEngine(engine, work_root=work_dir)
    first = await tex.compile(source, timeout_s=60)
    assert is_tagged(first.pdf)
    structure = subprocess.run(
        ["pdfinfo", "-struct", "-"], input=first.pdf, capture_output=True, check=True
    ).stdout.decode()
    assert structure.startswith("Document")
    assert "Link (inline)" in structure
    # Still this document's metadata only, and still deterministic.
    assert xmp(first.pdf).findtext(f"{DC}creator/{RDF}Seq/{RDF}li") == data["basics"]["name"]
    second = await tex.compile(source, timeout_s=60)
    assert second.pdf == first.pdf


async def test_the_xmp_language_is_the_documents_pdflang(work_dir: Path) -> None:
    template = CATALOGUE.get_template("resume-classic")
    source = template.to_tex(sample("resume-classic"))
    tex = PdfLatexEngine("pdflatex", work_root=work_dir)
    # The sample is English (no meta.language, Latin letters): its /Lang and dc:language say so.
    english = await tex.compile(source, timeout_s=60)
    assert xmp(english.pdf).findtext(f"{DC}language/{RDF}Bag/{RDF}li") == "en"
    unset = source.replace("\\hypersetup{pdflang={en}}", "")
    assert unset != source
    assert xmp((await tex.compile(unset, timeout_s=60)).pdf).find(f"{DC}language") is None
    marked = source.replace("\n\\begin{document}", "\n\\hypersetup{pdflang=pl-PL}\\begin{document}")
    assert marked != source
    compiled = await tex.compile(marked, timeout_s=60)
    assert xmp(compiled.pdf).findtext(f"{DC}language/{RDF}Bag/{RDF}li") == "pl-PL"
