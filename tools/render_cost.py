"""CPU per render of each template's paths, measured as the TeX child's resource usage.

    .venv/bin/python -m tools.render_cost [-n 5] [--only TEXT] [--json FILE]

For each template, N renders of each case, all in the same run (so they share the machine's
load): its sample on the fast path (pdfLaTeX from the format), a corpus file with accents that
T1 builds from two glyphs (``maori-macrons.json``) on the fast path and forced through the
Unicode path (XeLaTeX), Cyrillic and Greek files on both paths (T2A and LGR fonts on the fast
path), and Arabic, Hebrew, Chinese and Japanese files on the Unicode path (right to left, CJK
faces by language), each path from its format. The figure is
the user + system CPU seconds of the finished TeX children (``RUSAGE_CHILDREN``, xdvipdfmx
included), the median of N, so a busy machine's waiting does not count; the cases take turns
(one render of each, N times over), so a change in the machine's load touches them alike. The
last lines give each Unicode case as a multiple of the sample on the fast path.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
from pathlib import Path
from typing import Any

import trio

from rendering import DEFAULT_TEMPLATES_DIR, RenderConfig, RenderService, build_service

from .exact_text import CORPUS_DIR, Document, corpus, for_template

TEMPLATES = ("resume-classic", "resume-modern", "cover-letter")
CASES = (  # (label, corpus file or None for the sample, path)
    ("sample, fast", None, "fast"),
    ("composed accents, fast", "maori-macrons.json", "fast"),
    ("composed accents, unicode", "maori-macrons.json", "unicode"),
    ("cyrillic, fast", "russian.json", "fast"),
    ("cyrillic, unicode", "russian.json", "unicode"),
    ("greek, fast", "greek.json", "fast"),
    ("greek, unicode", "greek.json", "unicode"),
    ("arabic, unicode", "arabic.json", "unicode"),
    ("hebrew, unicode", "hebrew.json", "unicode"),
    ("chinese, unicode", "chinese.json", "unicode"),
    ("japanese, unicode", "japanese.json", "unicode"),
)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def _one(service: RenderService, template: str, data: Any, path: str) -> float:
    """The TeX CPU seconds of one render of ``data`` on ``path``."""
    pipeline = service.pipeline
    chosen = service.catalogue.get_template(template)
    unicode = path == "unicode"
    source = chosen.to_tex(data, unicode=unicode)
    if unicode:
        assert pipeline.unicode is not None, "no Unicode path on this machine"
        engine, formats = pipeline.unicode.engine, pipeline.unicode.formats
        fmt = formats.format_for(template, source) if formats else None
        assert fmt is not None, f"no Unicode format for {template}"
    else:
        engine = pipeline.engine
        fmt = service.formats.format_for(template, source) if service.formats else None
        assert fmt is not None, f"no format for {template}"
    before = _children_cpu()
    await engine.compile(source, timeout_s=60, format_name=fmt)
    return _children_cpu() - before


async def measure(renders: int, only: str = "") -> dict[str, dict[str, float]]:
    service = await build_service(RenderConfig(template_dirs=(DEFAULT_TEMPLATES_DIR,)))
    await service.build_formats()
    files: dict[str, Document] = {d.name: d for d in corpus(CORPUS_DIR)}
    results: dict[str, dict[str, float]] = {}
    cases = []
    for template in TEMPLATES:
        sample = dict(service.catalogue.get_template(template).sample)
        for label, name, path in CASES:
            if only not in label:
                continue
            data = sample if name is None else for_template(files[name], template)
            cases.append((template, label, data, path))
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(renders):
        for template, label, data, path in cases:
            cpu = await _one(service, template, data, path)
            times.setdefault((template, label), []).append(cpu)
    for (template, label), measured in times.items():
        results.setdefault(template, {})[label] = statistics.median(measured)
    await service.aclose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.render_cost", description=__doc__)
    parser.add_argument("-n", type=int, default=5, help="renders of each case (default 5)")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--only", default="", help="only the cases whose label holds this text")
    args = parser.parse_args(argv)
    results = trio.run(measure, args.n, args.only)
    print(f"{'CPU-s per render (median)':28}" + "".join(f"{t:>16}" for t in TEMPLATES))
    for label, _, _ in CASES:
        if args.only not in label:
            continue
        print(f"{label:28}" + "".join(f"{results[t][label]:>16.3f}" for t in TEMPLATES))
    print(f"{'x the sample, fast':28}")
    fast = CASES[0][0]
    for label, _, _ in CASES[1:]:
        if args.only in label and fast in results[TEMPLATES[0]]:
            ratios = [results[t][label] / results[t][fast] for t in TEMPLATES]
            print(f"{label:28}" + "".join(f"{r:>16.2f}" for r in ratios))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
