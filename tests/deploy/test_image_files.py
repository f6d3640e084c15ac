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

from deploy.image.apt_sources import (
    DEFAULT_MIRROR,
    DEFAULT_SECURITY,
    deb822_sources,
    debian_mirrors,
    one_line_sources,
)
from deploy.image.report import layers
from rendering import DEFAULT_TEMPLATES_DIR
from rendering.typesetting._fonts import MAIN_FONT, SCRIPTS

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


def named_fonts() -> set[str]:
    """Every font family texrender's code or its templates name."""
    families = {MAIN_FONT} | {family for _, family, _, _ in SCRIPTS}
    named = re.compile(r"\\(?:set(?:main|sans|mono)font|newfontfamily\\\w+)(?:\[[^]]*])?\{([^}]+)}")
    for template in DEFAULT_TEMPLATES_DIR.glob("*/*.j2"):
        families |= set(named.findall(template.read_text()))
    return families


def test_the_dpkg_cuts_drop_docs_but_keep_copyright_notices() -> None:
    rules = dpkg_rules()
    assert not dpkg_keeps("/usr/share/doc/texlive-base/README.gz", rules)
    assert not dpkg_keeps("/usr/share/man/man1/pdftex.1.gz", rules)
    assert dpkg_keeps("/usr/share/doc/texlive-base/copyright", rules)
    assert dpkg_keeps("/usr/share/texlive/texmf-dist/tex/latex/base/article.cls", rules)


@pytest.mark.skipif(shutil.which("fc-match") is None, reason="fontconfig's fc-match is missing")
def test_the_dpkg_cuts_keep_every_font_texrender_names() -> None:
    # Where this machine has the font, its file must survive the image's cuts: a font added to
    # the code or a template and not to deploy/image/dpkg-excludes fails here, not in the image.
    rules = dpkg_rules()
    families = named_fonts()
    assert {"Noto Serif", "Noto Sans"} <= families
    checked = 0
    for family in sorted(families):
        found = subprocess.run(
            ["fc-match", "-f", "%{family[0]}\t%{file}", family],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        name, _, file = found.partition("\t")
        if name != family:
            continue  # not installed here: nothing to compare
        checked += 1
        assert dpkg_keeps(file, rules), f"{family} ({file}) is cut from the image"
    assert checked, "none of the fonts texrender names is installed here"


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
