"""Cyrillic and Greek on the fast path (pdfLaTeX, T2A and LGR fonts) against the Unicode path
(XeLaTeX), for one template: TeX CPU per render and exact text (issue 25).

    .venv/bin/python -m tools.t2a_cost [-n 9] [--template NAME] [--pdf-dir DIR] [--base DIR]

Each case is rendered N times, the cases taking turns (one render of each, N times over), and
the figure is the median of the TeX child's user + system CPU seconds (``RUSAGE_CHILDREN``), as
``tools.render_cost`` measures it. With ``--base DIR`` (a templates folder from before the
fast path had Cyrillic and Greek), the Latin sample through that template too: what loading
T2A and LGR costs a Latin render. Each fast-path render of a corpus file is then checked as the
corpus test checks a render: every string it shows must come out of ``pdftotext`` exactly
(NFC, white space normalised). With ``--pdf-dir`` the last PDF of each case is kept there.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
from pathlib import Path
from typing import Any

import trio

from rendering import DEFAULT_TEMPLATES_DIR, RenderConfig, RenderService, build_service

from .exact_text import CORPUS_DIR, Document, PdfText, corpus, for_template, found
from .exact_text._shown import expected_strings

CASES = (  # (label, corpus file or None for the sample, path)
    ("latin sample, fast", None, "fast"),
    ("russian, fast (T2A)", "russian.json", "fast"),
    ("russian, unicode", "russian.json", "unicode"),
    ("ukrainian, fast (T2A)", "ukrainian.json", "fast"),
    ("ukrainian, unicode", "ukrainian.json", "unicode"),
    ("greek, fast (LGR)", "greek.json", "fast"),
    ("greek, unicode", "greek.json", "unicode"),
)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def _one(service: RenderService, template: str, data: Any, path: str) -> tuple[float, bytes]:
    """One render's TeX CPU seconds, and its PDF."""
    pipeline = service.pipeline
    chosen = service.catalogue.get_template(template)
    unicode = path == "unicode"
    source = chosen.to_tex(data, unicode=unicode)
    if unicode:
        assert pipeline.unicode is not None
        assert pipeline.unicode.formats is not None
        engine, fmt = pipeline.unicode.engine, pipeline.unicode.formats.format_for(template, source)
    else:
        assert service.formats is not None
        engine, fmt = pipeline.engine, service.formats.format_for(template, source)
    assert fmt is not None, f"no format for {path}"
    before = _children_cpu()
    result = await engine.compile(source, timeout_s=60, format_name=fmt)
    return _children_cpu() - before, result.pdf


def exact(template: str, data: Any, pdf: bytes) -> tuple[int, list[str]]:
    """How many shown strings came out exactly, and the lines that did not."""
    text = PdfText.of(pdf)
    ok, lost = 0, []
    for expected in expected_strings(template, data):
        if not expected.shown:
            continue
        miss = next((line for line in expected.lines if not found(line, text)), None)
        if miss is None:
            ok += 1
        else:
            lost.append(miss)
    return ok, lost


async def measure(renders: int, template: str, pdf_dir: Path | None, base: Path | None) -> None:
    service = await build_service(RenderConfig(template_dirs=(DEFAULT_TEMPLATES_DIR,)))
    await service.build_formats()
    files: dict[str, Document] = {d.name: d for d in corpus(CORPUS_DIR)}
    sample = dict(service.catalogue.get_template(template).sample)
    cases = [
        (label, service, sample if name is None else for_template(files[name], template), path)
        for label, name, path in CASES
    ]
    if base is not None:
        # The same sample through the template as it was before the prototype (its own format).
        before = await build_service(RenderConfig(template_dirs=(base,)))
        await before.build_formats()
        cases.insert(1, ("latin sample, fast, base template", before, sample, "fast"))
    times: dict[str, list[float]] = {}
    pdfs: dict[str, bytes] = {}
    for _ in range(renders):
        for label, serving, data, path in cases:
            cpu, pdf = await _one(serving, template, data, path)
            times.setdefault(label, []).append(cpu)
            pdfs[label] = pdf
    await service.aclose()
    if base is not None:
        await before.aclose()
    fast = statistics.median(times[CASES[0][0]])
    print(f"{template + ', CPU-s per render':34}{'median':>8}{'x latin':>9}  exact text")
    for label, _, data, path in cases:
        median = statistics.median(times[label])
        ok, lost = exact(template, data, pdfs[label])
        print(f"{label:34}{median:8.3f}{median / fast:9.2f}  {ok}/{ok + len(lost)}")
        for line in lost:
            print(f"{'':36}missing: {line!r}")
        if pdf_dir is not None:
            name = label.split(",")[0].replace(" ", "-") + "-" + path
            await trio.Path(pdf_dir).mkdir(parents=True, exist_ok=True)
            await trio.Path(pdf_dir / f"{name}.pdf").write_bytes(pdfs[label])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.t2a_cost", description=__doc__)
    parser.add_argument("-n", type=int, default=9, help="renders of each case (default 9)")
    parser.add_argument("--pdf-dir", type=Path, help="keep the last PDF of each case here")
    parser.add_argument(
        "--template", default="resume-classic", help="the template (resume-classic)"
    )
    parser.add_argument("--base", type=Path, help="templates folder of the template before")
    args = parser.parse_args(argv)
    trio.run(measure, args.n, args.template, args.pdf_dir, args.base)
    return 0


if __name__ == "__main__":
    sys.exit(main())
