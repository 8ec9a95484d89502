"""Paced load: N clients on keep-alive connections, each sending at random (Poisson) times so that
together they offer about RATE requests/s; latency at a given load rather than at saturation.

Run as its own process (so it does not share the benchmark's interpreter), e.g.
    python -m benchmarks.paced --url http://127.0.0.1:8000 --token T --mode confirm --ids-file F --rate 40
Every connection first sends one unmeasured GET /healthz, so connection set-up is not measured.
Latency is measured from the request's scheduled time (no coordinated omission). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from urllib.parse import urlsplit


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    writer.write(request)
    await writer.drain()
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("connection closed by the server")
    status = int(status_line.split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


def _request(method: str, path: str, host: str, token: str, body: bytes = b"") -> bytes:
    head = (f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def run(args: argparse.Namespace) -> dict[str, object]:
    url = urlsplit(args.url)
    host = url.netloc
    paths: list[str] = []
    if args.mode == "confirm":
        with open(args.ids_file) as ids:
            paths = [f"/api/v1/trips/{line.strip()}/checkpoints/{args.step}" for line in ids if line.strip()]
    next_path = iter(paths)
    latencies: list[float] = []
    errors = 0
    reconnects = 0
    statuses: dict[int, int] = {}
    mean_gap = args.clients / args.rate
    started = time.monotonic()
    end = started + args.seconds

    async def client(number: int) -> None:
        nonlocal errors, reconnects
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        try:
            await _exchange(reader, writer, _request("GET", "/healthz", host, args.token))
            rng = random.Random(number)
            scheduled = time.monotonic() + rng.uniform(0, mean_gap)
            while True:
                if scheduled >= end or len(latencies) + errors >= args.max:
                    return
                await asyncio.sleep(max(0.0, scheduled - time.monotonic()))
                if args.mode == "confirm":
                    path = next(next_path, None)
                    if path is None:
                        return
                    request = _request("POST", path, host, args.token)
                else:
                    request = _request("GET", "/bench/bare", host, args.token)
                try:
                    status = await _exchange(reader, writer, request)
                except (OSError, asyncio.IncompleteReadError):
                    # The server closed the idle keep-alive connection (gunicorn: after 2 s): reconnect
                    # and send again, as a browser would; the reconnection counts in the latency.
                    writer.close()
                    reader, writer = await asyncio.open_connection(url.hostname, url.port)
                    try:
                        status = await _exchange(reader, writer, request)
                    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                        errors += 1
                        return
                    reconnects += 1
                statuses[status] = statuses.get(status, 0) + 1
                if 200 <= status < 300:
                    latencies.append(time.monotonic() - scheduled)
                else:
                    errors += 1
                scheduled += rng.expovariate(1 / mean_gap)
        finally:
            writer.close()

    await asyncio.gather(*(client(n) for n in range(args.clients)))
    elapsed = time.monotonic() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1e3 if latencies else 0.0

    return {"requests": len(latencies), "seconds": elapsed, "errors": errors, "reconnects": reconnects,
            "statuses": statuses,
            "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99), "max_ms": latencies[-1] * 1e3 if latencies
            else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--mode", choices=["bare", "confirm"], required=True)
    parser.add_argument("--ids-file", default="")
    parser.add_argument("--step", default="gate_entry_customs")
    parser.add_argument("--rate", type=float, required=True, help="offered requests/s, all clients together")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--max", type=int, default=1_000_000, help="count bound")
    print(json.dumps(asyncio.run(run(parser.parse_args()))))


if __name__ == "__main__":
    main()
