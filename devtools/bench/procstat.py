"""CPU time of processes from Linux's ``/proc/<pid>/stat``: the measured gunicorn's worker
processes (the master's children) and, when PostgreSQL runs on this machine, the database
backends serving them. Times are in seconds (user + system, all threads)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

PROC = Path("/proc")
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def parse_stat(text: str) -> tuple[int, float]:
    """(parent pid, user + system CPU seconds) from the text of ``/proc/<pid>/stat``.

    The command name (field 2) is in parentheses and may itself hold spaces or ")", so the
    fields are counted from the last ")": state, ppid, ..., utime (field 14), stime (15)."""
    rest = text[text.rindex(")") + 2 :].split()
    ppid = int(rest[1])
    ticks = int(rest[11]) + int(rest[12])
    return ppid, ticks / TICKS_PER_SECOND


def _read(pid: int, proc: Path = PROC) -> tuple[int, float] | None:
    try:
        return parse_stat((proc / str(pid) / "stat").read_text())
    except (OSError, ValueError, IndexError):
        return None  # gone, or not readable


def children(pid: int, proc: Path = PROC) -> list[int]:
    """The processes whose parent is `pid` (gunicorn's workers)."""
    found = []
    for entry in proc.iterdir():
        if entry.name.isdigit():
            got = _read(int(entry.name), proc)
            if got is not None and got[0] == pid:
                found.append(int(entry.name))
    return sorted(found)


def cpu_seconds(pids: Iterable[int], proc: Path = PROC) -> float:
    """The CPU seconds `pids` have used so far (processes that are gone count 0)."""
    total = 0.0
    for pid in pids:
        got = _read(pid, proc)
        if got is not None:
            total += got[1]
    return total


class CpuMeter:
    """CPU used between `start()` and `stop()` by the processes `find_pids()` lists at
    `start()` (a process started in between is not counted: gunicorn does not restart
    workers in a benchmark run, and the workers' database connections are persistent)."""

    def __init__(self, find_pids: Callable[[], list[int]], proc: Path = PROC) -> None:
        self.find_pids, self.proc = find_pids, proc
        self.pids: list[int] = []
        self.started = 0.0

    @classmethod
    def workers(cls, master: int, proc: Path = PROC) -> CpuMeter:
        """The meter of a gunicorn master's workers (its children)."""
        return cls(lambda: children(master, proc), proc)

    def start(self) -> None:
        self.pids = self.find_pids()
        self.started = cpu_seconds(self.pids, self.proc)

    def stop(self) -> float:
        """CPU seconds since `start()`."""
        return cpu_seconds(self.pids, self.proc) - self.started


def backend_pids(dbname: str) -> list[int]:
    """The PostgreSQL client backends on `dbname` other than the asking one, if their
    processes are visible here (the server runs on this machine); else []."""
    from devtools.pg import connect

    conn = connect(dbname)
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s "
                "AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
                [dbname],
            )
            pids = [row[0] for row in cursor.fetchall()]
    finally:
        conn.close()
    return [pid for pid in pids if _read(pid) is not None]
