"""The template catalogue (loading and checking template folders, validating data, filling
templates), the Jinja environment's filters, and the error tree."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import fastjsonschema
import jinja2
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
from rendering.errors import FieldError, InvalidData, TemplateNotFound, json_pointer
from rendering.filling._escape import TEX_HELPERS, escape_latex
from rendering.filling._templating import date_range, format_date, href
from tests.conftest import TEST_TEMPLATES_DIR

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["text"],
    "properties": {"text": {"type": "string"}},
}
META = 'title = "Demo"\ndescription = "A demo template."\nengine = "pdflatex"\n'


def write_template(
    root: Path,
    name: str = "demo",
    *,
    source: str | None = "BEGIN ((( text ))) END\n",
    meta: str | None = META,
    schema: object = SCHEMA,
    sample: object = None,
) -> Path:
    """Write a template folder; ``None`` leaves a file out, a ``str`` schema/sample is raw."""
    folder = root / name
    folder.mkdir(parents=True)
    if sample is None:
        sample = {"text": "hello"}
    files: dict[str, object] = {
        TEMPLATE_FILE: source,
        META_FILE: meta,
        SCHEMA_FILE: schema,
        SAMPLE_FILE: sample,
    }
    for file_name, content in files.items():
        if content is None:
            continue
        text = content if isinstance(content, str) else json.dumps(content)
        (folder / file_name).write_text(text, encoding="utf-8")
    return folder


def load_one(root: Path, name: str = "demo", **files: Any) -> Template:
    write_template(root, name, **files)
    return Catalogue.load([root]).get_template(name)


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
        strict_template.validate({"text": "x" * 5000})
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
# Filling templates: escaping is not optional


def test_values_are_escaped(tmp_path: Path) -> None:
    template = load_one(tmp_path, source="((( text )))")
    assert template.to_tex({"text": "a_b"}) == r"a\_b"
    assert template.to_tex({"text": "50% & $5"}) == r"50\% \& \$5"


def test_raw_tex_filter_does_not_escape(tmp_path: Path) -> None:
    # (A Jinja string literal reads `\t` as a tab, hence the doubled backslash.)
    template = load_one(tmp_path, source=r"((( '\\textbf{' | raw_tex )))((( text )))}")
    assert template.to_tex({"text": "a_b"}) == r"\textbf{a\_b}"


@pytest.mark.parametrize(
    "value",
    [
        r"\textbf{x}",
        r"\input{/etc/passwd}",
        {"__html__": r"\textbf{x}"},
        {"raw_tex": r"\x"},
        [r"\x", "{"],
        "((( 7 * 7 )))",
        "{{ 7 * 7 }}",
        "((* for i in range(3) *))x((* endfor *))",
    ],
    ids=repr,
)
def test_data_cannot_opt_out_of_escaping(tmp_path: Path, value: object) -> None:
    template = load_one(tmp_path, source="((( text )))", schema={})
    out = template.to_tex({"text": value})
    assert out == escape_latex(str(value))
    # Whatever the escaper does, no control sequence or group from the data survives.
    assert not re.search(r"\\(textbf|input|x)\b", out)
    assert "49" not in out  # data is never evaluated as a template


def test_data_cannot_replace_filters(tmp_path: Path) -> None:
    template = load_one(tmp_path, source="((( text | raw_tex )))|((( other )))", schema={})
    # A variable named like a filter is just a variable.
    out = template.to_tex({"text": "ok", "other": "a_b", "raw_tex": "nothing"})
    assert out == r"ok|a\_b"


@pytest.mark.parametrize(
    ("value", "rendered"),
    [(None, ""), (True, "yes"), (False, "no"), (3, "3"), (2.5, "2.5"), ("", "")],
)
def test_non_string_values(tmp_path: Path, value: object, rendered: str) -> None:
    template = load_one(tmp_path, source="((( text )))", schema={})
    assert template.to_tex({"text": value}) == rendered


def test_filter_output_is_escaped_too(tmp_path: Path) -> None:
    template = load_one(tmp_path, source="((( text | date )))", schema={})
    assert template.to_tex({"text": "50%_off"}) == r"50\%\_off"
    assert template.to_tex({"text": "2013-12"}) == "Dec 2013"


def test_comments_and_blocks(tmp_path: Path) -> None:
    source = "((= a comment =))((* for t in tags *))[((( t )))]((* endfor *))\n"
    template = load_one(tmp_path, source=source, schema={})
    # Template text is TeX source as written; only the values are escaped.
    assert template.to_tex({"tags": ["a", "b_c]"]}) == r"[a][b\_c{]}]"


def test_helpers_global_is_raw(tmp_path: Path) -> None:
    template = load_one(tmp_path, source="((( texrender_helpers )))", schema={})
    assert template.to_tex({}) == TEX_HELPERS


@pytest.mark.parametrize(
    "source",
    ["((( missing )))", "((( text.missing )))", "((* if missing *))x((* endif *))"],
)
def test_missing_variables_raise(tmp_path: Path, source: str) -> None:
    template = load_one(tmp_path, source=source, schema={})
    with pytest.raises(jinja2.UndefinedError):
        template.to_tex({"text": "present"})


# ---------------------------------------------------------------------------------------------
# Environment filters


@pytest.mark.parametrize(
    ("value", "formatted"),
    [
        ("2013-12-01", "Dec 2013"),
        ("2013-12", "Dec 2013"),
        ("2013-01-31", "Jan 2013"),
        ("2013", "2013"),
        ("2013-13", "2013"),  # no such month: the year is still right
        ("2013-00-10", "2013"),
        ("garbage", "garbage"),
        ("Summer 2013", "Summer 2013"),
        (2013, "2013"),
        ("", ""),
        (None, ""),
    ],
)
def test_date(value: object, formatted: str) -> None:
    assert format_date(value) == formatted


def test_date_absent_value() -> None:
    assert format_date(None, "n/a") == "n/a"
    assert format_date("", "n/a") == "n/a"


@pytest.mark.parametrize(
    ("start", "end", "formatted"),
    [
        ("2013-12-01", None, "Dec 2013 \u2013 Present"),
        ("2013-12-01", "", "Dec 2013 \u2013 Present"),
        ("2013-12", "2015-06-30", "Dec 2013 \u2013 Jun 2015"),
        ("2013", "2014", "2013 \u2013 2014"),
        (None, "2014-02", "Feb 2014"),
        (None, None, ""),
        ("garbage", None, "garbage \u2013 Present"),
    ],
)
def test_date_range(start: object, end: object, formatted: str) -> None:
    assert date_range(start, end) == formatted


def test_date_range_present_word_and_filter(tmp_path: Path) -> None:
    assert date_range("2013", None, present="heute") == "2013 \u2013 heute"
    template = load_one(tmp_path, source="((( start | date_range(end) )))", schema={})
    # The en dash is a character, not `--`; nothing in the output needs escaping.
    assert template.to_tex({"start": "2013-12-01", "end": None}) == "Dec 2013 \u2013 Present"


def test_href_escapes_url_and_label() -> None:
    link = href("https://example.com/a%20b#frag_x~y")
    assert link == (
        r"\href{https://example.com/a\trPercent 20b\trHash frag\trUnderscore x\trTilde y}"
        r"{example.com/a\%20b\#frag\_x\textasciitilde{}y}"
    )


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("https://www.example.com/", "example.com"),
        ("http://example.com/path/", "example.com/path"),
        ("example.com", "example.com"),
        ("  https://example.com  ", "example.com"),
        ("mailto:me@example.com", "mailto:me@example.com"),
    ],
)
def test_href_label_without_scheme(url: str, label: str) -> None:
    assert href(url).endswith("{" + label + "}")


def test_href_with_explicit_label_and_as_filter(tmp_path: Path) -> None:
    assert href("https://x.org/", "Site_1 {x}") == r"\href{https://x.org/}{Site\_1 \{x\}}"
    template = load_one(tmp_path, source="((( url | href )))", schema={})
    assert template.to_tex({"url": "https://x.org/a_b"}) == (
        r"\href{https://x.org/a\trUnderscore b}{x.org/a\_b}"
    )


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
