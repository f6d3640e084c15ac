"""The ``texrender`` command: ``serve``, ``render``, ``templates``, ``keys``, ``documents`` and
``loadtest``.

No logic lives here, and each subcommand imports only what it needs: listing templates reads
their ``template.toml`` files and nothing more, rendering builds the pipeline without the HTTP
stack, and only ``serve`` imports Quart and Hypercorn. The options are generated from the
settings' own fields (:mod:`server.settings`), so help text and defaults are written once.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rendering import CatalogueError

from .serving.logs import configure_logging
from .settings import (
    Settings,
    SettingsError,
    env_name,
    field_types,
    shown_default,
    value_type,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from rendering import ReadWarning, RenderError


def build_parser() -> argparse.ArgumentParser:
    """The whole command line. Settings' flags are accepted before the subcommand and after it
    (at every level: ``texrender keys --data-dir X create NAME`` too); see :func:`setting_options`
    for which wins when a flag comes twice."""
    parser = argparse.ArgumentParser(
        prog="texrender",
        allow_abbrev=False,  # `keys create --owner` must not be read as a prefix of another
        description="Render JSON data into PDFs with LaTeX templates.",
        epilog="Every setting can also be given as a TEXRENDER_<NAME> environment variable "
        "(see the README's settings table); a flag wins over the variable. Flags may come "
        "before or after the subcommand; given twice, the later wins (repeatable ones add up).",
    )
    add_setting_flags(parser, ("global", "serve"), 0)
    commands = parser.add_subparsers(dest="command", required=True)

    def command(parent: Any, name: str, level: int, **kwargs: Any) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = parent.add_parser(name, allow_abbrev=False, **kwargs)
        add_setting_flags(sub, ("global", "serve") if name == "serve" else ("global",), level)
        return sub

    command(commands, "serve", 1, help="run the HTTP server")

    render = command(commands, "render", 1, help="render one document to a file, no server")
    render.add_argument("template", help="template name (see `texrender templates`)")
    render.add_argument("data", help="JSON data file, or - for standard input")
    render.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="file to write (PDF, or PNG when it ends in .png), or - for standard output",
    )
    render.add_argument("--tex", action="store_true", help="write the filled TeX source instead")
    render.add_argument(
        "--png",
        type=int,
        metavar="PAGE",
        help="write that page as a PNG picture instead (also when OUTPUT ends in .png: page 1)",
    )
    render.add_argument("--dpi", type=int, default=96, help="resolution of --png (default 96)")
    render.add_argument(
        "--paper",
        metavar="SIZE",
        help="paper size: a4 or letter (default: letter for the United States and Canada, by "
        "the data's country or language, a4 elsewhere)",
    )
    render.add_argument(
        "--tagged",
        action="store_true",
        help="a tagged PDF: structure and reading order marked for screen readers (several "
        "times the TeX time)",
    )
    render.add_argument(
        "--strict",
        action="store_true",
        help="read the data exactly as the schema says (no lenient reading, no warnings)",
    )

    command(commands, "templates", 1, help="list the templates")

    keys = command(commands, "keys", 1, help="API keys: create, list, revoke, delete")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    create = command(
        key_commands, "create", 2, help="make a key and print it (shown only this once)"
    )
    create.add_argument("name", help="the key's name (1-64 letters, digits, . _ @ -)")
    create.add_argument("--owner", help="whose documents it reaches (default: the key's name)")
    command(key_commands, "list", 2, help="every key: name, owner, id, created, last used, state")
    revoke = command(key_commands, "revoke", 2, help="stop a key from working (within seconds)")
    revoke.add_argument("name", help="the key's name")
    delete = command(
        key_commands,
        "delete",
        2,
        help="forget every key of that name, revoked or not (it stops working within seconds)",
    )
    delete.add_argument("name", help="the key's name")

    documents = command(
        commands, "documents", 1, help="stored documents: export, import (JSON Lines), move"
    )
    document_commands = documents.add_subparsers(dest="documents_command", required=True)
    export = command(
        document_commands, "export", 2, help="write every owner's documents, a line each"
    )
    export.add_argument("-o", "--output", default="-", help="file to write (default: stdout)")
    move = command(
        document_commands,
        "move",
        2,
        help="give every document of one owner to another (local's, once auth is on)",
    )
    move.add_argument("owner", help="whose documents they are now (local: stored with auth off)")
    move.add_argument("new_owner", help="whose they become (a key's owner: see `keys list`)")
    load = command(document_commands, "import", 2, help="store the documents of an export")
    load.add_argument("file", help="a file written by `documents export`, or - for stdin")
    load.add_argument(
        "--replace", action="store_true", help="overwrite documents whose id is already stored"
    )
    commands.add_parser(
        "loadtest", help="load-test a running server (see `texrender loadtest --help`)"
    )
    return parser


def add_setting_flags(parser: argparse.ArgumentParser, scopes: tuple[str, ...], level: int) -> None:
    """One option per setting of ``scopes`` that has a flag, with the setting's help, default
    and environment variable in its help text.

    Each level of subcommand keeps its own copy (``dest`` ``name@level``): argparse would
    otherwise let a subcommand's unset option wipe out the same option given before it.
    """
    types_ = field_types()
    for f in dataclasses.fields(Settings):
        meta = f.metadata
        if meta.get("flag") is None or meta.get("scope") not in scopes:
            continue
        kind, many = value_type(types_[f.name])
        shown = shown_default(f.name)
        parser.add_argument(
            meta["flag"],
            dest=f"{f.name}@{level}",
            type=kind,
            action="append" if many else "store",
            choices=meta.get("choices"),
            metavar=None if meta.get("choices") else meta.get("metavar") or _METAVARS[kind],
            help=f"{meta['help']} (default: {shown}; {env_name(f.name)})".replace("%", "%%"),
        )


def setting_options(args: argparse.Namespace) -> dict[str, Any]:
    """The settings the command line gave, by field name.

    A flag may come before the subcommand and after it; the later wins, and a repeatable one
    (``--templates``, ``--bind``) adds its values to the earlier ones.

    Raises:
        SettingsError: a flag of ``serve`` alone came before another subcommand.
    """
    options: dict[str, Any] = {}
    for key, value in sorted(vars(args).items(), key=lambda item: item[0].partition("@")[2]):
        name, at, _ = key.partition("@")
        if not at or value is None:
            continue
        if isinstance(value, list):
            options[name] = (*options.get(name, ()), *value)
        else:
            options[name] = value
    for name in options:
        meta = Settings.__dataclass_fields__[name].metadata
        if meta.get("scope") == "serve" and args.command != "serve":
            raise SettingsError(f"{meta['flag']} is an option of `texrender serve` only")
    return options


_METAVARS: dict[type, str] = {int: "N", float: "SECONDS", Path: "DIR", str: "NAME"}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["loadtest"]:
        # The harness is a separate HTTP client with its own options (see loadtest/).
        from loadtest.cli import main as loadtest_main

        return loadtest_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        options = setting_options(args)
        settings = Settings.from_env(os.environ, **options)
    except SettingsError as exc:
        print(f"texrender: {exc}", file=sys.stderr)
        return 2
    level = settings.log_level
    if (
        args.command != "serve"
        and "log_level" not in options
        and env_name("log_level") not in os.environ
    ):
        level = "warning"  # one-shot commands print their result, not the server's chatter
    configure_logging(level, settings.log_format)
    try:
        if args.command == "serve":
            from .serving.serve import serve_forever

            return serve_forever(settings)
        if args.command == "templates":
            return list_templates(settings)
        import trio

        if args.command in ("keys", "documents"):
            return trio.run(run_admin, settings, args)

        page = args.png if args.png is not None else (1 if args.output.suffix == ".png" else None)
        return trio.run(
            render_to_file,
            settings,
            args.template,
            args.data,
            args.output,
            args.tex,
            args.strict,
            page,
            args.dpi,
            args.paper,
            args.tagged,
        )
    except CatalogueError as exc:
        print(f"texrender: broken template: {exc}", file=sys.stderr)
        return 2


async def run_admin(settings: Settings, args: argparse.Namespace) -> int:
    """``keys ...`` and ``documents ...`` (see :mod:`server.admin`)."""
    from . import admin
    from .startup import StartupFailed
    from .store import StoreError
    from .store.dburl import masked

    try:
        if args.command == "keys":
            if args.keys_command == "create":
                return await admin.create_key(settings, args.name, args.owner)
            if args.keys_command == "list":
                return await admin.list_keys(settings)
            if args.keys_command == "delete":
                return await admin.delete_key(settings, args.name)
            return await admin.revoke_key(settings, args.name)
        if args.documents_command == "move":
            return await admin.move_documents(settings, args.owner, args.new_owner)
        if args.documents_command == "export":
            return await admin.export_documents(settings, args.output)
        return await admin.import_documents(settings, args.file, replace=args.replace)
    except StartupFailed as exc:
        print(f"texrender: {exc}", file=sys.stderr)
        return 1
    except (StoreError, OSError) as exc:
        url = settings.database_url
        where = f"the database {masked(url)}" if url else f"the store in {settings.documents_dir()}"
        print(f"texrender: {where}: {exc}", file=sys.stderr)
        return 1


def list_templates(settings: Settings) -> int:
    """Print each template's name, title, paper sizes and description (from its metadata
    alone)."""
    from rendering import find_templates

    for info in find_templates(settings.template_dirs):
        papers = ", ".join(info.papers)
        print(f"{info.name:24} {info.title} ({papers}): {info.description}")
    return 0


async def render_to_file(
    settings: Settings,
    template: str,
    data_path: str,
    output: Path,
    tex_only: bool = False,
    strict: bool = False,
    page: int | None = None,
    dpi: int = 96,
    paper: str | None = None,
    tagged: bool = False,
) -> int:
    """Render one document through the same pipeline the server builds, into ``output`` (the
    PDF, the TeX source, or one page as PNG)."""

    from rendering import DPI_MAX, DPI_MIN, PageRequest, RenderError, RenderOrder, build_service

    if page is not None and (page < 1 or not DPI_MIN <= dpi <= DPI_MAX):
        print(
            f"texrender: --png needs a page from 1 and --dpi from {DPI_MIN} to {DPI_MAX}",
            file=sys.stderr,
        )
        return 2

    try:
        data = await read_data(data_path)
    except (OSError, ValueError, RecursionError) as exc:
        print(f"texrender: cannot read {data_path}: {exc}", file=sys.stderr)
        return 1
    service = await build_service(settings.render_config())
    picture = PageRequest(page, dpi) if page is not None else None
    order = RenderOrder.for_data(
        template, data, strict=strict, page=picture, paper=paper, tagged=tagged
    )
    try:
        if tex_only:
            source, warnings = service.pipeline.tex_source(order)
            print_warnings(warnings)
            await write_output(output, source.encode("utf-8"))
            print(f"texrender: wrote {_shown(output)} (TeX source)", file=sys.stderr)
            return 0
        rendered = await service.pipeline.render(order)
    except RenderError as exc:
        print_warnings(exc.warnings)
        print(error_text(exc), file=sys.stderr)
        return 1
    print_warnings(rendered.warnings)
    await write_output(output, rendered.body)
    size = len(rendered.body)
    if page is not None:
        done = f"page {page} at {dpi} dpi, {size} bytes"
    else:
        done = f"{size} bytes, TeX {rendered.timings.tex_s * 1000:.0f} ms"
    print(f"texrender: wrote {_shown(output)} ({done})", file=sys.stderr)
    return 0


async def write_output(output: Path, content: bytes) -> None:
    """Write ``content`` to the file ``output``, or, for ``-``, to standard output as bytes
    (so a PDF piped on arrives whole; every message goes to stderr)."""
    import trio

    if str(output) != "-":
        await trio.Path(output).write_bytes(content)
        return

    def to_stdout() -> None:
        try:
            sys.stdout.flush()
            sys.stdout.buffer.write(content)
            sys.stdout.buffer.flush()
        except BrokenPipeError:  # the reader stopped (`| head`): not worth a traceback
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())

    await trio.to_thread.run_sync(to_stdout)


def _shown(output: Path) -> str:
    return "standard output" if str(output) == "-" else str(output)


def print_warnings(warnings: Iterable[ReadWarning]) -> None:
    for warning in warnings:
        print(f"texrender: warning: {warning.pointer or '/'}: {warning.message}", file=sys.stderr)


async def read_data(path: str) -> Any:
    import trio

    if path == "-":
        text = await trio.to_thread.run_sync(sys.stdin.read)
    else:
        text = await trio.Path(path).read_text(encoding="utf-8")
    return json.loads(text)


def error_text(error: RenderError) -> str:
    """A readable, multi-line account of a render error for the terminal."""
    from rendering import InvalidData, TexError

    lines = [f"texrender: {error.title}: {error.detail}"]
    if isinstance(error, InvalidData):
        lines += [f"  at {e.pointer or '/'}: {e.message}" for e in error.errors]
    if isinstance(error, TexError):
        where = f"line {error.tex.line}" if error.tex.line else "unknown line"
        lines.append(f"  {where}: {error.tex.context}")
    return "\n".join(lines)
