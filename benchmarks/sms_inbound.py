"""Inbound SMS webhook throughput and p99 latency at 50 concurrent clients, against a bare endpoint.

Two servers, each in its own uvicorn process on 127.0.0.1, get the same load: ``--clients``
concurrent keep-alive connections posting Twilio-shaped, signed inbound texts to
``/sms/inbound`` (a minimal asyncio HTTP client, so the load generator is cheap):

* ``sms``: the real app (``rightsaware.server.make_app`` with the sms plugin): signature
  checked against the public URL, the text recorded in the SQLite store (deduplicated on
  MessageSid, number and body encrypted, committed in groups), empty TwiML back; the
  server's pump then applies the texts to 500 open interviews and sends the replies through
  the real Twilio SDK to an in-process fake, in the same process;
* ``bare``: a Starlette endpoint that returns the same TwiML and does nothing else.

Both servers are up together and the load alternates between them in rounds, so a busy
machine affects both alike. Reported: requests/s (median round), p50 and p99 latency of
each, the ratio sms/bare (target >= 0.3, p99 < 100 ms), and how long the pump needed to
apply and answer every text. ``--no-pump`` measures the webhook alone, as deployed with
``RIGHTSAWARE_SMS_SERVER_APPLIES=0`` and the worker applying the texts.

    uv run --frozen python benchmarks/sms_inbound.py [--requests 6000] [--rounds 3] [--clients 50] [--no-pump]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SECRET = "benchmark secret, not for production use"
PUBLIC_URL = "https://survey.example.org"
RESPONDENTS = 500


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_runtime(folder: Path):
    import attrs

    import rightsaware_sms.plugin as plugin
    from rightsaware.loading import load_instrument
    from rightsaware.plugins import make_plugin_manager
    from rightsaware.runtime import Runtime
    from rightsaware.settings import Settings
    from rightsaware.testing import write_sample_instrument
    from rightsaware_sms.config import load_sms_settings
    from rightsaware_sms.fake_twilio import FakeTwilio

    path = write_sample_instrument(folder) if not (folder / "sample.toml").exists() else folder / "sample.toml"
    pm = make_plugin_manager(entrypoints=False)
    pm.register(plugin, name="sms")
    runtime = Runtime(Settings(data_dir=str(folder / "data"), secret_key=SECRET, public_url=PUBLIC_URL),
                      plugin_manager=pm)
    runtime.instruments.add(load_instrument(path), path)
    fake = FakeTwilio()
    channel = runtime.channels.get("sms")
    channel.settings = attrs.evolve(load_sms_settings({}), account_sid=fake.account_sid, auth_token=fake.auth_token,
                                    from_number="+447700900001", quiet_hours=None)
    channel.use_gateway(fake.gateway())
    return runtime, channel


def serve(kind: str, folder: Path, port: int) -> None:
    """Run one server (the child process)."""
    import uvicorn

    if kind == "bare":
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import Response
        from starlette.routing import Route

        from rightsaware_sms.gateway import twiml

        body = twiml()

        async def inbound(_request: Request) -> Response:
            return Response(body, media_type="application/xml")

        app = Starlette(routes=[Route("/sms/inbound", inbound, methods=["POST"])])
    else:
        from rightsaware.heap import freeze_startup_heap
        from rightsaware.server import make_app

        runtime, _channel = make_runtime(folder)
        app = make_app(runtime)
        freeze_startup_heap()  # as rightsaware serve does
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def prepare(folder: Path) -> list[str]:
    """Open 500 interviews (their invitations stay queued); return the respondents' numbers."""
    runtime, channel = make_runtime(folder)
    conversations = channel.service(runtime).conversations
    numbers = [f"+4477009{i:05d}" for i in range(RESPONDENTS)]
    for number in numbers:
        respondent = runtime.store.ensure_respondent("sms", number)
        conversations.start(respondent, "sample", "en", key=f"bench:{respondent}")
    runtime.close()
    return numbers


