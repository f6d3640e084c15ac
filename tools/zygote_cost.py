"""CPU per render started fresh vs forked from a loaded engine (a zygote), same run, and the
memory each zygote holds.

    .venv/bin/python -m tools.zygote_cost [-n 15] [--template resume-classic] [--json FILE]
    .venv/bin/python -m tools.zygote_cost --check

``--check`` renders every corpus file in every template on both paths fresh and forked, and
says whether the PDF bytes and logs (or the errors) are the same.

The cases are the template's sample on the fast path (pdfLaTeX) and Cyrillic, Arabic and
Chinese corpus files on the Unicode path (XeLaTeX), each from its format. Every round renders
each case once fresh and once forked, in turn, so a change in the machine's load touches both
alike; figures are medians. A fresh render's CPU is its TeX child's (``RUSAGE_CHILDREN``: the
sandbox's exec'd tools, TeX, xdvipdfmx). A forked render's is its child's (the zygote reports
``wait4``'s usage, xdvipdfmx included) plus what the zygote itself spent on that job (the fork
is the parent's work: page tables copied), read from ``/proc/<pid>/schedstat`` in nanoseconds.
The server's own CPU per render (``RUSAGE_SELF``) is shown for both ways too.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import statistics
import sys
from pathlib import Path
from typing import Any

import trio

from rendering import (
    DEFAULT_TEMPLATES_DIR,
    RenderConfig,
    build_service,
    build_shim,
)

from .exact_text import CORPUS_DIR, corpus, for_template

CASES = (  # (label, corpus file or None for the sample, unicode)
    ("sample, fast (pdfTeX)", None, False),
    ("cyrillic (XeTeX)", "russian.json", True),
    ("arabic (XeTeX)", "arabic.json", True),
    ("chinese (XeTeX)", "chinese.json", True),
)


def _children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _on_cpu(pid: int) -> float:
    """Seconds ``pid`` has run (the first field of schedstat, nanoseconds)."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


