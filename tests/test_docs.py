"""The README says what the code does: its settings table and its layout are held to the code."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

from server.settings import Settings, env_name, shown_default

README = Path(__file__).resolve().parent.parent / "README.md"


def settings_rows() -> dict[str, tuple[str, str]]:
    """``{variable: (default cell, meaning cell)}`` from the README's settings table."""
    rows = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\| `(TEXRENDER_[A-Z_]+)` \| (.*?) \| (.*) \|$", line)
        if match:
            rows[match.group(1)] = (match.group(2).replace("`", ""), match.group(3))
    return rows


def test_every_setting_is_in_the_readme_with_its_default() -> None:
    rows = settings_rows()
    names = [f.name for f in dataclasses.fields(Settings)]
    assert sorted(rows) == sorted(env_name(name) for name in names)
    for name in names:
        default, meaning = rows[env_name(name)]
        assert default == shown_default(name), name
        flag = Settings.__dataclass_fields__[name].metadata.get("flag")
        if flag is not None:
            assert f"`{flag}`" in meaning, f"{name}: the README does not name {flag}"


def test_the_layout_section_names_every_package_and_module() -> None:
    """Every package of rendering/, server/, loadtest/ and tools/ is in the README's layout with
    a docstring of its own, and so is every module of rendering/ and server/."""
    text = README.read_text(encoding="utf-8")
    layout = text[text.index("### Layout") :]
    top = README.parent
    for root in ("rendering", "server", "loadtest", "tools"):
        for init in sorted((top / root).rglob("__init__.py")):
            package = init.parent
            name = package.relative_to(top).as_posix()
            assert ast.get_docstring(ast.parse(init.read_text())), f"{name}: no docstring"
            if package != top / root:
                assert f"{package.name}/`" in layout, f"{name}/ is not in the layout"
            if root in ("rendering", "server"):
                for module in sorted(package.glob("*.py")):
                    if module.name == "__init__.py":
                        continue
                    assert f"{module.name}`" in layout, f"{name}/{module.name} is not in the layout"


def test_every_template_has_a_small_preview_shown_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    for folder in sorted((README.parent / "templates").iterdir()):
        if not (folder / "template.toml").is_file():
            continue
        preview = folder / "preview.png"
        assert preview.is_file(), f"{folder.name}: no preview.png (make previews)"
        picture = preview.read_bytes()
        assert picture[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(picture) < 200_000, f"{folder.name}: the preview is over 200 kB"
        assert f"(templates/{folder.name}/preview.png)" in text, folder.name
