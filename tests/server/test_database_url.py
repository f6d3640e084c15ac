"""``database_url``: the forms taken, the ones refused, and the password never shown, whether
the URL is wrong, right, or the database it names turns it away."""

from __future__ import annotations

import pytest

from server.settings import Settings, SettingsError
from server.store.dburl import is_postgres_url, masked, scrubbed
from tests.server.conftest import run_cli

SECRET = "hunter2-s3cret"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://texrender@db.internal:5432/texrender",
        f"postgresql://texrender:{SECRET}@10.0.0.5/documents",
        "postgres://localhost/texrender",
        "postgresql://[::1]:5433/texrender?sslmode=require&connect_timeout=3",
        "postgresql:///texrender?host=/var/run/postgresql",
    ],
)
def test_postgres_urls_are_taken(url: str) -> None:
    assert is_postgres_url(url)
    assert Settings(database_url=url).database_url == url


@pytest.mark.parametrize(
    "url",
    [
        "",
        "texrender",
        f"mysql://u:{SECRET}@host/db",
        f"postgresql://u:{SECRET}@host:port/db",  # a port that is no number
        f"postgresql://u:{SECRET}@host:5432/",  # no database
        f"postgresql://u:{SECRET}@host/db/more",
        "postgresql:///texrender",  # no host
        f"postgresql://u:{SECRET}@host/db#fragment",
        "redis://127.0.0.1:6379/0",
    ],
)
def test_anything_else_is_refused_without_being_repeated(url: str) -> None:
    assert not is_postgres_url(url)
    with pytest.raises(SettingsError) as refused:
        Settings(database_url=url)
    message = str(refused.value)
    assert message == (
        "database_url has an invalid value: not a PostgreSQL URL "
        "(postgresql://user:password@host:port/database)"
    )


def test_the_pool_has_at_least_one_connection() -> None:
    assert Settings(database_pool_size=1).database_pool_size == 1
    with pytest.raises(SettingsError, match="database_pool_size"):
        Settings(database_pool_size=0)


def test_the_url_comes_from_the_environment_or_the_flag() -> None:
    url = f"postgresql://texrender:{SECRET}@db/texrender"
    assert Settings.from_env({"TEXRENDER_DATABASE_URL": url}).database_url == url
    assert Settings.from_env({}).database_url is None
    assert Settings.from_env({"TEXRENDER_DATABASE_POOL_SIZE": "9"}).database_pool_size == 9


def test_a_wrong_url_on_the_command_line_is_one_line_without_the_password() -> None:
    wrong = run_cli("--database-url", f"postgresql://u:{SECRET}@host:port/db", "keys", "list")
    assert wrong.returncode == 2
    assert wrong.stderr.splitlines() == [
        "texrender: database_url has an invalid value: not a PostgreSQL URL "
        "(postgresql://user:password@host:port/database)"
    ]
    env = run_cli("keys", "list", env={"TEXRENDER_DATABASE_URL": f"mysql://u:{SECRET}@h/d"})
    assert env.returncode == 2
    assert SECRET not in env.stderr


def test_masked_hides_every_password_and_nothing_else() -> None:
    cases = {
        f"postgresql://texrender:{SECRET}@db:5432/texrender": (
            "postgresql://texrender:***@db:5432/texrender"
        ),
        "postgresql://texrender@db/texrender": "postgresql://texrender@db/texrender",
        "postgresql://db/texrender": "postgresql://db/texrender",
        f"postgresql://u:{SECRET}@db/t?sslmode=require&password={SECRET}": (
            "postgresql://u:***@db/t?sslmode=require&password=***"
        ),
        f"postgresql://u:p%40ss@db/t?PASSWORD={SECRET}&x=1": (
            "postgresql://u:***@db/t?PASSWORD=***&x=1"
        ),
    }
    for url, shown in cases.items():
        assert masked(url) == shown


def test_a_drivers_words_are_scrubbed_of_the_password_as_given_and_decoded() -> None:
    url = "postgresql://u:p%40ss-word@db/t?password=other-secret"
    said = "failed for p@ss-word, p%40ss-word and other-secret; user u"
    assert scrubbed(said, url) == "failed for ***, *** and ***; user u"