def _memory(pid: int) -> dict[str, float]:
    """What a zygote holds, in MiB: resident, of it anonymous, and its proportional share."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "RssAnon", "RssFile"):
            fields[name] = int(value.split()[0]) / 1024
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            fields["Pss"] = int(line.split()[1]) / 1024
    return fields


async def measure(rounds: int, template_name: str) -> dict[str, Any]:
    service = await build_service(RenderConfig(template_dirs=(DEFAULT_TEMPLATES_DIR,)))
    await service.build_formats()
    pipeline = service.pipeline
    assert pipeline.unicode is not None, "no Unicode path on this machine"
    # The real engines (rendering's PdfLatexEngine, typed by its protocol in the pipeline).
    fast_engine: Any = pipeline.engine
    unicode_engine: Any = pipeline.unicode.engine
    shim = await trio.to_thread.run_sync(build_shim, fast_engine.format_dir)
    assert shim is not None, "no C compiler: no zygote"
    template = service.catalogue.get_template(template_name)
    files = {d.name: d for d in corpus(CORPUS_DIR)}
    cases = []
    for label, name, unicode in CASES:
        data = dict(template.sample) if name is None else for_template(files[name], template_name)
        source = template.to_tex(data, unicode=unicode)
        engine = unicode_engine if unicode else fast_engine
        store = pipeline.unicode.formats if unicode else service.formats
        fmt = store.format_for(template_name, source) if store else None
        assert fmt is not None, f"no format for {label}"
        cases.append((label, engine, source, fmt))
    fresh: dict[str, list[float]] = {c[0]: [] for c in cases}
    forked: dict[str, list[float]] = {c[0]: [] for c in cases}
    zygote_share: dict[str, list[float]] = {c[0]: [] for c in cases}
    server: dict[str, dict[str, list[float]]] = {"fresh": {}, "forked": {}}
    async with fast_engine.open_zygotes(shim, max_zygotes=6) as pool:
        pids: dict[str, int] = {}
        for label, engine, source, fmt in cases:  # until a render goes through its zygote
            engine.zygotes = pool
            with trio.fail_after(60):
                while True:
                    done = pool.jobs_done
                    await engine.compile(source, timeout_s=60, format_name=fmt)
                    if pool.jobs_done > done:
                        break
                    await trio.sleep(0.2)
            pids[label] = pool.last_zygote_pid
        for _ in range(rounds):
            for label, engine, source, fmt in cases:
                engine.zygotes = None
                children, own = _children(), _self()
                await engine.compile(source, timeout_s=60, format_name=fmt)
                fresh[label].append(_children() - children)
                server["fresh"].setdefault(label, []).append(_self() - own)
                engine.zygotes = pool
                child, own, zygote = pool.children_cpu, _self(), _on_cpu(pids[label])
                await engine.compile(source, timeout_s=60, format_name=fmt)
                zygote_share[label].append(_on_cpu(pids[label]) - zygote)
                forked[label].append(pool.children_cpu - child + zygote_share[label][-1])
                server["forked"].setdefault(label, []).append(_self() - own)
        memory = {label: _memory(pid) for label, pid in pids.items()}
        for _, engine, _, _ in cases:
            engine.zygotes = None
    await service.aclose()
    median = statistics.median
    return {
        label: {
            "fresh": median(fresh[label]),
            "forked": median(forked[label]),
            "zygote_share": median(zygote_share[label]),
            "server_fresh": median(server["fresh"][label]),
            "server_forked": median(server["forked"][label]),
            "memory_mib": memory[label],
        }
        for label in fresh
    }


# The log's first line ends with the day and minute TeX started: two renders a minute apart
# differ there and nowhere else.
_STARTED_AT = re.compile(r"\d{1,2} [A-Z]{3} \d{4} \d\d:\d\d")


async def _render(engine: Any, source: str, fmt: str) -> tuple[bytes, str] | str:
    try:
        result = await engine.compile(source, timeout_s=60, format_name=fmt)
    except Exception as error:  # an error is an outcome to compare
        return repr(error)
    first, _, rest = result.log.partition("\n")
    return result.pdf, _STARTED_AT.sub("<started>", first, count=1) + "\n" + rest


async def check() -> tuple[int, list[str]]:
    """How many renders were the same fresh and forked, and the ones that were not."""
    service = await build_service(RenderConfig(template_dirs=(DEFAULT_TEMPLATES_DIR,)))
    await service.build_formats()
    pipeline = service.pipeline
    assert pipeline.unicode is not None, "no Unicode path on this machine"
    fast: Any = pipeline.engine
    shim = await trio.to_thread.run_sync(build_shim, fast.format_dir)
    assert shim is not None, "no C compiler: no zygote"
    same, different = 0, []
    async with fast.open_zygotes(shim, max_zygotes=6) as pool:
        for template_name in ("resume-classic", "resume-modern", "cover-letter"):
            template = service.catalogue.get_template(template_name)
            for document in corpus(CORPUS_DIR):
                for unicode in (False, True):
                    data = for_template(document, template_name)
                    source = template.to_tex(data, unicode=unicode)
                    engine: Any = pipeline.unicode.engine if unicode else fast
                    store = pipeline.unicode.formats if unicode else service.formats
                    fmt = store.format_for(template_name, source) if store else None
                    if fmt is None:
                        continue
                    engine.zygotes = None
                    fresh = await _render(engine, source, fmt)
                    engine.zygotes = pool
                    with trio.fail_after(60):
                        while True:  # until the render goes through its zygote
                            done = pool.jobs_done
                            forked = await _render(engine, source, fmt)
                            if pool.jobs_done > done:
                                break
                            await trio.sleep(0.2)
                    engine.zygotes = None
                    if fresh == forked:
                        same += 1
                    else:
                        different.append(f"{template_name} {document.name} unicode={unicode}")
    await service.aclose()
    return same, different


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.zygote_cost", description=__doc__)
    parser.add_argument("-n", type=int, default=15, help="rounds (default 15)")
    parser.add_argument("--template", default="resume-classic")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--check", action="store_true", help="fresh and forked the same?")
    args = parser.parse_args(argv)
    if args.check:
        same, different = trio.run(check)
        print(f"{same} renders the same fresh and forked (PDF bytes and log, or error)")
        for case in different:
            print(f"different: {case}")
        return 1 if different else 0
    results = trio.run(measure, args.n, args.template)
    fast = results[CASES[0][0]]
    print("CPU-s per render, medians; ratios: forked / fresh, and against the fast path's")
    print("fresh and forked renders; server CPU per render in ms; each zygote's memory in MiB")
    print(
        f"{'case':24}{'fresh':>7}{'forked':>7}{'zygote':>7}{'ratio':>6}{'/fast':>6}{'/fast':>6}"
        f"{'server':>7}{'server':>7}{'RSS':>5}{'anon':>5}{'PSS':>5}"
    )
    print(
        f"{'':24}{'':>7}{'':>7}{'share':>7}{'':>6}{'fresh':>6}{'forkd':>6}{'fresh':>7}{'forkd':>7}"
    )
    for label, figures in results.items():
        mem = figures["memory_mib"]
        print(
            f"{label:24}{figures['fresh']:>7.3f}{figures['forked']:>7.3f}"
            f"{figures['zygote_share']:>7.4f}{figures['forked'] / figures['fresh']:>6.2f}"
            f"{figures['forked'] / fast['fresh']:>6.2f}{figures['forked'] / fast['forked']:>6.2f}"
            f"{figures['server_fresh'] * 1000:>7.2f}{figures['server_forked'] * 1000:>7.2f}"
            f"{mem['VmRSS']:>5.0f}{mem['RssAnon']:>5.0f}{mem['Pss']:>5.0f}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
