"""The container image's files, checked without building it (``make test``): hadolint clean,
each ignored rule with its reason, the package list installed from its one source, the dpkg
cuts keeping every font texrender names, and the mirror a local base is made from."""

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

REPO = Path(__file__).resolve().parents[2]
CONTAINERFILE = REPO / "Containerfile"
DPKG_EXCLUDES = REPO / "deploy" / "image" / "dpkg-excludes"
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
