"""The template catalogue: loading and checking template folders, their versions, validating
data, and the pointers of the error tree's field errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest

from rendering.catalogue import Catalogue, Template
from rendering.catalogue._folders import (
    META_FILE,
    SAMPLE_FILE,
    SCHEMA_FILE,
    TEMPLATE_FILE,
    CatalogueError,
)
from rendering.config import DEFAULT_TEMPLATES_DIR
from rendering.errors import (
    EmptyDocument,
    FieldError,
    InvalidData,
    TemplateNotFound,
    json_pointer,
)
from rendering.filling import Language, language_of
from tests.conftest import TEST_TEMPLATES_DIR
from tests.rendering.conftest import META, SCHEMA, load_one, write_template

# ---------------------------------------------------------------------------------------------
# Loading


def test_loads_a_template_folder(tmp_path: Path) -> None:
    write_template(tmp_path, "beta")
    write_template(tmp_path, "alpha")
    catalogue = Catalogue.load([tmp_path])
    assert list(catalogue) == ["alpha", "beta"]
    assert len(catalogue) == 2
    template = catalogue.get_template("alpha")
    assert catalogue["alpha"] is template
    assert template.name == "alpha"
    assert template.title == "Demo"
    assert template.description == "A demo template."
    assert template.engine == "pdflatex"
    assert template.schema == SCHEMA
    assert template.sample == {"text": "hello"}
    assert re.fullmatch(r"[0-9a-f]{16}", template.version)
    assert template.to_tex(template.sample) == "BEGIN hello END\n"


def test_metadata_defaults(tmp_path: Path) -> None:
    template = load_one(tmp_path, meta="")
    assert template.title == "demo"
    assert template.description == ""
    assert template.engine == "pdflatex"


def test_the_real_test_templates_load() -> None:
    catalogue = Catalogue.load([TEST_TEMPLATES_DIR])
    assert "echo" in catalogue


def test_folders_without_a_template_file_and_plain_files_are_ignored(tmp_path: Path) -> None:
    write_template(tmp_path, "demo")
    write_template(tmp_path, "not-a-template", source=None)
    (tmp_path / "README.md").write_text("templates live here\n")
    assert list(Catalogue.load([tmp_path])) == ["demo"]


def test_empty_root_gives_an_empty_catalogue(tmp_path: Path) -> None:
    assert len(Catalogue.load([tmp_path])) == 0


def test_missing_root_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="does not exist"):
        Catalogue.load([tmp_path / "nowhere"])


@pytest.mark.parametrize("name", ["a", "demo-2", "0cv", "resume-classic", "a" * 64])
def test_valid_names(tmp_path: Path, name: str) -> None:
    assert load_one(tmp_path, name).name == name


@pytest.mark.parametrize(
    "name", ["Demo", "DEMO", "demo_x", "-demo", "demo.v2", "démo", "de mo", "a" * 65]
)
def test_invalid_names_are_rejected(tmp_path: Path, name: str) -> None:
    write_template(tmp_path, name)
    with pytest.raises(CatalogueError, match="lowercase"):
        Catalogue.load([tmp_path])


@pytest.mark.parametrize("missing", [META_FILE, SCHEMA_FILE, SAMPLE_FILE])
def test_missing_file(tmp_path: Path, missing: str) -> None:
    folder = write_template(tmp_path)
    (folder / missing).unlink()
    with pytest.raises(CatalogueError, match=re.escape(missing)):
        Catalogue.load([tmp_path])


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({"meta": 'title = "unterminated\n'}, id="bad-toml"),
        pytest.param({"schema": '{"type": "object",'}, id="bad-schema-json"),
        pytest.param({"sample": "{'text': 'single quotes'}"}, id="bad-sample-json"),
    ],
)
def test_unreadable_files(tmp_path: Path, files: dict[str, Any]) -> None:
    write_template(tmp_path, **files)
    with pytest.raises(CatalogueError, match=re.escape(str(tmp_path / "demo"))):
        Catalogue.load([tmp_path])


def test_invalid_schema(tmp_path: Path) -> None:
    write_template(tmp_path, schema={"type": "strnig"})
    with pytest.raises(CatalogueError, match=re.escape(SCHEMA_FILE)):
        Catalogue.load([tmp_path])


def test_sample_that_fails_its_own_schema(tmp_path: Path) -> None:
    write_template(tmp_path, sample={"text": 42})
    with pytest.raises(CatalogueError, match="fails its own schema") as caught:
        Catalogue.load([tmp_path])
    assert "/text" in str(caught.value)


def test_jinja_syntax_error_names_the_line(tmp_path: Path) -> None:
    source = "\\documentclass{article}\n\\begin{document}\n((* endfor *))\n\\end{document}\n"
    write_template(tmp_path, source=source)
    with pytest.raises(CatalogueError, match=re.escape(f"{TEMPLATE_FILE}:3:")):
        Catalogue.load([tmp_path])


def test_unclosed_jinja_expression(tmp_path: Path) -> None:
    write_template(tmp_path, source="one\ntwo ((( text \nthree\n")
    with pytest.raises(CatalogueError, match=re.escape(TEMPLATE_FILE)):
        Catalogue.load([tmp_path])


def test_duplicate_names_across_roots(tmp_path: Path) -> None:
    write_template(tmp_path / "one", "demo")
    write_template(tmp_path / "two", "demo")
    write_template(tmp_path / "two", "other")
    with pytest.raises(CatalogueError, match="'demo' is defined twice"):
        Catalogue.load([tmp_path / "one", tmp_path / "two"])


def test_two_roots_with_different_names_merge(tmp_path: Path) -> None:
    write_template(tmp_path / "one", "demo")
    write_template(tmp_path / "two", "other")
    assert list(Catalogue.load([tmp_path / "two", tmp_path / "one"])) == ["demo", "other"]


@pytest.mark.parametrize("engine", ["lualatex", "xelatex", "PDFLATEX", "sh", ""])
def test_unknown_engine_is_rejected(tmp_path: Path, engine: str) -> None:
    write_template(tmp_path, meta=f'title = "Demo"\nengine = "{engine}"\n')
    with pytest.raises(CatalogueError, match="engine"):
        Catalogue.load([tmp_path])


def test_unknown_template(tmp_path: Path) -> None:
    write_template(tmp_path)
    catalogue = Catalogue.load([tmp_path])
    with pytest.raises(TemplateNotFound, match="nope") as caught:
        catalogue.get_template("nope")
    assert caught.value.status == 404
    with pytest.raises(KeyError):
        catalogue["nope"]


# ---------------------------------------------------------------------------------------------
# Versions


def test_version_is_stable_and_follows_the_sources(tmp_path: Path) -> None:
    folder = write_template(tmp_path)
    first = Catalogue.load([tmp_path]).get_template("demo").version
    assert Catalogue.load([tmp_path]).get_template("demo").version == first

    (folder / TEMPLATE_FILE).write_text("BEGIN ((( text ))) END.\n")
    second = Catalogue.load([tmp_path]).get_template("demo").version
    assert second != first

    (folder / SCHEMA_FILE).write_text(json.dumps({**SCHEMA, "title": "changed"}))
    third = Catalogue.load([tmp_path]).get_template("demo").version
    assert third not in (first, second)

    (folder / META_FILE).write_text(META + "# comment\n")
    assert Catalogue.load([tmp_path]).get_template("demo").version not in (first, second, third)


def test_version_does_not_depend_on_the_folder(tmp_path: Path) -> None:
    a = load_one(tmp_path / "a")
    b = load_one(tmp_path / "b")
    assert a.version == b.version


# ---------------------------------------------------------------------------------------------
# Validation

VALIDATION_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["text"],
    "additionalProperties": False,
    "properties": {
        "text": {"type": "string", "maxLength": 10},
        "age": {"type": "integer", "minimum": 0},
        "start": {"type": "string", "format": "date"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "a/b": {"type": "string"},
        "c~d": {"type": "string"},
        "nested": {"type": "object", "properties": {"x/y~z": {"type": "integer"}}},
    },
}


@pytest.fixture
def strict_template(tmp_path: Path) -> Template:
    return load_one(tmp_path, schema=VALIDATION_SCHEMA, sample={"text": "ok"})


def test_valid_data_passes(strict_template: Template) -> None:
    strict_template.validate(
        {"text": "ok", "age": 3, "start": "2013-12-01", "tags": ["a"], "a/b": "x", "c~d": "y"}
    )


def test_every_error_is_reported_at_once(strict_template: Template) -> None:
    data = {
        "age": -1,
        "start": "2013-02-30",
        "tags": ["ok", 3, "fine", None],
        "a/b": 1,
        "c~d": 2,
        "nested": {"x/y~z": "no"},
        "extra": True,
    }
    with pytest.raises(InvalidData) as caught:
        strict_template.validate(data)
    error = caught.value
    assert error.status == 422
    pointers = sorted(e.pointer for e in error.errors)
    assert pointers == sorted(
        [
            "",  # "text" is required
            "",  # "extra" is not allowed
            "/age",
            "/start",
            "/tags/1",
            "/tags/3",
            "/a~1b",
            "/c~0d",
            "/nested/x~1y~0z",
        ]
    )
    assert all(isinstance(e, FieldError) and e.message for e in error.errors)
    assert "9 field(s)" in error.detail


def test_not_an_object(strict_template: Template) -> None:
    with pytest.raises(InvalidData) as caught:
        strict_template.validate(["text"])
    assert [e.pointer for e in caught.value.errors] == [""]


def test_long_messages_are_clipped(strict_template: Template) -> None:
    with pytest.raises(InvalidData) as caught:
        strict_template.validate({"text": ["x" * 5000]})  # jsonschema's message shows the value
    [error] = caught.value.errors
    assert error.pointer == "/text"
    assert len(error.message) <= 300
    assert error.message.endswith("\u2026")


@pytest.mark.parametrize(
    ("path", "pointer"),
    [
        ([], ""),
        (["a"], "/a"),
        (["tags", 0], "/tags/0"),
        (["a/b"], "/a~1b"),
        (["c~d"], "/c~0d"),
        (["~1"], "/~01"),  # `~` first, or "~1" would come back as "/"
        (["/~"], "/~1~0"),
        ([""], "/"),
        (["x y", "é"], "/x y/é"),
    ],
)
def test_json_pointer(path: list[object], pointer: str) -> None:
    assert json_pointer(path) == pointer


# ---------------------------------------------------------------------------------------------
def test_the_reference_validator_has_the_last_word(tmp_path: Path) -> None:
    """The fast compiled check may be stricter (it checks "uri" formats); jsonschema decides."""
    folder = tmp_path / "uri"
    folder.mkdir()
    (folder / "template.tex.j2").write_text("((( site )))")
    (folder / "template.toml").write_text('title = "uri"\n')
    schema = {"type": "object", "properties": {"site": {"type": "string", "format": "uri"}}}
    (folder / "schema.json").write_text(json.dumps(schema))
    (folder / "sample.json").write_text(json.dumps({"site": "https://example.org"}))
    template = Catalogue.load([tmp_path])["uri"]
    assert template.fast_check is not None
    with pytest.raises(fastjsonschema.JsonSchemaException):
        template.fast_check({"site": "not a uri"})
    template.validate({"site": "not a uri"})  # accepted, as jsonschema accepts it
    with pytest.raises(InvalidData):
        template.validate({"site": 5})


def test_the_schema_is_kept_as_written() -> None:
    """fastjsonschema rewrites the $refs of what it compiles; clients and the lenient reader
    must see the schema as the file says."""
    written = json.loads((DEFAULT_TEMPLATES_DIR / "resume-classic" / SCHEMA_FILE).read_text())
    template = Catalogue.load([DEFAULT_TEMPLATES_DIR])["resume-classic"]
    assert template.schema == written


# ---------------------------------------------------------------------------------------------
# Messages a person reads


def test_an_unknown_template_lists_the_templates_and_suggests_the_nearest(tmp_path: Path) -> None:
    for name in ("resume-classic", "resume-modern", "cover-letter"):
        write_template(tmp_path, name)
    catalogue = Catalogue.load([tmp_path])
    with pytest.raises(TemplateNotFound) as near:
        catalogue.get_template("resume-clasic")
    assert near.value.detail == (
        "no template named 'resume-clasic': did you mean 'resume-classic'? "
        "The templates are: cover-letter, resume-classic, resume-modern"
    )
    with pytest.raises(TemplateNotFound) as far:
        catalogue.get_template("invoice")
    assert far.value.detail == (
        "no template named 'invoice'. The templates are: cover-letter, resume-classic, "
        "resume-modern"
    )
    with pytest.raises(TemplateNotFound) as long:
        catalogue.get_template("x" * 10_000)
    assert len(long.value.detail) < 300


@pytest.mark.parametrize(
    ("data", "kind"),
    [(None, "null"), (["text"], "a list"), ("text", "text"), (3, "a number"), (True, "true")],
)
def test_data_that_is_not_an_object_is_named_for_what_it_is(
    strict_template: Template, data: Any, kind: str
) -> None:
    with pytest.raises(InvalidData) as caught:
        strict_template.validate(data)
    assert caught.value.detail == f"the data is {kind}: send the template's data as a JSON object"
    assert caught.value.errors == [FieldError("", f"expected a JSON object, got {kind}")]


MESSAGES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "text": {"type": "string"},
        "email": {"type": "string", "format": "email"},
        "day": {"type": "string", "format": "date"},
        "when": {"type": "string", "format": "date-time"},
        "host": {"type": "string", "format": "ipv4"},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2},
        "three": {"type": "array", "minItems": 3},
        "code": {"type": "string", "minLength": 1, "maxLength": 3},
        "count": {"type": "integer"},
    },
}


def test_schema_errors_people_meet_most_are_in_words(tmp_path: Path) -> None:
    template = load_one(tmp_path, schema=MESSAGES_SCHEMA, sample={"text": "ok"})
    data = {
        "text": "ok",
        "email": "42",
        "day": "31/05/2024",
        "when": "yesterday",
        "host": "x",
        "tags": [],
        "three": [1],
        "code": "",
        "count": "7",
    }
    with pytest.raises(InvalidData) as caught:
        template.validate(data)
    assert {e.pointer: e.message for e in caught.value.errors} == {
        "/email": "not an email address (name@example.com)",
        "/day": "not a date in the form 2024-05-31",
        "/when": "not a date and time in the form 2024-05-31T09:30:00Z",
        "/host": "not an IPv4 address",
        "/tags": "must not be empty",
        "/three": "needs at least 3 items",
        "/code": "must not be empty",
        "/count": "'7' is not of type 'integer'",  # jsonschema's own words: clear enough
    }
    with pytest.raises(InvalidData) as long:
        template.validate({"text": "ok", "tags": ["a", "b", "c"], "code": "abcd"})
    assert {e.pointer: e.message for e in long.value.errors} == {
        "/tags": "has more than 2 items",
        "/code": "is longer than 3 characters",
    }


# ---------------------------------------------------------------------------------------------
# What a template does not print


def test_data_with_nothing_to_print_is_an_empty_document(tmp_path: Path) -> None:
    schema = {
        "type": "object",
        "properties": {"text": {"type": "string"}, "n": {"type": "integer"}},
    }
    template = load_one(tmp_path, schema=schema, sample={"text": "hello"})
    for data in ({}, {"text": "  \n "}, {"other": "not in the schema"}):
        with pytest.raises(EmptyDocument) as caught:
            template.validate(data)
        error = caught.value
        assert (error.status, error.type) == (422, "empty-document")
        assert error.detail.startswith("the document is empty: 'demo' prints nothing")
        assert [e.pointer for e in error.errors] == [""]
    template.validate({"n": 0})  # a number is printed
    with pytest.raises(InvalidData) as invalid:
        template.validate({"n": "x"})  # the schema's errors come first
    assert not isinstance(invalid.value, EmptyDocument)


def test_places_not_printed_come_from_template_toml(tmp_path: Path) -> None:
    schema = {
        "type": "object",
        "properties": {"text": {"type": "string"}, "photo": {"type": "string"}, "meta": {}},
    }
    meta = META + 'not_printed = ["photo"]\nmetadata = ["meta"]\n'
    template = load_one(tmp_path, schema=schema, meta=meta)
    assert template.shown.not_printed == {"photo"}
    assert template.shown.metadata == {"meta"}
    with pytest.raises(EmptyDocument):
        template.validate({"photo": "me.jpg", "meta": "v1"})
    reading = template.read({"text": "hi", "photo": "me.jpg", "meta": "v1", "txet": "x"})
    assert {w.pointer: w.message for w in reading.warnings} == {
        "/photo": "known key, but this template does not print it",
        "/txet": "unknown key: not in the template's schema, so not printed; did you mean 'text'?",
    }


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ('not_printed = ["photo"]', "not places its schema describes: photo"),
        ('metadata = ["text.inner", "text"]', "not places its schema describes: text.inner"),
        ('not_printed = "text"', "must be a list of places"),
        ("not_printed = [1]", "must be a list of places"),
    ],
)
def test_a_place_the_schema_does_not_describe_is_a_load_error(
    tmp_path: Path, line: str, match: str
) -> None:
    write_template(tmp_path, meta=META + line + "\n")
    with pytest.raises(CatalogueError, match=match):
        Catalogue.load([tmp_path])


def test_the_resume_templates_do_not_print_the_image() -> None:
    catalogue = Catalogue.load([DEFAULT_TEMPLATES_DIR])
    for name in ("resume-classic", "resume-modern"):
        assert catalogue[name].shown.not_printed == {"basics.image"}
        assert catalogue[name].shown.metadata == {"$schema", "meta"}
        assert catalogue[name].shown.other_sections


def test_other_sections_come_from_template_toml(tmp_path: Path) -> None:
    schema = {"type": "object", "properties": {"text": {"type": "string"}, "meta": {}}}
    meta = META + 'metadata = ["meta"]\nother_sections = true\n'
    source = (
        "((* for key, value in texrender_other_sections *))"
        "[((( key ))): ((( value )))]((* endfor *))"
    )
    template = load_one(tmp_path, schema=schema, meta=meta, source=source)
    assert template.to_tex({"text": "a", "meta": "m", "hobby": "chess", "b": "c"}) == (
        "[hobby: chess][b: c]"
    )
    template.validate({"hobby": "chess"})  # something to print
    reading = template.read({"hobby": "chess"})
    assert [w.message for w in reading.warnings] == [
        "unknown key: not in the template's schema: printed as a section of its own"
    ]
    write_template(tmp_path / "bad", meta=META + 'other_sections = "yes"\n')
    with pytest.raises(CatalogueError, match="other_sections must be true or false"):
        Catalogue.load([tmp_path / "bad"])


# ---------------------------------------------------------------------------------------------
# What reading found, carried into the fill


def test_the_fill_takes_the_language_the_reading_found() -> None:
    """The language is worked out once a render: the reading's gives the same source, and it
    is the one the fill uses (a French language on English data gives French words)."""
    catalogue = Catalogue.load([DEFAULT_TEMPLATES_DIR])
    template = catalogue["resume-classic"]
    reading = template.read(template.sample)
    assert reading.language == language_of(reading.data)
    own = template.to_tex(reading.data)
    assert template.to_tex(reading.data, language=reading.language) == own
    french = template.to_tex(reading.data, language=Language(words="fr", tag="fr"))
    assert french != own
    assert "Expérience" in french
    assert "Expérience" not in own
