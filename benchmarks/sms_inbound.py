"""Inbound SMS webhook throughput and p99 latency at 50 concurrent clients, against a bare endpoint.

Two servers run in turn, each in its own uvicorn process on 127.0.0.1, under the same load
(``--clients`` concurrent keep-alive connections posting ``--requests`` Twilio-shaped, signed
inbound texts to ``/sms/inbound``):

* ``sms``: the real app (``rightsaware.server.make_app`` with the sms plugin): signature
  checked against the public URL, the text recorded in the SQLite store (deduplicated on
  MessageSid, body encrypted), empty TwiML back; the server's pump then applies the texts
  to 500 open interviews and sends the replies through the real Twilio SDK to an in-process
  fake, in the same process, while the load runs;
* ``bare``: a Starlette endpoint that returns the same TwiML and does nothing else.

Reported: requests/s, p50 and p99 latency of each, the ratio sms/bare (target >= 0.3,
p99 < 100 ms), and how long the pump needed to apply and answer every text.

    uv run --frozen python benchmarks/sms_inbound.py [--requests 3000] [--clients 50]
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
        from rightsaware.server import make_app

        runtime, _channel = make_runtime(folder)
        app = make_app(runtime)
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


def run_server(kind: str, folder: Path, numbers: list[str], args: argparse.Namespace, offset: int) -> dict:
    port = free_port()
    env = dict(os.environ, RIGHTSAWARE_SMS_SERVER_APPLIES="1" if args.pump else "0")
    child = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--dir", str(folder), "--port", str(port)],
                             env=env)
    try:
        wait_for(port)
        warm = requests_for(numbers, args.warmup, offset, port)
        asyncio.run(load(port, warm, args.clients))
        measured = requests_for(numbers, args.requests, offset + args.warmup, port)
        elapsed, latencies = asyncio.run(load(port, measured, args.clients))
        result = {"kind": kind, "rps": len(latencies) / elapsed, "p50": statistics.median(latencies) * 1000,
                  "p99": statistics.quantiles(latencies, n=100)[98] * 1000}
        if kind == "sms" and args.pump:
            result["apply_seconds"] = wait_until_applied(folder, start=time.perf_counter() - elapsed)
        return result
    finally:
        child.terminate()
        child.wait(timeout=30)


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
    parser.add_argument("--requests", type=int, default=3000)
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
        bare = run_server("bare", folder, numbers, args, 0)
        sms = run_server("sms", folder, numbers, args, 10_000_000)
    ratio = sms["rps"] / bare["rps"]
    print(f"SMS inbound webhook, {args.requests} requests, {args.clients} concurrent clients, "
          f"{os.cpu_count()} CPUs")
    for row in (bare, sms):
        print(f"  {row['kind']:<5} {row['rps']:8.0f} requests/s   p50 {row['p50']:6.1f} ms   p99 {row['p99']:6.1f} ms")
    print(f"  ratio sms/bare {ratio:.2f} (target >= 0.3); sms p99 {sms['p99']:.1f} ms (target < 100 ms)")
    if "apply_seconds" in sms:
        print(f"  every text applied and answered {sms['apply_seconds']:.1f} s after the load began")
    else:
        print("  (server pump off: texts recorded only, as when `rightsaware sms worker` applies them)")
    if ratio < 0.3 or sms["p99"] >= 100:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
