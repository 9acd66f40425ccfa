"""The load generators: wrk when installed, otherwise a small built-in asyncio client.
Each loads one URL with `connections` keep-alive connections for `duration` seconds and
returns ``{"rps", "p50", "p99", "errors"}`` (latencies in milliseconds)."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
from collections.abc import Callable

from devtools.bench.stats import percentile

Runner = Callable[[str, str, int, float], dict]

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def wrk_ms(text: str) -> float:
    """A wrk latency (``850.00us``, ``12.5ms``, ``1.20s``) in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def run_wrk(url: str, cookie: str, connections: int, duration: float) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency"]
    cmd += ["--timeout", "10s"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    # Our own argument list (no shell): wrk and a loopback URL.
    done = subprocess.run([*cmd, url], capture_output=True, text=True, check=True)  # noqa: S603
    out = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = wrk_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = wrk_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    return {"rps": rps, "p50": p50, "p99": p99, "errors": errors}


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    """Read one HTTP/1.1 response (the body is read and dropped); its status and headers
    (lower-cased names). ``connection: close`` is set when the server ends the connection."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.read()
        headers["connection"] = "close"
    return status, headers


def request_bytes(host: str, path: str, cookie: str) -> bytes:
    """A keep-alive GET of `path` with `cookie`."""
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\n"
    if cookie:
        request += f"Cookie: {cookie}\r\n"
    return (request + "\r\n").encode("latin-1")


async def _client(host, port, request: bytes, deadline: float, latencies: list, errors: list):
    reader = writer = None
    while time.monotonic() < deadline:
        if writer is None:
            reader, writer = await asyncio.open_connection(host, port)
        start = time.monotonic()
        writer.write(request)
        await writer.drain()
        status, headers = await read_response(reader)
        latencies.append((time.monotonic() - start) * 1000)
        if status >= 400:
            errors.append(status)
        if headers.get("connection", "").lower() == "close":
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


def run_builtin(url: str, cookie: str, connections: int, duration: float) -> dict:
    match = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
    host, port, path = match.group(1), int(match.group(2)), match.group(3)
    request = request_bytes(host, path, cookie)
    latencies: list[float] = []
    errors: list[int] = []

    async def main():
        deadline = time.monotonic() + duration
        await asyncio.gather(
            *(_client(host, port, request, deadline, latencies, errors) for _ in range(connections))
        )

    started = time.monotonic()
    asyncio.run(main())
    elapsed = time.monotonic() - started
    return {
        "rps": len(latencies) / elapsed,
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "errors": len(errors),
    }


def choose(client: str) -> tuple[Runner, str]:
    """The load generator for ``--client`` (auto, wrk or builtin) and its name."""
    if client == "wrk" or (client == "auto" and shutil.which("wrk")):
        return run_wrk, "wrk"
    return run_builtin, "built-in asyncio client"
