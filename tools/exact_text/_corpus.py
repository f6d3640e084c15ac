"""The corpus: résumé files in many scripts and shapes, each with the script it is counted
under, and the data each template is given for it.

The files are JSON Resume documents written for texrender (no real person's data). The
résumé templates take a file as it is; the cover letter takes a letter made from the same file
(:func:`as_letter`), so every file goes through every template.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CORPUS_DIR = Path(__file__).resolve().parents[2] / "tests" / "corpus"

# The script each file is counted under: what a font and an extractor have to get right.
SCRIPTS: dict[str, str] = {
    "european-accents.json": "Latin",
    "long-career.json": "Latin",
    "long-resume.json": "Latin",
    "real-shapes.json": "Latin",
    "typography-markup.json": "Latin",
    "french.json": "Latin",
    "maori-macrons.json": "Latin, composed accents",
    "romanian.json": "Latin, composed accents",
    "baltic.json": "Latin, composed accents",
    "vietnamese.json": "Vietnamese",
    "russian.json": "Cyrillic",
    "ukrainian.json": "Cyrillic",
    "greek.json": "Greek",
    "chinese.json": "Chinese",
    "japanese.json": "Japanese",
    "korean.json": "Korean",
    "arabic.json": "Arabic",
    "hebrew.json": "Hebrew",
}

LETTER_TEMPLATE = "cover-letter"
_SENDER_KEYS = ("name", "label", "email", "phone", "url", "location")
_LOCATION_KEYS = ("address", "postalCode", "city", "region", "countryCode")


@dataclass(frozen=True)
class Document:
    """One corpus file: its name, the script it counts under, and its data."""

    name: str
    script: str
    data: dict[str, Any]


def corpus(directory: Path = CORPUS_DIR) -> list[Document]:
    """Every file of the corpus, in name order.

    Raises:
        KeyError: a file has no script in :data:`SCRIPTS` (each must be counted somewhere).
    """
    documents = []
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        documents.append(Document(path.name, SCRIPTS[path.name], data))
    return documents


def for_template(document: Document, template: str) -> dict[str, Any]:
    """The data ``template`` is given for ``document``."""
    return as_letter(document.data) if template == LETTER_TEMPLATE else document.data


def as_letter(resume: dict[str, Any]) -> dict[str, Any]:
    """A cover letter from a résumé: the sender is its ``basics``, the letter goes to its first
    employer, the subject is its headline, the paragraphs are its summary and the first job's
    highlights."""
    basics = resume.get("basics", {})
    sender = {key: basics[key] for key in _SENDER_KEYS if key in basics}
    if isinstance(sender.get("location"), dict):
        location = sender["location"]
        sender["location"] = {k: location[k] for k in _LOCATION_KEYS if k in location}
    letter: dict[str, Any] = {"sender": sender}
    work = resume.get("work") or [{}]
    employer = work[0].get("name") or work[0].get("company")
    if employer:
        letter["recipient"] = {"organization": employer}
    if basics.get("label"):
        letter["subject"] = basics["label"]
    highlights = work[0].get("highlights")
    paragraphs = [basics.get("summary")]
    paragraphs += highlights if isinstance(highlights, list) else [highlights]
    letter["paragraphs"] = [p for p in paragraphs if isinstance(p, str) and p.strip()]
    return letter
