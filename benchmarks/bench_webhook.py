"""Webhook load: N signed deliveries at concurrency C against `review-bot serve` on loopback.

Starts the real app (uvicorn + embedded workers, a no-op reviewer that records jobs) in a
subprocess, sends a mix of new pull_request deliveries, replays and ignored events, and prints
acknowledgement latency p50/p99, deliveries per second, and whether every handled delivery
produced exactly one job record and one review (and replays none). Stops by itself.

    python benchmarks/bench_webhook.py [--deliveries 2000] [--concurrency 50] [--rate R]
                                       [--redis-url redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app.jobs import JobContext, JobResult, ReviewJob  # noqa: E402
from bot.app.signature import sign_body  # noqa: E402

SECRET = "bench-secret"
WEBHOOKS = ROOT / "tests" / "data" / "webhooks"
DRAIN_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Delivery:
    kind: str  # "new" | "replay" | "ignored"
    delivery_id: str
    event: str
    body: bytes


def build_deliveries(n: int) -> list[Delivery]:
    """80% new PRs (one job each), 10% replays of earlier ids, 10% ignored `labeled` events."""
    opened = json.loads((WEBHOOKS / "pull_request.opened.json").read_text())
    labeled = (WEBHOOKS / "pull_request.labeled.json").read_bytes()
    out: list[Delivery] = []
    new: list[Delivery] = []  # kept as it grows: rebuilding it for each i is quadratic in n
    for i in range(n):
        if i % 10 == 5 and new:
            first = new[len(new) // 2]
            out.append(Delivery("replay", first.delivery_id, "pull_request", first.body))
        elif i % 10 == 9:
            out.append(Delivery("ignored", str(uuid.uuid4()), "pull_request", labeled))
        else:
            data = copy.deepcopy(opened)
            data["number"] = data["pull_request"]["number"] = 1000 + i
            data["pull_request"]["head"]["sha"] = uuid.uuid4().hex + "0" * 8
            body = json.dumps(data).encode()
            new.append(Delivery("new", str(uuid.uuid4()), "pull_request", body))
            out.append(new[-1])
    return out


async def send_all(
    port: int, deliveries: list[Delivery], *, concurrency: int, rate: float | None
) -> tuple[list[float], float, dict[int, int]]:
    """C connections, each sending its share of the deliveries; latency = send to full reply."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    requests = [_request(d) for d in deliveries]
    pending = iter(range(len(requests)))
    start = time.perf_counter()

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for i in pending:
                if rate:  # open loop: delivery i is due at start + i / rate
                    await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
                sent = time.perf_counter()
                writer.write(requests[i])
                status = await _read_response(reader)
                latencies.append(time.perf_counter() - sent)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return latencies, time.perf_counter() - start, statuses


def _request(delivery: Delivery) -> bytes:
    # A hand-written HTTP/1.1 client: httpx cost more CPU than the server on 2 cores.
    head = (
        "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(delivery.body)}\r\nX-GitHub-Event: {delivery.event}\r\n"
        f"X-GitHub-Delivery: {delivery.delivery_id}\r\n"
        f"X-Hub-Signature-256: {sign_body(secret=SECRET, body=delivery.body)}\r\n\r\n"
    )
    return head.encode() + delivery.body


async def _read_response(reader: asyncio.StreamReader) -> int:
    status = int((await reader.readuntil(b"\r\n")).split()[1])
    length = 0
    while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


# --- the server child ------------------------------------------------------------------------


class RecordingReviewer:
    """Does no review; records each job it is handed (delivery id, PR) in SQLite."""

    def __init__(self, db: Path) -> None:
        self.db = db
        with sqlite3.connect(db) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS jobs (delivery TEXT, number INT)")

    def review(self, job: ReviewJob, ctx: JobContext) -> JobResult:
        with sqlite3.connect(self.db, timeout=30) as conn:
            conn.execute("INSERT INTO jobs VALUES (?, ?)", (job.delivery_id, job.number))
        return JobResult("posted")

    def post_notice(self, job: ReviewJob, text: str) -> None:
        """No budget is set, so this is never called."""


def serve_child(spec: dict[str, Any]) -> None:
    from bot.app.logs import configure_logging
    from bot.app.main import run_server
    from bot.settings import Settings

    settings = Settings(**spec["settings"])
    configure_logging(level="INFO", json_lines=True)
    reviewer = RecordingReviewer(Path(spec["reviewer_db"]))
    run_server(settings, reviewer=reviewer, host="127.0.0.1", port=spec["port"], workers=2)


# --- orchestration ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit("server did not start")


