"""Drive: the load itself, sent as a real client would send it.

What to send (a template's bodies, or a weighted mix, unique or the same each time), how to
send it (a closed loop of clients that wait for their answers, or open-loop Poisson arrivals
that do not), the health probe beside it in a process of its own, and the loopback guard that
runs before any of it; a serial client in a process of its own (the fairness bench's probe key,
timed apart from the flood beside it); and, for the bench and the soak, a ``texrender serve`` of
their own to load. Any client can carry an API key. Every outcome of the loops goes into a
:class:`loadtest.record.Recorder` (the serial client returns its answers); nothing here prints
or summarises.
"""

from __future__ import annotations

from ._guard import is_loopback_address, refuse_remote
from ._haproxy import HAPROXY, ConfigChanged, HAProxy, free_port, moved_config, renders_balanced_by
from ._http import (
    JSON_HEADERS,
    PROBE_TIMEOUT_S,
    auth_headers,
    key_label,
    load_client,
    problem_type,
    send_one,
    server_timing_ms,
    side_client,
)
from ._loops import Send, closed_loop, open_loop, poisson_arrivals
from ._priority import nice_load_generator, restore_priority, separation
from ._prober import probe_in_process
from ._processes import descendants, process_table
from ._redis import REDIS_SERVER, redis_server
from ._serial import Answer, SerialClient, SerialClientError, serial_client
from ._spawn import (
    REPO,
    TEXRENDER,
    SpawnError,
    StopResult,
    TrioServer,
    serving,
    start_server,
    stop_server,
    wait_ready,
)
from ._workload import (
    TemplateBody,
    Workload,
    WorkloadError,
    build_workload,
    fetch_sample,
    unique_path,
)

__all__ = [
    "HAPROXY",
    "JSON_HEADERS",
    "PROBE_TIMEOUT_S",
    "REDIS_SERVER",
    "REPO",
    "TEXRENDER",
    "Answer",
    "ConfigChanged",
    "HAProxy",
    "Send",
    "SerialClient",
    "SerialClientError",
    "SpawnError",
    "StopResult",
    "TemplateBody",
    "TrioServer",
    "Workload",
    "WorkloadError",
    "auth_headers",
    "build_workload",
    "closed_loop",
    "descendants",
    "fetch_sample",
    "free_port",
    "is_loopback_address",
    "key_label",
    "load_client",
    "moved_config",
    "nice_load_generator",
    "open_loop",
    "poisson_arrivals",
    "probe_in_process",
    "problem_type",
    "process_table",
    "redis_server",
    "refuse_remote",
    "renders_balanced_by",
    "restore_priority",
    "send_one",
    "separation",
    "serial_client",
    "server_timing_ms",
    "serving",
    "side_client",
    "start_server",
    "stop_server",
    "unique_path",
    "wait_ready",
]
