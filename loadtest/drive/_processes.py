"""The machine's processes, read from ``/proc``: a server's process tree (its TeX runs, its
loaded engines) is what the soak counts and the bench times."""

from __future__ import annotations

from pathlib import Path


def process_table() -> list[tuple[int, int, str]]:
    """``(pid, ppid, command name)`` of every process (those that vanish meanwhile skipped)."""
    table = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        table.append((int(entry.name), ppid, comm))
    return table


def descendants(root: int, table: list[tuple[int, int, str]]) -> set[int]:
    """The pids below ``root`` in ``table`` (its children, theirs, ...)."""
    children: dict[int, list[int]] = {}
    for pid, ppid, _ in table:
        children.setdefault(ppid, []).append(pid)
    found: set[int] = set()
    pending = [root]
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found
