"""texrender's load-test harness: a pure HTTP client that can be pointed at any deployment.

It imports nothing from ``server/`` or ``rendering/`` so that what it measures is what a real
client sees: ``python -m loadtest URL --rate 20`` (open loop) or ``--concurrency 8`` (closed
loop), with a health probe beside the load and an HDR histogram of every latency.

A run flows drive → record → report, one package each, and nothing imports upward:

- :mod:`loadtest.record`: what happened (the recorder, its HDR histograms, the server's own
  figures); imports nothing of the harness.
- :mod:`loadtest.drive`: what is sent and how (bodies, closed and open loops, the probe, the
  loopback guard, a server of its own to load); writes into a recorder.
- :mod:`loadtest.report`: what is shown (progress, summary tables, compare, the plot); reads a
  recorder or a result.
- :mod:`loadtest.run`: one bounded run and ``--find-max``, composed of the three.

And the programs on top: :mod:`loadtest.cli` (``python -m loadtest``, ``texrender loadtest``,
with :mod:`loadtest.units` for what its options parse), :mod:`loadtest.bench` (``make bench``)
and :mod:`loadtest.soak` (``make soak``).
"""

__all__ = ["bench", "cli", "drive", "record", "report", "run", "soak", "units"]
