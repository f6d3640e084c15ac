"""The bench's account of itself, step by step: its ``--help``."""

DESCRIPTION = """``make bench``: what this machine can do, and how close texrender gets to it.

0. The bench's own process (the load generator) runs at niceness 19; the servers and the
   health probes it starts go back to its first priority (when allowed), so the harness's CPU
   does not decide the result.
1. The machine limit: the benchmark document's TeX, compiled by bare ``pdflatex`` a few times,
   plainly and from a format of its preamble; the median CPU seconds of one compile (the
   child's own rusage) gives ``nproc / cpu_s`` renders per second, what the cores could do with
   nothing else running. With it, the same document with its name in Cyrillic, Greek, CJK and
   Arabic, each on the path texrender takes for it (pdfLaTeX for Cyrillic and Greek where the
   machine has their fonts, XeLaTeX, the Unicode path, else). ``--only limits`` runs this alone.
2. A real ``texrender serve`` in a subprocess (this package imports nothing from the server, so
   the bench measures what any client would see). First the cost of the cheapest request there
   is (``/healthz``, one client, in server CPU ms): the floor any refusal is compared with. Then
   seven loads, each with the health probe: 2x the render slots with unique bodies (the
   baseline), one client, 8x (queueing), 8 clients (what the hostile run is held against), 64
   clients (overload: more than slots and queue hold) that wait as ``Retry-After`` asks, the
   same 64 asking again at once (hostile), and 16 clients repeating one body
   (cache-friendly). The 64-client runs start their clients over 2 s. Then one 429 measured
   alone. ``--only overload`` runs the machine limit, the baseline, 8-client and hostile loads
   and the 429 alone.
3. Fair sharing between keys: a server of its own with auth on and two keys; one key's
   renders one after another, alone and then beside the other key's 64 hostile clients, in the
   same run: its p50 and p99 both ways, against the target of issue 20 (flooded p99 at most
   twice idle p99 plus one render time; no 429 for it). ``--only fairness`` runs this alone.
4. Many instances behind HAProxy (when haproxy and redis-server are installed): one Redis, one
   instance alone and three more, HAProxy from ``deploy/haproxy/haproxy.cfg`` in front; unique
   bodies through the lone instance directly, through HAProxy, and through the three (renders/s,
   p50, p99), then a few documents sent again and again through the three (balanced on the body
   and round robin) and the lone one: how many answers came from a cache, how many from Redis
   (typeset by another instance), how many TeX runs. ``--only cluster`` runs this alone.
5. ``bench/results.json`` (everything), ``bench/results.md`` (the table, the overload targets
   as ratios to the baseline run, fair sharing, many instances), ``bench/latency.png`` (the
   first run over time); the table is printed at the end. Alone, a step writes ``STEP.json``
   and ``STEP.md`` instead.
"""
