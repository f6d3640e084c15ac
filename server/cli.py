"""The ``texrender`` command: ``serve``, ``render`` and ``templates``. No logic lives here."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import trio

from rendering.catalogue import CatalogueError
from rendering.errors import InvalidData, RenderError, TexError

from .logs import configure_logging
from .settings import Settings, SettingsError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="texrender",
        description="Render JSON data into PDFs with LaTeX templates.",
        epilog="Every option can also be set with a TEXRENDER_<NAME> environment variable.",
    )
    parser.add_argument(
        "--templates",
        action="append",
        type=Path,
        dest="template_dirs",
        metavar="DIR",
        help="template directory (repeatable)",
    )
    parser.add_argument("--engine", dest="tex_engine", help="TeX engine binary (pdflatex)")
    parser.add_argument(
        "--slots", dest="render_slots", type=int, help="TeX processes at once (default: CPU count)"
    )
    parser.add_argument(
        "--render-timeout",
        dest="render_timeout_s",
        type=float,
        help="seconds one TeX run may take (default 20)",
    )
    parser.add_argument("--log-level", default=None, help="debug, info, warning, error")
    parser.add_argument(
        "--log-format",
        choices=["auto", "json", "text"],
        help="log lines as JSON or text (default auto: text on a terminal, else JSON)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP server")
    serve.add_argument(
        "--bind",
        action="append",
        metavar="HOST:PORT",
        help="address to listen on (repeatable; default 127.0.0.1:8000)",
    )
    serve.add_argument("--workers", type=int, help="server processes (default 1)")
    serve.add_argument(
        "--queue-max",
        dest="queue_max",
        type=int,
        help="renders that may wait for a slot before 429 (default 32)",
    )
    serve.add_argument(
        "--queue-timeout",
        dest="queue_timeout_s",
        type=float,
        help="seconds a render may wait for a slot before 503 (default 30)",
    )
    serve.add_argument(
        "--max-body-bytes",
        dest="max_body_bytes",
        type=int,
        help="largest request body accepted (default 1048576)",
    )
    serve.add_argument(
        "--graceful-timeout",
        dest="graceful_timeout_s",
        type=float,
        help="seconds in-flight requests get on shutdown (default 10)",
    )

    render = commands.add_parser("render", help="render one document to a file, no server")
    render.add_argument("template", help="template name (see `texrender templates`)")
    render.add_argument("data", help="JSON data file, or - for standard input")
    render.add_argument("-o", "--output", type=Path, required=True, help="PDF file to write")
    render.add_argument("--tex", action="store_true", help="write the filled TeX source instead")

    commands.add_parser("templates", help="list the templates")
    commands.add_parser(
        "loadtest", help="load-test a running server (see `texrender loadtest --help`)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["loadtest"]:
        # The harness is a separate HTTP client with its own options (see loadtest/).
        from loadtest.cli import main as loadtest_main

        return loadtest_main(argv[1:])
    args = build_parser().parse_args(argv)
    not_settings = {"command", "data", "output", "template", "tex"}
    options = {k: v for k, v in vars(args).items() if k not in not_settings}
    if options.get("bind"):
        options["bind"] = tuple(options["bind"])
    if options.get("template_dirs"):
        options["template_dirs"] = tuple(options["template_dirs"])
    try:
        settings = Settings.from_env(os.environ, **options)
    except SettingsError as exc:
        print(f"texrender: {exc}", file=sys.stderr)
        return 2
    level = settings.log_level
    if (
        args.command != "serve"
        and args.log_level is None
        and "TEXRENDER_LOG_LEVEL" not in os.environ
    ):
        level = "warning"  # one-shot commands print their result, not the server's chatter
    configure_logging(level, settings.log_format)
    try:
        if args.command == "serve":
            from .serve import serve_forever

            serve_forever(settings)
            return 0
        if args.command == "templates":
            return trio.run(list_templates, settings)
        return trio.run(render_to_file, settings, args.template, args.data, args.output, args.tex)
    except CatalogueError as exc:
        print(f"texrender: broken template: {exc}", file=sys.stderr)
        return 2


async def list_templates(settings: Settings) -> int:
    from rendering.catalogue import Catalogue

    catalogue = await trio.to_thread.run_sync(Catalogue.load, settings.template_dirs)
    for template in catalogue.values():
        print(f"{template.name:24} {template.title}: {template.description}")
    return 0


async def render_to_file(
    settings: Settings, template: str, data_path: str, output: Path, tex_only: bool = False
) -> int:
    from .app import build_state

    try:
        data = await read_data(data_path)
    except (OSError, ValueError) as exc:
        print(f"texrender: cannot read {data_path}: {exc}", file=sys.stderr)
        return 1
    state = await build_state(settings, None)
    try:
        if tex_only:
            entry = state.catalogue.get_template(template)
            entry.validate(data)
            await trio.Path(output).write_text(entry.to_tex(data), encoding="utf-8")
            print(f"wrote {output} (TeX source)")
            return 0
        result = await state.renderer.render(template, data)
    except RenderError as exc:
        print(describe(exc), file=sys.stderr)
        return 1
    await trio.Path(output).write_bytes(result.pdf)
    print(f"wrote {output} ({len(result.pdf)} bytes, TeX {result.tex_s * 1000:.0f} ms)")
    return 0


async def read_data(path: str) -> Any:
    if path == "-":
        text = await trio.to_thread.run_sync(sys.stdin.read)
    else:
        text = await trio.Path(path).read_text(encoding="utf-8")
    return json.loads(text)


def describe(error: RenderError) -> str:
    """A readable, multi-line account of a render error for the terminal."""
    lines = [f"texrender: {error.title}: {error.detail}"]
    if isinstance(error, InvalidData):
        lines += [f"  at {e.pointer or '/'}: {e.message}" for e in error.errors]
    if isinstance(error, TexError):
        where = f"line {error.tex.line}" if error.tex.line else "unknown line"
        lines.append(f"  {where}: {error.tex.context}")
    return "\n".join(lines)
