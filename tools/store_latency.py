"""Latency of the document store's calls, SQLite against PostgreSQL, in the same run.

    .venv/bin/python -m tools.store_latency --database-url postgresql://... [-n 300] [--json FILE]

Each operation (create, replace, list of 20, get) is called N times one after another on each
store (a fresh SQLite file in a temporary folder, and a fresh set of rows in the database the
URL names: the tool's own owner, removed after), through the store's own ``await`` from the
event loop: what a request waits for, worker thread included. Operations alternate between the
stores, so that both see the same machine. The figures are p50 and p99 in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import trio

from server.store import DocumentInput, Store
from server.store.dburl import masked
from server.store.postgres import PostgresStore
from server.store.sqlite import SqliteStore

OPERATIONS = ("create", "replace", "list", "get")
DOCUMENT = {"basics": {"name": "Ada Lovelace", "label": "Analyst"}, "work": [{"name": "x"}] * 20}


async def _measure(stores: dict[str, Store], count: int) -> dict[str, dict[str, list[float]]]:
    owner = f"latency-{secrets.token_hex(4)}"
    ids: dict[str, list[str]] = {name: [] for name in stores}

    def document(n: int) -> DocumentInput:
        return DocumentInput("resume-classic", {**DOCUMENT, "n": n}, f"document {n}")

    async def create(store: Store, name: str, n: int) -> None:
        ids[name].append((await store.create(owner, document(n), quota=count)).id)

    async def replace(store: Store, name: str, n: int) -> None:
        await store.replace(owner, ids[name][n], document(-n))

    async def listing(store: Store, name: str, n: int) -> None:
        await store.list_documents(owner, limit=20)

    async def get(store: Store, name: str, n: int) -> None:
        await store.get(owner, ids[name][n])

    steps: dict[str, Callable[[Store, str, int], Awaitable[None]]] = {
        "create": create,
        "replace": replace,
        "list": listing,
        "get": get,
    }
    times: dict[str, dict[str, list[float]]] = {name: {op: [] for op in steps} for name in stores}
    for op, step in steps.items():
        for n in range(count):
            for name, store in stores.items():  # in turn: both see the same machine
                started = time.perf_counter()
                await step(store, name, n)
                times[name][op].append((time.perf_counter() - started) * 1000)
    for name, store in stores.items():
        for document_id in ids[name]:
            await store.delete(owner, document_id)
    return times


def _quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


async def run(url: str, count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="texrender-latency-") as folder:
        stores: dict[str, Store] = {
            "sqlite": await SqliteStore.open(Path(folder)),
            "postgresql": await PostgresStore.open(url),
        }
        try:
            times = await _measure(stores, count)
        finally:
            for store in stores.values():
                await store.aclose()
    return {
        "count": count,
        "database": masked(url),
        "ms": {
            name: {
                op: {"p50": _quantile(values, 0.5), "p99": _quantile(values, 0.99)}
                for op, values in ops.items()
            }
            for name, ops in times.items()
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.store_latency", description=__doc__)
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database to use")
    parser.add_argument("-n", type=int, default=300, help="calls of each operation per store")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    result = trio.run(run, args.database_url, args.n)
    print(f"{args.n} calls each, ms        SQLite p50 / p99     PostgreSQL p50 / p99")
    for op in OPERATIONS:
        s, p = result["ms"]["sqlite"][op], result["ms"]["postgresql"][op]
        print(f"{op:24} {s['p50']:8.2f} / {s['p99']:7.2f}   {p['p50']:8.2f} / {p['p99']:7.2f}")
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
