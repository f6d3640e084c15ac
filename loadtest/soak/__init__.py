"""``make soak`` (``python -m loadtest.soak``): a long run near capacity with a mix of good,
invalid, hostile and aborted requests, to find what only time shows: memory, descriptors, work
directories or TeX processes that leak, and any status the README does not document.

It targets only a server it starts itself, on loopback, and stops by itself:

1. ``texrender --templates templates --templates tests/templates serve --bind 127.0.0.1:0`` in
   a subprocess (the test templates for ``slow``), with ``TEXRENDER_WORK_DIR`` a fresh
   temporary directory, a small PDF cache (``--cache-bytes``, 8 MiB: a 256 MiB cache filling
   up is growth by design, not a leak) and no other ``TEXRENDER_*`` variable inherited.
2. Capacity: a closed loop of 2x render slots clients sending unique ``resume-classic`` bodies
   for ``--capacity-duration`` (10 s); capacity = answers 200 per second.
3. ``--settle`` (3 s) of quiet, then the *start* figures.
4. The soak: Poisson arrivals for ``--duration`` (10 min) at the rate where the kinds that run
   TeX (``good``, ``aborted``) arrive at ``--load`` (0.8) of capacity; the other kinds cost
   next to nothing and come on top. ``--rate`` sets the arrival rate instead. Bounded by the
   duration and by a request count (``--requests``, default 1.5x the expected number + 100).
5. ``--settle`` again, the *end* figures; SIGTERM, timed; the figures once the server is gone.

The mix (weights; ``--weights kind=w,...`` changes some) and the statuses documented for each
kind (README, "The HTTP API" and "Limits and security"). Every kind is sent once first, in this
order, so even a short run covers them all; then kinds are drawn by weight from ``--seed``.

=========== ====== ================================================ =========================
kind        weight request                                          documented
=========== ====== ================================================ =========================
good        55     render ``resume-classic``, unique data           200; 429, 503
cache-hit   10     render one fixed ``resume-classic`` body         200; 429, 503
invalid     8      data that fails the schema                       422; 429
nested      3      arrays nested 100 levels deep                    400; 429
too-long    3      a 16,000-character name                          422; 429
not-json    3      bytes that are not JSON; ``NaN``                 400; 429
surrogates  3      lone surrogates in keys and values               200, 422; 429, 503
too-large   2      a 2 MiB body                                     413 (or the connection
                                                                    closed under the upload:
                                                                    write-error, read-error)
aborted     5      render ``slow``; the client closes the           aborted; 200, 429, 503
                   connection after ``--abort-after`` (300 ms)      (answered before that)
validate    8      the dry run ``POST /v1/validate/resume-classic`` 200, 422
(probe)            ``GET /healthz`` every 250 ms, own process       200
=========== ====== ================================================ =========================

429 and 503 are the queue shedding load as documented: a render with no room in the queue is
refused before its data is read, so bad data too may get a 429 (never a 503: it fails before
it would wait). 504 is not expected of these documents
and is not in the table; a 500 never is. ``timeout`` (no answer in ``--timeout``) and
``unfinished`` (still running when the drain time ran out) are failures too.

The verdict fails (exit 1) when: a status is not documented for its kind; a kind was never
sent; at the end (or after the server exited) the work directory holds anything or a TeX
process of this server is alive; the end RSS is over 1.5x the start RSS + 50 MiB; the open
descriptors grew by more than 50; or the server needed SIGKILL (not gone 30 s after SIGTERM).
Start and end figures come from the server's ``/metrics`` (``/proc`` if it has none); TeX
processes are those whose command name ends in ``tex`` and that descend from the server or run
in its work directory, so TeX of other programs on the machine does not count.
Exit codes: 0 passed, 1 failed, 2 usage error or the soak could not run.
"""

from __future__ import annotations

from ..drive import StopResult
from ._bodies import Bodies
from ._cli import build_parser, config_from, main
from ._config import MIB, SoakConfig
from ._footprint import Figures
from ._kinds import DEFAULT_WEIGHTS, DOCUMENTED, Mix, arrival_rate, undocumented
from ._report import print_report
from ._runner import SoakError, soak
from ._tally import all_answers
from ._verdict import Thresholds, verdict

__all__ = [
    "DEFAULT_WEIGHTS",
    "DOCUMENTED",
    "MIB",
    "Bodies",
    "Figures",
    "Mix",
    "SoakConfig",
    "SoakError",
    "StopResult",
    "Thresholds",
    "all_answers",
    "arrival_rate",
    "build_parser",
    "config_from",
    "main",
    "print_report",
    "soak",
    "undocumented",
    "verdict",
]
