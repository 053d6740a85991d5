"""Processes as Linux's /proc shows them: a process's descendants, and whether a pid still runs
(a zombie, dead but not yet reaped by its parent, does not)."""

from __future__ import annotations

import time
from pathlib import Path


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command's name: state, ppid, ...; None when
    there is no such process."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) and int(stat[1]) == pid:
            found.append(int(entry.name))
    return found


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``: its children, theirs, ..."""
    out = []
    for child in children(pid):
        out.append(child)
        out.extend(descendants(child))
    return out


def command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_text(errors="replace")
    except OSError:
        return ""


def running(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def still_running(pids: list[int], within_s: float) -> list[int]:
    """The pids that are still running once ``within_s`` seconds have passed (or fewer, as soon
    as none is)."""
    deadline = time.monotonic() + within_s
    while (alive := [pid for pid in pids if running(pid)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive
