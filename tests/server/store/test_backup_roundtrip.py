"""The backup round trip as a property (issue 20): whatever JSON a client sends as a document,
lone surrogates and line separators in strings and member names included, either the API
refuses it with a 422 naming every field that holds a lone surrogate, or ``documents export``,
``documents import`` into an empty store and ``export`` again give the same bytes, one line a
document, holding the data the API answered with.

The door is a real server (in a thread of its own, as hypothesis runs the test many times);
export and import are the CLI's own functions, run in-process so an example costs milliseconds.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from rendering import json_pointer
from server import admin
from server.settings import Settings
from server.store.backup import DataCheck
from tests.conftest import TEST_TEMPLATES_DIR, json_values, server_in_thread, server_settings

JSON = {"content-type": "application/json"}
LINE_ENDS = "\u2028\u2029\x85\r\n\x0b\x0c\x1c\x1d\x1e"
SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
# Characters echo can set (Latin-1) and every line end any reader knows: what the API stores.
SETTABLE = st.characters(max_codepoint=0xFF) | st.sampled_from(LINE_ENDS)
CLEAN_TEXT = st.text(SETTABLE, max_size=20)
TEXT = CLEAN_TEXT | st.text(SETTABLE | SURROGATES, min_size=1, max_size=8)
# Member names are not typeset: any character at all.
KEYS = st.text(st.characters() | st.sampled_from(LINE_ENDS), max_size=8) | st.text(
    st.characters() | SURROGATES, min_size=1, max_size=4
)
DOCUMENTS = st.fixed_dictionaries(
    {
        "template": st.just("echo"),
        "title": st.none() | TEXT,
        "data": st.builds(
            lambda text, extra: {"text": text, **extra},
            TEXT,
            st.dictionaries(KEYS, json_values(max_leaves=8, text=TEXT, keys=KEYS), max_size=3),
        ),
    }
)


@dataclass(frozen=True)
class Door:
    url: str
    settings: Settings
    check: DataCheck


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    """A server with the test templates, running for the whole module in a thread."""
    work = tmp_path_factory.mktemp("work")
    work.chmod(0o755)
    chosen = server_settings(work, template_dirs=(TEST_TEMPLATES_DIR,), formats_enabled=False)
    with server_in_thread(chosen) as url:
        yield Door(url, chosen, trio.run(admin.data_check, chosen))


def surrogate_pointers(value: Any, path: tuple[object, ...] = ()) -> list[str]:
    """Where ``value`` holds a lone surrogate: in a string, or in a member name."""

    def broken(text: str) -> bool:
        return any(0xD800 <= ord(char) <= 0xDFFF for char in text)

    if isinstance(value, str):
        return [json_pointer(path)] if broken(value) else []
    found: list[str] = []
    if isinstance(value, dict):
        for key, member in value.items():
            if broken(key):
                found.append(json_pointer((*path, key)))
            found += surrogate_pointers(member, (*path, key))
    elif isinstance(value, list):
        for index, member in enumerate(value):
            found += surrogate_pointers(member, (*path, index))
    return found


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=True)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(documents=st.lists(DOCUMENTS, min_size=1, max_size=3))
def test_any_document_is_refused_at_the_door_or_survives_a_backup_byte_equal(
    door: Door, documents: list[dict[str, Any]]
) -> None:
    note(ascii(documents))  # repr would print lone surrogates as they are
    accepted: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=door.url, timeout=30) as client:
        try:
            for body in documents:
                sent = json.dumps(body)  # \ud800\udc00 side by side is one character to JSON
                answer = client.post("/v1/documents", content=sent, headers=JSON)
                if answer.status_code == 201:
                    accepted[answer.json()["id"]] = answer.json()
                broken = surrogate_pointers(json.loads(sent))
                event(f"answered {answer.status_code}" + (" (a lone surrogate)" if broken else ""))
                if broken:
                    assert answer.status_code == 422, answer.text
                    problem = answer.json()
                    assert problem["type"] == "/problems/invalid-data"
                    assert sorted(e["pointer"] for e in problem["errors"]) == sorted(broken)
                elif answer.status_code != 201:  # a schema error, say: refused, never a 500
                    assert answer.status_code == 422, answer.text
                    assert "surrogate" not in answer.text
            with tempfile.TemporaryDirectory() as folder:
                first, second = Path(folder, "first.jsonl"), Path(folder, "second.jsonl")
                target = door.settings.replace(data_dir=Path(folder, "target"))
                assert trio.run(admin.export_documents, door.settings, str(first)) == 0
                imported = partial(
                    admin.import_documents, target, str(first), replace=False, check=door.check
                )
                assert trio.run(imported) == 0
                assert trio.run(admin.export_documents, target, str(second)) == 0
                raw = first.read_bytes()
                assert second.read_bytes() == raw
        finally:
            for document_id in accepted:
                assert client.delete(f"/v1/documents/{document_id}").status_code == 204
    text = raw.decode("utf-8")
    assert len(text.splitlines()) == raw.count(b"\n") == len(accepted)
    lines = {line["id"]: line for line in map(json.loads, text.splitlines())}
    for document_id, stored in accepted.items():
        assert canonical(lines[document_id]["data"]) == canonical(stored["data"])
        assert lines[document_id]["title"] == stored["title"]
