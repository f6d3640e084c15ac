"""The container image's files, checked without building it (``make test``): hadolint clean,
each ignored rule with its reason, the package list installed from its one source, the compiler
only in the build stage that makes the loaded engines' shim (with the server's own build), the
dpkg cuts keeping every font texrender names, and the mirror a local base is made from."""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import trio

from deploy.image.apt_sources import (
    DEFAULT_MIRROR,
    DEFAULT_SECURITY,
    deb822_sources,
    debian_mirrors,
    one_line_sources,
)
from deploy.image.report import layers
from rendering.typesetting._cyrgreek import REQUIRED_FILES
from rendering.typesetting._fonts import measure_coverage
from rendering.typesetting._zygote_shim import SHIM_SOURCE, build_shim

REPO = Path(__file__).resolve().parents[2]
CONTAINERFILE = REPO / "Containerfile"
DPKG_EXCLUDES = REPO / "deploy" / "image" / "dpkg-excludes"
RUNTIME_PACKAGES = REPO / "deploy" / "debian-packages.txt"
BUILD_PACKAGES = REPO / "deploy" / "build-packages.txt"
HADOLINT = Path(sys.executable).parent / "hadolint"


def test_the_containerfile_is_hadolint_clean() -> None:
    result = subprocess.run(
        [str(HADOLINT), "--config", str(REPO / ".hadolint.yaml"), str(CONTAINERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_ignored_hadolint_rule_says_why() -> None:
    lines = (REPO / ".hadolint.yaml").read_text().splitlines()
    ignored = [n for n, line in enumerate(lines) if re.fullmatch(r"\s+- (DL|SC)\d+", line)]
    assert ignored
    for number in ignored:
        assert lines[number - 1].strip().startswith("#"), f"no reason above {lines[number]}"


def test_the_image_installs_the_one_package_list() -> None:
    text = CONTAINERFILE.read_text()
    assert "COPY deploy/debian-packages.txt /usr/local/share/texrender/debian-packages.txt" in text
    assert "/usr/local/share/texrender/debian-packages.txt" in text.split("RUN", 1)[1]
    assert "--arg-file=/tmp/packages" in text


def stages() -> dict[str, str]:
    """The Containerfile's stages by name (the last, unnamed, is ``image``), each its text."""
    found: dict[str, str] = {}
    parts = re.split(r"^(FROM .*)$", CONTAINERFILE.read_text(), flags=re.MULTILINE)
    for start, body in zip(parts[1::2], parts[2::2], strict=True):
        named = re.fullmatch(r"FROM \S+ AS (\S+)", start)
        found[named.group(1) if named else "image"] = body
    return found


def package_list(path: Path) -> list[str]:
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def test_the_compiler_is_installed_on_a_host_and_in_the_shim_stage_only() -> None:
    # make run and make test build the shim with the host's cc: install-deps reads both lists.
    # The image's run-time stage (system, which the image is made FROM) never names the build
    # list; only the shim stage installs it.
    assert {"gcc", "libc6-dev"} <= set(package_list(BUILD_PACKAGES))
    assert not {"gcc", "libc6-dev", "cpp", "binutils"} & set(package_list(RUNTIME_PACKAGES))
    install_deps = (REPO / ".ci" / "install-deps").read_text()
    assert "read_list deploy/build-packages.txt" in install_deps
    found = stages()
    assert list(found) == ["system", "shim", "python-env", "image"]
    assert "FROM system AS shim" in CONTAINERFILE.read_text()
    assert re.search(r"^FROM system$", CONTAINERFILE.read_text(), re.MULTILINE)
    naming = [name for name, text in found.items() if "build-packages.txt" in text]
    assert naming == ["shim"]
    assert "--arg-file=/tmp/packages" in found["shim"]
    assert "!deploy/build-packages.txt" in (REPO / ".containerignore").read_text().splitlines()


def test_the_image_takes_the_shim_the_servers_own_build_makes() -> None:
    # The shim stage runs _zygote_shim.py (build_shim: _FLAGS, the server's flags; no second
    # copy of them here), and the image is told where its output went.
    found = stages()
    sources = re.search(
        r"^COPY \S*/zygote_shim\.c \S*/_zygote_shim\.py (/\S+)/$", found["shim"], re.M
    )
    built = re.search(r"^RUN python3 (/\S+)/_zygote_shim\.py (/\S+\.so)$", found["shim"], re.M)
    assert sources
    assert built, found["shim"]
    assert built.group(1) == sources.group(1)
    copied = re.search(r"^COPY --from=shim (\S+) (\S+)$", found["image"], re.MULTILINE)
    assert copied
    assert copied.group(1) == built.group(2)
    setting = re.search(r"\bTEXRENDER_ZYGOTE_SHIM=(\S+)", found["image"])
    assert setting
    assert setting.group(1) == copied.group(2)


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
def test_the_shim_script_is_build_shim_with_nothing_but_the_standard_library(
    tmp_path: Path,
) -> None:
    # As the shim stage runs it: a copy of the two files alone, python in isolated mode (no
    # texrender, no site-packages). The same bytes as the server's build on this machine.
    folder = tmp_path / "build"
    folder.mkdir()
    script = SHIM_SOURCE.with_name("_zygote_shim.py")
    for source in (SHIM_SOURCE, script):
        shutil.copy(source, folder / source.name)
    output = tmp_path / "zygote-shim.so"
    argv = [sys.executable, "-I", str(folder / script.name), str(output)]
    subprocess.run(argv, check=True, capture_output=True, cwd=tmp_path)
    assert output.stat().st_mode & 0o777 == 0o644  # readable by TeX's own user
    server_built = build_shim(tmp_path)
    assert server_built is not None
    assert output.read_bytes() == server_built.read_bytes()
    nothing = subprocess.run([*argv[:-1]], capture_output=True, text=True, check=False)
    assert nothing.returncode == 2
    assert "usage" in nothing.stderr


def dpkg_keeps(path: str, rules: list[tuple[str, str]]) -> bool:
    """dpkg's rule: the last path-exclude or path-include that matches decides."""
    kept = True
    for verb, pattern in rules:
        if fnmatch.fnmatchcase(path, pattern):
            kept = verb == "path-include"
    return kept


def dpkg_rules() -> list[tuple[str, str]]:
    rules = []
    for line in DPKG_EXCLUDES.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            verb, _, pattern = line.partition("=")
            assert verb in {"path-exclude", "path-include"}, line
            rules.append((verb, pattern))
    return rules


def test_the_dpkg_cuts_drop_docs_but_keep_copyright_notices() -> None:
    rules = dpkg_rules()
    assert not dpkg_keeps("/usr/share/doc/texlive-base/README.gz", rules)
    assert not dpkg_keeps("/usr/share/man/man1/pdftex.1.gz", rules)
    assert dpkg_keeps("/usr/share/doc/texlive-base/copyright", rules)
    assert dpkg_keeps("/usr/share/texlive/texmf-dist/tex/latex/base/article.cls", rules)


FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>{fonts}</dir>
  <cachedir>{cache}</cachedir>
  <include ignore_missing="yes">/etc/fonts/conf.d</include>
</fontconfig>
"""


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig is missing")
def test_the_fonts_the_cuts_keep_give_the_unicode_path_all_it_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The Unicode path measured twice with the real fontconfig: with every font of this
    # machine, then with only the files the image's dpkg rules keep (fontconfig pointed at a
    # folder of links to them, kpathsea too: the path checks that both find each face's file).
    # A font added to the code or a template, and cut by the rules, fails here in make test,
    # not in the image.
    everything = trio.run(measure_coverage)
    if everything is None:
        pytest.skip("this machine has no Unicode path (XeLaTeX or its fonts are missing)")
    rules = dpkg_rules()
    listed = subprocess.run(
        ["fc-list", "-f", "%{file}\\n"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    kept = sorted({file for file in listed if dpkg_keeps(file, rules)})
    assert len(kept) < len(listed), "the rules cut no font: the check proves nothing"
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    for number, file in enumerate(kept):
        # A folder each: the faces are loaded by file name, which must stay as it is.
        (fonts / str(number)).mkdir()
        (fonts / str(number) / Path(file).name).symlink_to(file)
    conf = tmp_path / "fonts.conf"
    conf.write_text(FONTS_CONF.format(fonts=fonts, cache=tmp_path / "cache"))
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))
    monkeypatch.setenv("OSFONTDIR", f"{fonts}//")
    assert trio.run(measure_coverage) == everything


def test_one_line_sources() -> None:
    text = (
        "# a comment\n"
        "deb http://mirror.example/debian/ bookworm main\n"
        "deb-src http://mirror.example/debian bookworm main\n"
        "deb [signed-by=/usr/share/keyrings/k.gpg arch=amd64] http://sec.example/debian-security"
        " bookworm-security main\n"
    )
    sources = list(one_line_sources(text))
    assert [s.uri for s in sources] == [
        "http://mirror.example/debian",
        "http://sec.example/debian-security",
    ]
    mirrors = debian_mirrors(sources)
    assert (mirrors.main, mirrors.security) == (
        "http://mirror.example/debian",
        "http://sec.example/debian-security",
    )


def test_deb822_sources() -> None:
    text = (
        "Types: deb\n"
        "# a comment inside\n"
        "URIs: http://deb.example/debian\n"
        "Suites: bookworm bookworm-updates\n"
        "Components: main\n"
        "\n"
        "Types: deb\n"
        "URIs: http://off.example/debian\n"
        "Suites: bookworm\n"
        "Enabled: no\n"
        "\n"
        "Types: deb-src\n"
        "URIs: http://src.example/debian\n"
        "Suites: bookworm\n"
    )
    sources = list(deb822_sources(text))
    assert [(s.uri, s.suites) for s in sources] == [
        ("http://deb.example/debian", ("bookworm", "bookworm-updates"))
    ]
    mirrors = debian_mirrors(sources)
    assert mirrors.main == "http://deb.example/debian"
    assert mirrors.security == DEFAULT_SECURITY  # none configured: Debian's own
    assert "Suites: bookworm-security" in mirrors.deb822("bookworm")


def test_a_machine_with_no_debian_source_takes_debians_mirror() -> None:
    ubuntu = "deb http://archive.ubuntu.example/ubuntu jammy main\n"
    mirrors = debian_mirrors(one_line_sources(ubuntu))
    assert (mirrors.main, mirrors.security) == (DEFAULT_MIRROR, DEFAULT_SECURITY)


def test_layers_are_paired_with_the_steps_that_made_them() -> None:
    inspected = {
        "Manifest": '{"layers": [{"size": 100}, {"size": 5000}]}',
        "OCIv1": {
            "history": [
                {"created_by": "debootstrap"},
                {"created_by": "ENV A=b", "empty_layer": True},
                {"created_by": "RUN apt-get install"},
            ]
        },
    }
    found = layers(inspected)
    assert [(layer.size_bytes, layer.made_by) for layer in found] == [
        (100, "debootstrap"),
        (5000, "RUN apt-get install"),
    ]


@pytest.mark.skipif(shutil.which("kpsewhich") is None, reason="TeX Live is missing")
def test_the_cuts_keep_every_font_of_cyrillic_and_greek_on_the_fast_path() -> None:
    # The CB fonts (Greek) are cut to the eight the fast path names; a face added to the table
    # and cut by the rules fails here, not as Greek quietly taking the Unicode path in the image.
    names = [name for name in REQUIRED_FILES if name.endswith((".pfb", ".tfm"))]
    found = subprocess.run(
        ["kpsewhich", *names], capture_output=True, text=True, check=False
    ).stdout.split()
    if len(found) < len(names):
        pytest.skip("this machine lacks the Cyrillic and Greek packages")
    rules = dpkg_rules()
    assert [file for file in found if not dpkg_keeps(file, rules)] == []
    cut = "/usr/share/texlive/texmf-dist/fonts/type1/public/cbfonts/grmn0500.pfb"
    assert not dpkg_keeps(cut, rules)
