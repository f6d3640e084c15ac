"""Count the corpus's strings found exactly in its PDFs, per template and script.

    .venv/bin/python -m tools.exact_text [--misses] [--json FILE]

Every corpus file goes through every template (the real engines, no cache); the table says,
for each template and script, how many strings were found of how many the template shows.
``--misses`` lists each string not found; ``--json`` writes the counts for a later comparison.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import trio

from rendering import DEFAULT_TEMPLATES_DIR, RenderConfig, build_service

from ._check import Checked, check_document
from ._corpus import SCRIPTS, corpus

TEMPLATES = ("resume-classic", "resume-modern", "cover-letter")


async def count() -> list[Checked]:
    config = RenderConfig(template_dirs=(DEFAULT_TEMPLATES_DIR,), cache_bytes=0)
    service = await build_service(config)
    await service.build_formats()
    results = []
    for template in TEMPLATES:
        for document in corpus():
            results.append(await check_document(service.pipeline, template, document))
    await service.aclose()
    return results


def table(results: list[Checked]) -> dict[str, dict[str, list[int]]]:
    """``{template: {script: [found, total]}}``."""
    counts: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for result in results:
        cell = counts[result.template].setdefault(result.document.script, [0, 0])
        cell[0] += len(result.found)
        cell[1] += result.total
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.exact_text", description=__doc__)
    parser.add_argument("--misses", action="store_true", help="list every string not found")
    parser.add_argument("--json", type=Path, help="write the counts to this file")
    args = parser.parse_args(argv)
    results = trio.run(count)
    counts = table(results)
    scripts = list(dict.fromkeys(SCRIPTS.values()))
    print(f"{'script':26}" + "".join(f"{t:>18}" for t in TEMPLATES))
    for script in scripts:
        cells = [counts[t].get(script, [0, 0]) for t in TEMPLATES]
        print(f"{script:26}" + "".join(f"{f'{c[0]}/{c[1]}':>18}" for c in cells))
    totals = [[sum(c[i] for c in counts[t].values()) for i in (0, 1)] for t in TEMPLATES]
    print(f"{'all':26}" + "".join(f"{f'{c[0]}/{c[1]}':>18}" for c in totals))
    if args.misses:
        for result in results:
            if result.missing or result.leaked or result.error:
                print(result.report())
    if args.json:
        args.json.write_text(json.dumps(counts, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
