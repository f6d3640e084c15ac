"""The template catalogue: every ``templates/<name>/`` folder, loaded and checked once.

A template folder holds::

    template.tex.j2   the Jinja2 source of the TeX document
    template.toml     title, description, engine
    schema.json       JSON Schema the request data must satisfy
    sample.json       a document that renders (shown to clients, used by tests and benchmarks)

Loading reads and compiles everything up front (Jinja templates, schema validators), so a
request never touches the disk or recompiles anything. Loading is blocking file I/O: call it from
a worker thread (``trio.to_thread.run_sync``), never on the event loop.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import jsonschema
import jsonschema.exceptions
import jsonschema.protocols

from ..errors import (
    EmptyDocument,
    FieldError,
    InvalidData,
    TemplateNotFound,
    UnsupportedPaper,
    clip,
    json_pointer,
)
from ..filling import (
    FAST_FONTS_NAME,
    LTR,
    RESERVED_NAMES,
    FilledSource,
    Language,
    Refit,
    Script,
    cyrillic_greek_fill,
    fast_fonts_names,
    fill_traced,
    language_names,
    make_environment,
    markup_budget,
    refit_for,
    script_of,
    unicode_fill,
    unicode_names,
)
from ..reading import (
    DIALECTS,
    PRINTED_AS_WRITTEN,
    LenientReader,
    Reading,
    Shown,
    check_characters,
    check_language,
    check_sizes,
    other_sections,
    prints_something,
    undescribed,
)
from ..typesetting import UnicodeCoverage
from ._fastcheck import compile_fast_check
from ._folders import (
    META_FILE,
    SAMPLE_FILE,
    SCHEMA_FILE,
    TEMPLATE_FILE,
    CatalogueError,
    TemplateInfo,
    find_templates,
)
from ._messages import field_message, not_an_object, nothing_printed, unknown_template
from ._papers import DEFAULT_PAPER, usual_paper

_MAX_MESSAGE_CHARS = 300


@dataclass(frozen=True)
class Template:
    """One loaded template: metadata, compiled Jinja template, compiled schema validator."""

    name: str
    title: str
    description: str
    engine: str
    version: str
    schema: Mapping[str, Any]
    sample: Mapping[str, Any]
    jinja: jinja2.Template = field(repr=False)
    validator: jsonschema.protocols.Validator = field(repr=False)
    fast_check: Callable[[Any], Any] | None = field(default=None, repr=False)
    reader: LenientReader | None = field(default=None, repr=False)
    # Every file the template may include, by its name in the loader (template.tex.j2 too).
    sources: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    pages: int | None = None  # the most pages the layout is meant for
    unicode_engine: str | None = None  # the engine of its Unicode path, if it has one
    shown: Shown = field(default_factory=Shown)  # what its schema describes and it never prints
    papers: tuple[str, ...] = (DEFAULT_PAPER,)  # the paper sizes it is made for
    fit: bool = False  # may be set a notch tighter when its last page holds a few lines
    # Its fast path sets Cyrillic and Greek (T2A, LGR): the machine has their fonts
    # (Catalogue.with_cyrillic_greek); otherwise such text takes the Unicode path.
    cyrillic_greek: bool = False
    # Its fit fill made from the plain fill of the same data (None: filled anew each time).
    refit: Refit | None = field(default=None, repr=False, compare=False)

    def paper_for(self, data: Any, asked: str | None = None) -> str:
        """The paper a render of ``data`` is set on: the one ``asked`` for, or the usual one
        for the data's country or language when the template is made for it (its first size
        otherwise).

        Raises:
            UnsupportedPaper: ``asked`` is not a size this template is made for.
        """
        if asked is not None:
            if asked not in self.papers:
                raise UnsupportedPaper(
                    f"{self.name!r} is made for {' and '.join(self.papers)} paper, not {asked!r}"
                )
            return asked
        usual = usual_paper(data) if isinstance(data, Mapping) else DEFAULT_PAPER
        return usual if usual in self.papers else self.papers[0]

    def read(
        self, data: Any, *, strict: bool = False, unicode: UnicodeCoverage | None = None
    ) -> Reading:
        """The data as it will be validated and rendered: read leniently (unless ``strict``,
        or the template asks for no reader), its characters checked, every change reported.

        Raises:
            DataTooLarge: the data is larger than a document can be (rendering.reading._sizes).
            UnsupportedCharacter: the data holds characters the template cannot set (all of
                them are named).
        """
        check_sizes(data)
        reading = Reading(data) if strict or self.reader is None else self.reader.read(data)
        coverage = unicode if self.unicode_engine is not None else None
        fast = self.cyrillic_greek
        reading = check_characters(reading, strict=strict, unicode=coverage, cyrillic_greek=fast)
        return check_language(reading, unicode=coverage, cyrillic_greek=fast)

    def check(
        self, data: Any, *, strict: bool = False, unicode: UnicodeCoverage | None = None
    ) -> tuple[Reading, InvalidData | None]:
        """:meth:`read` then :meth:`validate`: the data as it would be rendered, and what is
        still wrong with it (None: it is valid).

        Raises:
            DataTooLarge, UnsupportedCharacter: see :meth:`read`.
        """
        reading = self.read(data, strict=strict, unicode=unicode)
        try:
            self.validate(reading.data, reading.explanations)
        except InvalidData as problem:
            return reading, problem
        return reading, None

    def validate(self, data: Any, explanations: Mapping[str, str] | None = None) -> None:
        """Check ``data`` against the schema, reporting every error at once.

        Valid data (the usual case) is confirmed by a compiled fastjsonschema check, several
        times faster; jsonschema, the reference, has the last word and lists the errors.

        Raises:
            InvalidData: with one :class:`FieldError` per schema violation, or the data is
                not a JSON object (templates read named fields), or it holds nothing the
                template prints (the document would be a blank page).
        """
        _require_object(data)
        doubt = self.fast_check is None
        if self.fast_check is not None:
            try:
                self.fast_check(data)
            except Exception:  # any doubt goes to the reference validator
                doubt = True
        if doubt:
            self._schema_errors(data, explanations or {})
        if not prints_something(data, self.schema, self.shown):
            detail, message = nothing_printed(self.name)
            raise EmptyDocument(detail, [FieldError("", message)])

    def _schema_errors(self, data: Any, explained: Mapping[str, str]) -> None:
        """Every schema error at once, from jsonschema (the reference: the compiled check
        may doubt what it accepts).

        Raises:
            InvalidData: with one :class:`FieldError` per schema violation.
        """
        errors = sorted(
            (e for e in self.validator.iter_errors(data) if not _waived(e, explained)),
            key=lambda e: list(map(str, e.path)),
        )
        if errors:
            fields = []
            for error in errors:
                pointer = json_pointer(error.absolute_path)
                message = explained.get(pointer) or field_message(error)
                fields.append(FieldError(pointer, clip(message, _MAX_MESSAGE_CHARS)))
            raise InvalidData(
                f"{len(errors)} field(s) do not match the schema of {self.name!r}", fields
            )

    def fill(
        self, data: Any, explanations: Mapping[str, str] | None = None, *, unicode: bool = False
    ) -> str:
        """The TeX source for ``data``: validated against the schema, then filled in (for the
        Unicode path with ``unicode``).

        Raises:
            InvalidData: the data fails the schema or is not a JSON object.
        """
        self.validate(data, explanations)
        return self.to_tex(data, unicode=unicode)

    def to_tex(
        self,
        data: Mapping[str, Any],
        *,
        unicode: bool = False,
        paper: str = DEFAULT_PAPER,
        fit: bool = False,
        tagged: bool = False,
        language: Language | None = None,
    ) -> str:
        """Fill the template with (already validated) data; every value is escaped. With
        ``unicode``, for the template's Unicode path (``texrender_unicode`` is true, and
        right-to-left runs are marked); on ``paper`` (``texrender_paper``); one notch tighter
        with ``fit`` (``texrender_fit``: the template keeps every line where it is in the
        source, so a trace of the plain fill holds for it too); as a tagged PDF with ``tagged``
        (``texrender_tagged``). ``language`` is the data's when its reading found it
        (:attr:`Reading.language`): it is not worked out again.

        Raises:
            InvalidData: the data is not a JSON object (templates read named fields).
        """
        _require_object(data)
        choices = (unicode, paper, tagged, self.cyrillic_greek)
        if fit and self.refit is not None:
            fitted = self.refit.fitted(data, choices)
            if fitted is not None:
                return fitted
        script = script_of(data) if unicode else LTR
        with (
            markup_budget(),
            unicode_fill(unicode, script),
            cyrillic_greek_fill(self.cyrillic_greek and not unicode),
        ):
            names = self._variables(data, unicode, script, paper, fit, tagged, language)
            filled = None if self.refit is None else self.refit.fill(data, choices, names, fit=fit)
            return self.jinja.render(names) if filled is None else filled

    def _variables(
        self,
        data: Mapping[str, Any],
        unicode: bool,
        script: Script,
        paper: str,
        fit: bool = False,
        tagged: bool = False,
        language: Language | None = None,
    ) -> dict[str, Any]:
        words = language_names(
            data, unicode=unicode, cyrillic_greek=self.cyrillic_greek, language=language
        )
        names = {
            **data,
            **RESERVED_NAMES,
            **self._fast_fonts,
            **words,
            "texrender_other_sections": self._other_sections(data),
            "texrender_paper": paper,
            "texrender_fit": fit,
            "texrender_tagged": tagged,
        }
        return names if not unicode else {**names, **unicode_names(script)}

    def _other_sections(self, data: Mapping[str, Any]) -> list[tuple[str, Any]]:
        """The data's top-level members its schema does not describe, for a template that
        prints them as sections of their own (``other_sections``); none otherwise."""
        return other_sections(data, self.schema, self.shown) if self.shown.other_sections else []

    def traced_tex(
        self,
        data: Mapping[str, Any],
        *,
        unicode: bool = False,
        paper: str = DEFAULT_PAPER,
        tagged: bool = False,
    ) -> FilledSource:
        """:meth:`to_tex`, with the template line behind each line of the source (slower:
        for explaining a TeX error or a layout warning)."""
        _require_object(data)
        script = script_of(data) if unicode else LTR
        variables = self._variables(data, unicode, script, paper, tagged=tagged)
        with (
            markup_budget(),
            unicode_fill(unicode, script),
            cyrillic_greek_fill(self.cyrillic_greek and not unicode),
        ):
            return fill_traced(self.jinja, variables, self.sources)

    @property
    def _fast_fonts(self) -> dict[str, Any]:
        return _FAST_FONTS[self.cyrillic_greek]

    @property
    def source_name(self) -> str:
        return f"{self.name}/{TEMPLATE_FILE}"


_FAST_FONTS = {fast: fast_fonts_names(fast) for fast in (False, True)}


def _waived(error: jsonschema.exceptions.ValidationError, explained: Mapping[str, str]) -> bool:
    """Whether the reading kept this value as written on purpose (a date in words): its
    pattern is then no error."""
    pointer = json_pointer(error.absolute_path)
    return error.validator == "pattern" and explained.get(pointer) == PRINTED_AS_WRITTEN


def _require_object(data: Any) -> None:
    if not isinstance(data, Mapping):
        detail, message = not_an_object(data)
        raise InvalidData(detail, [FieldError("", message)])


class Catalogue(Mapping[str, Template]):
    """Read-only mapping of template name to :class:`Template`."""

    def __init__(self, templates: Mapping[str, Template]) -> None:
        self._templates = dict(sorted(templates.items()))

    def __getitem__(self, name: str) -> Template:
        return self._templates[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._templates)

    def __len__(self) -> int:
        return len(self._templates)

    def get_template(self, name: str) -> Template:
        """The named template.

        Raises:
            TemplateNotFound: no template has that name.
        """
        try:
            return self._templates[name]
        except KeyError:
            raise TemplateNotFound(unknown_template(name, list(self._templates))) from None

    def with_cyrillic_greek(self) -> Catalogue:
        """This catalogue with the fast path of each template that loads its fonts through
        ``texrender_fast_fonts`` setting Cyrillic and Greek (the machine has their fonts). Its
        version says so: such text is set differently (a cached PDF of the other path is not
        this one's)."""
        return Catalogue(
            {
                name: dataclasses.replace(
                    template,
                    cyrillic_greek=True,
                    version=_digest(template.version, "cyrillic-greek"),
                )
                if not template.cyrillic_greek and _loads_fast_fonts(template)
                else template
                for name, template in self._templates.items()
            }
        )

    @classmethod
    def load(cls, roots: Iterable[Path]) -> Catalogue:
        """Load every template folder under each root; a later root may not reuse a name.

        Raises:
            CatalogueError: a folder is malformed (missing file, bad TOML/JSON, invalid schema,
                a sample that fails its own schema, a Jinja syntax error).
        """
        return cls({info.name: _load_one(info) for info in find_templates(roots)})


def _loads_fast_fonts(template: Template) -> bool:
    """Whether the template's fast path loads the shared font block (rendering.filling's
    ``_fontenc``): without it, it has no Cyrillic or Greek fonts."""
    return any(FAST_FONTS_NAME in line for lines in template.sources.values() for line in lines)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def _template_sources(environment: jinja2.Environment) -> dict[str, tuple[str, ...]]:
    """Every Jinja file the template can reach (its own, and the shared ones), compiled now so
    that a request never compiles or reads one, and its text for tracing the output.

    Raises:
        jinja2.TemplateSyntaxError: one of them does not parse.
    """
    sources = {}
    loader = environment.loader
    assert loader is not None
    for name in environment.list_templates(filter_func=lambda n: n.endswith(".j2")):
        environment.get_template(name)
        text, _, _ = loader.get_source(environment, name)
        sources[name] = tuple(text.splitlines())
    return sources


def _reader_for(
    info: TemplateInfo, schema: Mapping[str, Any], shown: Shown
) -> LenientReader | None:
    """The lenient reader a template asked for: ``none``, ``schema`` (the default: the rules
    guided by its schema alone) or a dialect's name."""
    if info.reader == "none":
        return None
    if info.reader == "schema":
        return LenientReader(schema, shown=shown)
    dialect = DIALECTS.get(info.reader)
    if dialect is None:
        raise CatalogueError(
            f"{info.folder}/{META_FILE}: reader {info.reader!r} is not one of "
            f"{['none', 'schema', *sorted(DIALECTS)]}"
        )
    return LenientReader(schema, dialect, shown)


def _shown(info: TemplateInfo, schema: Mapping[str, Any]) -> Shown:
    """What the template says it does not print; every place must be one its schema describes.

    Raises:
        CatalogueError: a place the schema does not describe (a slip in ``template.toml``).
    """
    wrong = undescribed(schema, (*info.not_printed, *info.metadata))
    if wrong:
        raise CatalogueError(
            f"{info.folder}/{META_FILE}: not places its schema describes: {', '.join(wrong)}"
        )
    return Shown(frozenset(info.not_printed), frozenset(info.metadata), info.other_sections)


def _load_one(info: TemplateInfo) -> Template:
    folder = info.folder
    try:
        raw_schema = (folder / SCHEMA_FILE).read_bytes()
        raw_source = (folder / TEMPLATE_FILE).read_bytes()
        schema = json.loads(raw_schema)
        sample = json.loads((folder / SAMPLE_FILE).read_bytes())
    except (OSError, ValueError) as exc:
        raise CatalogueError(f"{folder}: {exc}") from exc

    validator_class = jsonschema.validators.validator_for(schema)
    try:
        validator_class.check_schema(schema)
    except jsonschema.exceptions.SchemaError as exc:
        raise CatalogueError(f"{folder}/{SCHEMA_FILE}: {exc.message}") from exc
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    shown = _shown(info, schema)
    reader = _reader_for(info, schema, shown)
    try:
        environment = make_environment(folder)
        jinja = environment.get_template(TEMPLATE_FILE)
        sources = _template_sources(environment)
        refit = refit_for(environment, TEMPLATE_FILE, sources) if info.fit else None
    except jinja2.TemplateSyntaxError as exc:
        raise CatalogueError(f"{folder}/{TEMPLATE_FILE}:{exc.lineno}: {exc.message}") from exc

    fast_check = compile_fast_check(schema)  # None: jsonschema alone then
    digest = hashlib.sha256()
    shared = [
        "\n".join(lines).encode()
        for name, lines in sorted(sources.items())
        if name != TEMPLATE_FILE
    ]
    for part in (info.meta, raw_schema, raw_source, *shared):
        digest.update(hashlib.sha256(part).digest())
    template = Template(
        name=info.name,
        title=info.title,
        description=info.description,
        engine=info.engine,
        version=digest.hexdigest()[:16],
        schema=schema,
        sample=sample,
        jinja=jinja,
        validator=validator,
        fast_check=fast_check,
        reader=reader,
        sources=sources,
        pages=info.pages,
        unicode_engine=info.unicode_engine,
        shown=shown,
        papers=info.papers,
        fit=info.fit,
        refit=refit,
    )
    try:
        template.validate(sample)
    except InvalidData as exc:
        raise CatalogueError(f"{folder}/{SAMPLE_FILE} fails its own schema: {exc.errors}") from exc
    return template
