"""texrender's load-test harness: a pure HTTP client that can be pointed at any deployment.

It imports nothing from ``server/`` or ``rendering/`` so that what it measures is what a real
client sees: ``python -m loadtest URL --rate 20`` (open loop) or ``--concurrency 8`` (closed
loop), with a health probe beside the load and an HDR histogram of every latency.
"""
