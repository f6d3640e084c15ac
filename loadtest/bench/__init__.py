"""``make bench``: what this machine can do, and how close texrender gets to it.

1. The machine limit: the benchmark document's TeX, compiled by bare ``pdflatex`` a few times,
   plainly and from a format of its preamble; the median CPU seconds of one compile (the
   child's own rusage) gives ``nproc / cpu_s`` renders per second, what the cores could do with
   nothing else running.
2. A real ``texrender serve`` in a subprocess (this package imports nothing from the server, so
   the bench measures what any client would see). First the cost of the cheapest request there
   is (``/healthz``, one client, in server CPU ms): the floor any refusal is compared with. Then
   five loads, each with the health probe: 2x the render slots with unique bodies (the
   baseline), 8x (queueing), 64 clients (overload: more than slots and queue hold) that wait as
   ``Retry-After`` asks, the same 64 asking again at once (hostile), and 16 clients repeating
   one body (cache-friendly). The 64-client runs start their clients over 2 s.
3. ``bench/results.json`` (everything), ``bench/results.md`` (the table, and the overload
   targets as ratios to the baseline run), ``bench/latency.png`` (the first run over time); the
   table is printed at the end.
"""

from __future__ import annotations

from ._cli import build_parser, main
from ._markdown import markdown
from ._server_cpu import refusal_cpu_ms, render_cpu_ms, tex_counters
from ._steps import bench

__all__ = [
    "bench",
    "build_parser",
    "main",
    "markdown",
    "refusal_cpu_ms",
    "render_cpu_ms",
    "tex_counters",
]