def drain(url: str) -> float:
    """Wait (bounded) until no job is queued or running; seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < DRAIN_TIMEOUT_S:
        body = httpx.get(url + "/metrics", timeout=10).text
        active = [
            float(line.split()[-1])
            for line in body.splitlines()
            if line.startswith(
                ('grok_review_jobs{state="queued"}', 'grok_review_jobs{state="running"}')
            )
        ]
        if active and sum(active) == 0:
            break
        time.sleep(0.1)
    return time.monotonic() - start


def check_records(
    data_dir: Path, redis_url: str | None, reviewer_db: Path, deliveries: list[Delivery]
) -> dict[str, Any]:
    from bot.app.store import open_store
    from bot.settings import Settings

    handled = {d.delivery_id for d in deliveries if d.kind == "new"}
    store = open_store(Settings(data_dir=data_dir, redis_url=redis_url))
    try:
        records = {d: store.get(d) for d in handled}
        counts = store.counts()
    finally:
        store.close()
    with sqlite3.connect(reviewer_db) as conn:
        reviewed = [row[0] for row in conn.execute("SELECT delivery FROM jobs")]
    return {
        "handled": len(handled),
        "job_records": sum(counts.values()),
        "every_handled_has_one_record": all(r is not None for r in records.values())
        and sum(counts.values()) == len(handled),
        "reviewed_exactly_once": sorted(reviewed) == sorted(handled),
        "states": counts,
    }


def server_problems(log_path: Path) -> list[str]:
    """Warnings and errors the server logged (JSON lines), first few."""
    problems = []
    for line in log_path.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            problems.append(line)
            continue
        if entry.get("level") in ("warning", "error", "critical"):
            problems.append(f"{entry['level']}: {entry['msg']} {entry.get('exc', '')[-300:]}")
    return problems


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to see who used the cores."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--rate", type=float, default=None, help="deliveries/s (default: as fast as possible)"
    )
    parser.add_argument("--redis-url", default=None, help="use the Redis backend (flushes its db)")
    parser.add_argument("--serve-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_child:
        serve_child(json.loads(args.serve_child))
        return
    if args.redis_url:
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()
    deliveries = build_deliveries(args.deliveries)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir, reviewer_db, port = Path(tmp) / "data", Path(tmp) / "jobs.sqlite3", free_port()
        settings = {
            "github_webhook_secret": SECRET,
            "github_app_id": "1",
            "data_dir": str(data_dir),
            "heartbeat_s": 0.1,
        }
        if args.redis_url:
            settings["redis_url"] = args.redis_url
        spec = {"settings": settings, "reviewer_db": str(reviewer_db), "port": port}
        log_path = Path(tmp) / "server.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, __file__, "--serve-child", json.dumps(spec)], stderr=log, cwd=ROOT
            )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(url, proc)
            latencies, elapsed, statuses = asyncio.run(
                send_all(port, deliveries, concurrency=args.concurrency, rate=args.rate)
            )
            drained = drain(url)
            server_cpu = cpu_seconds(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        result = check_records(data_dir, args.redis_url, reviewer_db, deliveries)
        result["server_problems"] = server_problems(log_path)
    client_cpu = time.process_time()
    report(args, latencies, elapsed, statuses, drained, result)
    print(f"cpu           server {server_cpu:.1f} s, load generator {client_cpu:.1f} s")
    problems = result["server_problems"]
    print(f"server log    {len(problems)} warnings/errors", *problems[:5], sep="\n  ")


def report(
    args: argparse.Namespace,
    latencies: list[float],
    elapsed: float,
    statuses: dict[int, int],
    drained: float,
    result: dict[str, Any],
) -> None:
    backend = "redis" if args.redis_url else "sqlite"
    print(
        f"backend {backend}, {args.deliveries} deliveries, concurrency {args.concurrency}, "
        f"rate {'max' if args.rate is None else args.rate}/s, cpus {os.cpu_count()}"
    )
    p50, p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
    worst, mean = max(latencies) * 1000, statistics.mean(latencies) * 1000
    print(
        f"ack latency   p50 {p50:.1f} ms  p99 {p99:.1f} ms  max {worst:.1f} ms  mean {mean:.1f} ms"
    )
    rate = len(latencies) / elapsed
    codes = dict(sorted(statuses.items()))
    print(f"throughput    {rate:.0f} deliveries/s ({elapsed:.2f} s)   statuses {codes}")
    print(
        f"jobs          {result['handled']} handled deliveries -> {result['job_records']} job "
        f"records; one record each: {result['every_handled_has_one_record']}; reviewed "
        f"exactly once: {result['reviewed_exactly_once']} (queue drained in {drained:.1f} s); "
        f"states {result['states']}"
    )


if __name__ == "__main__":
    main()