def requests_for(numbers: list[str], count: int, offset: int, port: int) -> list[bytes]:
    """Complete HTTP/1.1 requests (signed, form-encoded), built before the clock starts."""
    from urllib.parse import urlencode

    from rightsaware_sms.fake_twilio import inbound_form, signed_post

    replies = ["1", "30", "2", "skip", "thirty", "BACK"]
    built = []
    for index in range(count):
        number = numbers[index % len(numbers)]
        body = replies[(index // len(numbers)) % len(replies)]
        form = inbound_form(number, body, f"SM{offset + index:032x}")
        signature = signed_post(form, PUBLIC_URL + "/sms/inbound")["headers"]["X-Twilio-Signature"]
        payload = urlencode(form).encode()
        head = (f"POST /sms/inbound HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Content-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: {signature}\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n").encode()
        built.append(head + payload)
    return built


async def load(port: int, requests: list[bytes], clients: int) -> tuple[float, list[float]]:
    """``clients`` keep-alive connections, each sending its next request when the last is answered.

    A minimal HTTP/1.1 client on asyncio streams, so that the load generator costs far less
    than the servers it measures.
    """
    latencies: list[float] = []
    pending = list(reversed(requests))

    async def one_client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while pending:
                request = pending.pop()
                start = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status = head[9:12]
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length)
                latencies.append(time.perf_counter() - start)
                if status != b"200":
                    raise SystemExit(f"unexpected status {status!r}: {body[:200]!r}")
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    return time.perf_counter() - start, latencies


def wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the server did not start")


def start_server(kind: str, folder: Path, pump: bool) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = dict(os.environ, RIGHTSAWARE_SMS_SERVER_APPLIES="1" if pump else "0")
    child = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--dir", str(folder), "--port", str(port)],
                             env=env)
    wait_for(port)
    return child, port


def measure(folder: Path, numbers: list[str], args: argparse.Namespace) -> dict[str, dict]:
    """Both servers up at once; rounds alternate bare and sms so that both see the same machine.

    With the pump on, each sms round waits until every text is applied before the next
    round, so the pump never runs while the bare server is measured.
    """
    servers = {kind: start_server(kind, folder, args.pump) for kind in ("bare", "sms")}
    results = {kind: {"kind": kind, "rps": [], "latencies": [], "apply": []} for kind in servers}
    offset = 0
    try:
        for kind, (_child, port) in servers.items():
            asyncio.run(load(port, requests_for(numbers, args.warmup, offset, port), args.clients))
            offset += args.warmup
        if args.pump:
            wait_until_applied(folder, time.perf_counter())
        per_round = args.requests // args.rounds
        for _round in range(args.rounds):
            for kind, (_child, port) in servers.items():
                batch = requests_for(numbers, per_round, offset, port)
                offset += per_round
                elapsed, latencies = asyncio.run(load(port, batch, args.clients))
                results[kind]["rps"].append(len(latencies) / elapsed)
                results[kind]["latencies"] += latencies
                if kind == "sms" and args.pump:
                    results[kind]["apply"].append(wait_until_applied(folder, time.perf_counter() - elapsed))
    finally:
        for child, _port in servers.values():
            child.terminate()
            child.wait(timeout=30)
    for row in results.values():
        row["rps"] = statistics.median(row["rps"])
        row["p50"] = statistics.median(row["latencies"]) * 1000
        row["p99"] = statistics.quantiles(row["latencies"], n=100)[98] * 1000
    return results


def wait_until_applied(folder: Path, start: float) -> float:
    """Seconds from the start of the measured load until the pump had applied every text."""
    from rightsaware.crypto import Keyring
    from rightsaware.store import Store
    from rightsaware_sms.sms_store import SmsStore

    store = Store.open(f"sqlite:///{folder / 'data' / 'rightsaware.db'}", Keyring.from_secret(SECRET))
    sms = SmsStore(store)
    while sms.inbound_count("pending"):
        time.sleep(0.1)
    done = time.perf_counter() - start
    store.close()
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000, help="measured requests per server, over all rounds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--no-pump", dest="pump", action="store_false",
                        help="measure the webhook alone: the server does not apply texts (the worker would)")
    parser.add_argument("--serve", choices=("sms", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.dir, args.port)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        numbers = prepare(folder)
        results = measure(folder, numbers, args)
        bare, sms = results["bare"], results["sms"]
    ratio = sms["rps"] / bare["rps"]
    print(f"SMS inbound webhook, {args.requests} requests per server in {args.rounds} alternating rounds, "
          f"{args.clients} concurrent clients, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    for row in (bare, sms):
        print(f"  {row['kind']:<5} {row['rps']:8.0f} requests/s (median round)   p50 {row['p50']:6.1f} ms   "
              f"p99 {row['p99']:6.1f} ms")
    print(f"  ratio sms/bare {ratio:.2f} (target >= 0.3); sms p99 {sms['p99']:.1f} ms (target < 100 ms)")
    if sms["apply"]:
        rate = args.requests / args.rounds / statistics.median(sms["apply"])
        print(f"  the server's pump applied and answered every text of a round {statistics.median(sms['apply']):.1f} s "
              f"after the round began (about {rate:.0f} texts/s, replies sent through the SDK to a fake)")
    else:
        print("  (server pump off: texts recorded only, as when `rightsaware sms worker` applies them)")
    if ratio < 0.3 or sms["p99"] >= 100:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
