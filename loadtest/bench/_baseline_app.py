"""The yardstick ``make bench`` measures texrender against: the usual way a web service runs
LaTeX. A Starlette app whose render route runs plain ``pdflatex`` (no format, no sandbox, no
queue) in anyio's worker threads on one filled ``.tex`` file, whatever the request body.

It is not part of texrender and imports nothing from it: the bench starts it with uvicorn from a
virtual environment of its own (see ``_baseline.py`` beside this file). Configured by environment:
``BASELINE_TEX`` (the ``.tex`` file to typeset) and ``BASELINE_PDFLATEX`` (the binary).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

TEX = Path(os.environ.get("BASELINE_TEX", "doc.tex")).read_text(encoding="utf-8")
PDFLATEX = os.environ.get("BASELINE_PDFLATEX", "pdflatex")


def typeset() -> bytes:
    with tempfile.TemporaryDirectory(prefix="baseline-") as workdir:
        Path(workdir, "doc.tex").write_text(TEX, encoding="utf-8")
        subprocess.run(
            [PDFLATEX, "-interaction=batchmode", "-halt-on-error", "doc.tex"],
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            check=True,
        )
        return Path(workdir, "doc.pdf").read_bytes()


async def render(request: Request) -> Response:
    await request.body()
    pdf = await anyio.to_thread.run_sync(typeset)
    return Response(pdf, media_type="application/pdf")


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


app = Starlette(
    routes=[
        Route("/v1/render/{template}", render, methods=["POST"]),
        Route("/healthz", healthz),
    ]
)
