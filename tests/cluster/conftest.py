"""The ``cluster`` fixture: Redis, a PostgreSQL database, two keys, three instances and HAProxy,
started once for the module (about ten seconds) and torn down after, failure or not."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pytest

from tests.cluster._cluster import Cluster, Instance, data_folder, instances, make_key
from tests.haproxy_server import HAPROXY, running_haproxy
from tests.haproxy_server import MISSING as HAPROXY_MISSING
from tests.postgres_server import PostgresServer
from tests.redis_server import MISSING as REDIS_MISSING
from tests.redis_server import REDIS_SERVER, running_redis

KEY_NAMES = ("load", "revoked")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cluster: three instances behind HAProxy (-m cluster)")


@pytest.fixture(scope="module")
def cluster(postgres_server: PostgresServer) -> Iterator[Cluster]:
    if HAPROXY is None:
        pytest.skip(HAPROXY_MISSING)
    if REDIS_SERVER is None:
        pytest.skip(REDIS_MISSING)
    database_url = postgres_server.new_database()
    started = []
    try:
        with ThreadPoolExecutor() as pool:  # each a process of its own: start them together
            made_keys = pool.map(partial(make_key, database_url), KEY_NAMES)
            keys = dict(zip(KEY_NAMES, made_keys, strict=True))
        with running_redis() as redis:
            made = instances(database_url, redis.url)
            started.extend(made)
            with ThreadPoolExecutor() as pool:
                list(pool.map(Instance.start, made))
            with running_haproxy([instance.port for instance in made]) as proxy:
                for instance in made:
                    proxy.wait_for(instance.name, "UP")
                yield Cluster(made, proxy, database_url, keys)
    finally:
        for instance in started:
            instance.stop()
            shutil.rmtree(data_folder(instance), ignore_errors=True)
        postgres_server.drop_database(database_url)
