"""Settings from ``TEXRENDER_*`` variables and command-line overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.settings import DEFAULT_TEMPLATES_DIR, Settings, SettingsError


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.bind == ("127.0.0.1:8000",)
    assert settings.template_dirs == (DEFAULT_TEMPLATES_DIR,)
    assert settings.work_dir is None
    assert settings.tex_user is None
    assert settings.render_slots >= 1


def test_parses_every_kind_of_value() -> None:
    settings = Settings.from_env(
        {
            "TEXRENDER_BIND": "0.0.0.0:8080, [::]:8080 ,",
            "TEXRENDER_WORKERS": "3",
            "TEXRENDER_TEMPLATE_DIRS": "/srv/templates,relative/dir",
            "TEXRENDER_TEX_ENGINE": "/opt/tex/bin/pdflatex",
            "TEXRENDER_TEX_USER": "texrender",
            "TEXRENDER_WORK_DIR": "/var/tmp/texrender",
            "TEXRENDER_RENDER_SLOTS": "5",
            "TEXRENDER_QUEUE_MAX": "0",
            "TEXRENDER_QUEUE_TIMEOUT_S": "2.5",
            "TEXRENDER_RENDER_TIMEOUT_S": "7",
            "TEXRENDER_MAX_BODY_BYTES": "2048",
            "TEXRENDER_GRACEFUL_TIMEOUT_S": "0",
            "TEXRENDER_KEEP_ALIVE_TIMEOUT_S": "1e1",
            "TEXRENDER_LOG_LEVEL": "debug",
        }
    )
    assert settings == Settings(
        bind=("0.0.0.0:8080", "[::]:8080"),
        workers=3,
        template_dirs=(Path("/srv/templates"), Path("relative/dir")),
        tex_engine="/opt/tex/bin/pdflatex",
        tex_user="texrender",
        work_dir=Path("/var/tmp/texrender"),
        render_slots=5,
        queue_max=0,
        queue_timeout_s=2.5,
        render_timeout_s=7.0,
        max_body_bytes=2048,
        graceful_timeout_s=0.0,
        keep_alive_timeout_s=10.0,
        log_level="debug",
    )
    assert isinstance(settings.workers, int)
    assert isinstance(settings.render_timeout_s, float)
    assert isinstance(settings.work_dir, Path)
    assert all(isinstance(p, Path) for p in settings.template_dirs)


def test_values_are_trimmed() -> None:
    settings = Settings.from_env({"TEXRENDER_WORKERS": " 2 ", "TEXRENDER_LOG_LEVEL": " info\n"})
    assert settings.workers == 2
    assert settings.log_level == "info"


@pytest.mark.parametrize("empty", ["", " ", "\t\n"])
def test_empty_values_are_ignored(empty: str) -> None:
    settings = Settings.from_env(
        {
            "TEXRENDER_WORKERS": empty,
            "TEXRENDER_BIND": empty,
            "TEXRENDER_WORK_DIR": empty,
            "TEXRENDER_QUEUE_TIMEOUT_S": empty,
        }
    )
    assert settings == Settings()


def test_unrelated_variables_are_ignored() -> None:
    settings = Settings.from_env(
        {"WORKERS": "9", "TEXRENDER_NO_SUCH_SETTING": "1", "texrender_workers": "9", "PATH": "/x"}
    )
    assert settings == Settings()


def test_overrides_win_over_the_environment() -> None:
    environ = {"TEXRENDER_WORKERS": "4", "TEXRENDER_BIND": "a:1,b:2"}
    settings = Settings.from_env(environ, workers=2, bind=("c:3",))
    assert settings.workers == 2
    assert settings.bind == ("c:3",)


def test_none_overrides_leave_the_environment_alone() -> None:
    settings = Settings.from_env({"TEXRENDER_WORKERS": "4"}, workers=None, work_dir=None)
    assert settings.workers == 4
    assert settings.work_dir is None


@pytest.mark.parametrize(
    ("variable", "raw"),
    [
        ("TEXRENDER_WORKERS", "four"),
        ("TEXRENDER_RENDER_SLOTS", "2.5"),
        ("TEXRENDER_QUEUE_MAX", "0x10"),
        ("TEXRENDER_MAX_BODY_BYTES", "1MB"),
        ("TEXRENDER_QUEUE_TIMEOUT_S", "soon"),
        ("TEXRENDER_RENDER_TIMEOUT_S", "20s"),
    ],
)
def test_unparsable_value_names_the_variable(variable: str, raw: str) -> None:
    with pytest.raises(SettingsError, match=variable) as caught:
        Settings.from_env({variable: raw})
    assert raw in str(caught.value)


@pytest.mark.parametrize(
    ("variable", "raw", "name"),
    [
        ("TEXRENDER_RENDER_SLOTS", "0", "render_slots"),
        ("TEXRENDER_RENDER_SLOTS", "-1", "render_slots"),
        ("TEXRENDER_WORKERS", "0", "workers"),
        ("TEXRENDER_QUEUE_MAX", "-1", "queue_max"),
        ("TEXRENDER_QUEUE_TIMEOUT_S", "0", "queue_timeout_s"),
        ("TEXRENDER_RENDER_TIMEOUT_S", "-5", "render_timeout_s"),
        ("TEXRENDER_RENDER_TIMEOUT_S", "nan", "render_timeout_s"),
        ("TEXRENDER_MAX_BODY_BYTES", "0", "max_body_bytes"),
        ("TEXRENDER_GRACEFUL_TIMEOUT_S", "-0.1", "graceful_timeout_s"),
        ("TEXRENDER_KEEP_ALIVE_TIMEOUT_S", "0", "keep_alive_timeout_s"),
        ("TEXRENDER_BIND", ",", "bind"),
        ("TEXRENDER_TEMPLATE_DIRS", " , ", "template_dirs"),
    ],
)
def test_out_of_range_values_are_rejected(variable: str, raw: str, name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({variable: raw})


@pytest.mark.parametrize(
    "overrides",
    [{"render_slots": 0}, {"queue_max": -1}, {"workers": 0}, {"render_timeout_s": 0.0}],
)
def test_out_of_range_overrides_are_rejected(overrides: dict[str, object]) -> None:
    with pytest.raises(SettingsError, match=next(iter(overrides))):
        Settings.from_env({}, **overrides)


def test_replace_checks_again() -> None:
    settings = Settings()
    assert settings.replace(workers=2).workers == 2
    with pytest.raises(SettingsError, match="queue_max"):
        settings.replace(queue_max=-3)


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.workers = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("binds", "allowed"),
    [
        (("127.0.0.1:8000",), True),
        (("127.0.0.2:8000", "[::1]:8000", "localhost:9000", "unix:/run/texrender.sock"), True),
        (("0.0.0.0:8000",), False),
        (("127.0.0.1:8000", "[::]:8000"), False),
        (("192.168.1.10:8000",), False),
        (("example.org:8000",), False),
        (("fd://3",), False),
    ],
)
def test_auth_can_be_off_only_on_loopback(binds: tuple[str, ...], allowed: bool) -> None:
    if allowed:
        assert Settings(bind=binds, auth="off").auth == "off"
    else:
        with pytest.raises(SettingsError, match="auth can be off only on loopback"):
            Settings(bind=binds, auth="off")
    assert Settings(bind=binds).auth == "on"  # on is the default, and allowed anywhere


def test_the_data_directory_defaults_to_the_users_data_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert Settings().documents_dir() == tmp_path / "texrender"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert Settings().documents_dir() == Path.home() / ".local" / "share" / "texrender"
    assert Settings(data_dir=tmp_path / "d").documents_dir() == tmp_path / "d"
