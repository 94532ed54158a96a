"""Web channel: complete responses per second and p99 latency at 50 clients, against a bare page.

Two servers run in turn, each in its own uvicorn process on 127.0.0.1, under the same load:
``--clients`` concurrent keep-alive connections, each completing responses one after the
other, every page fetched and every form posted as a browser does (cookies, CSRF tokens,
the redirect after each POST followed), 13 requests per response:

* ``web``: the real app (``rightsaware.server.make_app`` with the web plugin, SQLite store)
  and the sample instrument: start page, start, four question pages (one multiple choice,
  a whole number with a constraint), check your answers, send, confirmation. Every page is
  rendered from the templates in the respondent's language, every answer goes through the
  engine and is stored, *Send my answers* completes the response and the
  ``response_completed`` hook runs (referrals), the confirmation signs a withdrawal link;
* ``bare``: a Starlette app with a Jinja2 template of the same size: each GET renders it,
  each POST reads the form and redirects, and nothing else happens.

Reported: complete responses per second, requests per second, p50 and p99 latency of one
request, the server process's CPU time per response (uvicorn included), and the ratio
web/bare (target >= 0.3), with the load average before and after
(the machine is shared: compare ratios, and re-measure on a quiet machine). The web
server's store is then checked: every response completed and sent exactly once.

``--cpu`` measures instead the CPU time each app spends per complete response, without a
server or sockets: the same 13 requests are handed to the ASGI app in its own process,
``--chunks`` times ``--responses``, and the least CPU per response of the chunks is
reported (other work on the machine only ever adds time). Much steadier than the
throughput on a shared machine: use it to compare code before and after a change.

    uv run --frozen python benchmarks/web.py [--responses 400] [--clients 50]
    uv run --frozen python benchmarks/web.py --cpu [--responses 100] [--chunks 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

SECRET = "benchmark secret, not for production use"
LANGUAGES = ("cy", "gd", "en")
ANSWERS = [("heard", [("answer", "yes")]), ("age", [("answer", "42")]),
           ("barriers", [("answer", "time"), ("answer", "language")]), ("comment", [("answer", "Dim byd – diolch, ŵ ŷ")])]
FIELD = re.compile(rb'name="(csrf_token|nonce|form_id)" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_runtime(folder: Path):
    import rightsaware_web.plugin as plugin
    from rightsaware.loading import load_instrument
    from rightsaware.plugins import make_plugin_manager
    from rightsaware.runtime import Runtime
    from rightsaware.settings import Settings
    from rightsaware.testing import write_sample_instrument

    path = folder / "sample.toml"
    if not path.exists():
        write_sample_instrument(folder)
    pm = make_plugin_manager(entrypoints=False)
    pm.register(plugin, name="web")
    runtime = Runtime(Settings(data_dir=str(folder / "data"), secret_key=SECRET), plugin_manager=pm)
    runtime.instruments.add(load_instrument(path), path)
    return runtime


BARE_TEMPLATE = """<!DOCTYPE html><html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{{ title }}</title>
<link rel="stylesheet" href="/static/web.css"></head><body><header><nav><ul>
{% for code in languages %}<li><a href="?lang={{ code }}" lang="{{ code }}">{{ code }}</a></li>{% endfor %}
</ul></nav></header><main><a href="/back">Back</a><p>Question {{ n }} of 5</p>
<form method="post" action="{{ action }}"><input type="hidden" name="csrf_token" value="{{ token }}">
<input type="hidden" name="form_id" value="{{ token }}"><input type="hidden" name="nonce" value="{{ token }}">
<fieldset><legend><h1>{{ title }}</h1></legend>
{% for option in options %}<div><input id="o{{ loop.index }}" type="radio" name="answer" value="{{ option }}">
<label for="o{{ loop.index }}">{{ option }}</label></div>{% endfor %}</fieldset>
<button type="submit">Continue</button><button type="submit" name="action" value="save">Save</button>
</form></main></body></html>"""


def bare_app():
    """GET renders a page of the same size; POST reads the form and redirects to the next page."""
    import secrets

    import jinja2
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, RedirectResponse
    from starlette.routing import Route

    template = jinja2.Environment(autoescape=True).from_string(BARE_TEMPLATE)
    order = ["", "q/heard", "q/age", "q/barriers", "q/comment", "check", "done"]

    async def page(request: Request) -> HTMLResponse:
        html = template.render(lang="cy", title="Ydych chi wedi clywed am gydgynhyrchu?", languages=LANGUAGES,
                               n=3, action=request.url.path, token=secrets.token_urlsafe(16),
                               options=["Ydw", "Nac ydw", "Dim yn siŵr"])
        return HTMLResponse(html)

    async def post(request: Request) -> RedirectResponse:
        form = await request.form()
        assert form.get("csrf_token")
        step = request.path_params.get("rest", "")
        following = order[min(order.index(step) + 1, len(order) - 1)] if step in order else "done"
        return RedirectResponse(f"/s/sample/{following}", status_code=303)

    return Starlette(routes=[Route("/s/sample", page), Route("/s/sample", post, methods=["POST"]),
                             Route("/s/sample/{rest:path}", page), Route("/s/sample/{rest:path}", post, methods=["POST"])])


def build_app(kind: str, folder: Path) -> Any:
    """The bare page, or the real app with its store migrated and start-up heap frozen as serve does."""
    if kind == "bare":
        return bare_app()
    from rightsaware.heap import freeze_startup_heap
    from rightsaware.server import make_app

    runtime = make_runtime(folder)
    runtime.store  # noqa: B018 - migrate before serving
    app = make_app(runtime)
    freeze_startup_heap()  # as rightsaware serve does
    return app


def serve(kind: str, folder: Path, port: int) -> None:
    """Run one server (the child process)."""
    import uvicorn

    uvicorn.run(build_app(kind, folder), host="127.0.0.1", port=port, log_level="warning", access_log=False)


class Client:
    """One browser on one keep-alive connection: a minimal HTTP/1.1 client on asyncio streams,
    so that the load generator costs far less than the servers it measures."""

    def __init__(self, port: int, latencies: list[float]) -> None:
        self.port = port
        self.latencies = latencies
        self.cookie = b""
        self.reader = self.writer = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def request(self, method: str, path: str, form: list[tuple[str, str]] | None = None) -> tuple[bytes, bytes, bytes]:
        body = urlencode(form).encode() if form is not None else b""
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nAccept-Language: cy\r\n"
        if self.cookie:
            head += "Cookie: " + self.cookie.decode() + "\r\n"
        if form is not None:
            head += f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
        start = time.perf_counter()
        self.writer.write(head.encode() + b"\r\n" + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        status, length, location = raw[9:12], 0, b""
        for line in raw.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"location":
                location = value.strip()
            elif name == b"set-cookie" and value.strip().startswith(b"rightsaware_web="):
                self.cookie = value.strip().split(b";", 1)[0]
        content = await self.reader.readexactly(length)
        self.latencies.append(time.perf_counter() - start)
        if status not in (b"200", b"303"):
            raise SystemExit(f"{method} {path}: unexpected status {status!r}: {content[:300]!r}")
        return status, location, content

    async def respond(self, language: str) -> None:
        """One complete response: start page to confirmation, 13 requests."""
        _, _, page = await self.request("GET", "/s/sample")
        fields = dict(FIELD.findall(page))
        csrf = fields[b"csrf_token"].decode()
        _, location, _ = await self.request("POST", "/s/sample", [("csrf_token", csrf), ("language", language),
                                                                  ("nonce", fields[b"nonce"].decode())])
        for name, values in ANSWERS:
            path = location.decode()
            if not path.endswith("/q/" + name):
                raise SystemExit(f"expected the page of {name!r}, was sent to {path!r}")
            _, _, page = await self.request("GET", path)
            form_id = dict(FIELD.findall(page))[b"form_id"].decode()
            _, location, _ = await self.request("POST", path, [("csrf_token", csrf), ("form_id", form_id), *values])
        _, _, page = await self.request("GET", location.decode())
        _, location, _ = await self.request("POST", location.decode(), [("csrf_token", csrf)])
        _, _, page = await self.request("GET", location.decode())
        if b"panel" not in page and b"<h1>" not in page:
            raise SystemExit("the confirmation page was not reached")


class AsgiClient(Client):
    """The same browser, its requests handed straight to an ASGI app in this process (``--cpu``)."""

    def __init__(self, app, latencies: list[float]) -> None:  # noqa: ANN001 - an ASGI app
        super().__init__(0, latencies)
        self.app = app

    async def open(self) -> None:
        pass

    async def request(self, method: str, path: str, form: list[tuple[str, str]] | None = None) -> tuple[bytes, bytes, bytes]:
        body = urlencode(form).encode() if form is not None else b""
        route, _, query = path.partition("?")
        headers = [(b"host", b"127.0.0.1:8000"), (b"accept-language", b"cy")]
        if self.cookie:
            headers.append((b"cookie", self.cookie))
        if form is not None:
            headers += [(b"content-type", b"application/x-www-form-urlencoded"), (b"content-length", str(len(body)).encode())]
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "http",
                 "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000), "method": method, "root_path": "",
                 "path": route, "raw_path": route.encode(), "query_string": query.encode(), "headers": headers}
        received, started, chunks = [], {}, []

        async def receive() -> dict:
            if not received:
                received.append(True)
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)  # the client never disconnects
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            else:
                chunks.append(message.get("body", b""))

        start = time.perf_counter()
        await self.app(scope, receive, send)
        self.latencies.append(time.perf_counter() - start)
        status, location, content = str(started["status"]).encode(), b"", b"".join(chunks)
        for name, value in started["headers"]:
            if name == b"location":
                location = value
            elif name == b"set-cookie" and value.startswith(b"rightsaware_web="):
                self.cookie = value.split(b";", 1)[0]
        if status not in (b"200", b"303"):
            raise SystemExit(f"{method} {path}: unexpected status {status!r}: {content[:300]!r}")
        return status, location, content


def measure_cpu(kind: str, folder: Path, responses: int, chunks: int, clients: int) -> None:
    """Run one app in this process (the child of ``--cpu``): print its least CPU ms per response."""
    import gc
    import json

    app = build_app(kind, folder)
    asyncio.run(load(0, min(50, responses), clients, lambda _port, latencies: AsgiClient(app, latencies)))
    gc.collect()
    per_response = []
    for _chunk in range(chunks):
        start = time.process_time()
        asyncio.run(load(0, responses, clients, lambda _port, latencies: AsgiClient(app, latencies)))
        per_response.append((time.process_time() - start) / responses * 1000)
    print(json.dumps({"kind": kind, "cpu_ms": min(per_response), "median_ms": statistics.median(per_response)}))


def run_cpu(kind: str, folder: Path, args: argparse.Namespace) -> dict:
    import json

    env = dict(os.environ, RIGHTSAWARE_WEB_RATE_PER_MINUTE="10000000", RIGHTSAWARE_WEB_RATE_BURST="10000000")
    out = subprocess.run([sys.executable, __file__, "--cpu-child", kind, "--dir", str(folder), "--responses",
                          str(args.responses), "--chunks", str(args.chunks), "--clients", str(min(args.clients, 10))],
                         env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main_cpu(args: argparse.Namespace) -> None:
    load_before = _load_average()
    bares, webs = [], []
    for _round in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            bares.append(run_cpu("bare", Path(tmp), args))
            webs.append(run_cpu("web", Path(tmp), args))
    bare, web = min(r["cpu_ms"] for r in bares), min(r["cpu_ms"] for r in webs)
    print(f"CPU per complete response (13 requests) in-process, least of {args.chunks} chunks of {args.responses}, "
          f"{args.rounds} alternating rounds")
    rounds = ", ".join(f"{r['cpu_ms']:.2f}" for r in webs)
    print(f"bare: {bare:.2f} ms   web: {web:.2f} ms   (web, each round: {rounds})")
    print(f"bare/web: {bare / web:.3f}")
    print(f"load average before: {load_before}; after: {_load_average()}")


async def load(port: int, responses: int, clients: int, make_client=None) -> tuple[float, list[float]]:
    latencies: list[float] = []
    remaining = [responses]

    async def one_client(index: int) -> None:
        client = (make_client or Client)(port, latencies)
        await client.open()
        try:
            while remaining[0] > 0:
                remaining[0] -= 1
                await client.respond(LANGUAGES[index % len(LANGUAGES)])
        finally:
            if client.writer is not None:
                client.writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(one_client(i) for i in range(clients)))
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


def run_server(kind: str, folder: Path, args: argparse.Namespace) -> dict:
    port = free_port()
    env = dict(os.environ, RIGHTSAWARE_WEB_RATE_PER_MINUTE="10000000", RIGHTSAWARE_WEB_RATE_BURST="10000000")
    if args.workers is not None:
        env["RIGHTSAWARE_WEB_WORKERS"] = str(args.workers)
    child = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--dir", str(folder), "--port", str(port)],
                             env=env)
    try:
        wait_for(port)
        asyncio.run(load(port, args.warmup, min(args.clients, args.warmup)))
        cpu_before = _cpu_seconds(child.pid)
        elapsed, latencies = asyncio.run(load(port, args.responses, args.clients))
        cpu = (_cpu_seconds(child.pid) - cpu_before) / args.responses * 1000
        return {"kind": kind, "responses_per_s": args.responses / elapsed, "rps": len(latencies) / elapsed,
                "p50": statistics.median(latencies) * 1000, "p99": statistics.quantiles(latencies, n=100)[98] * 1000,
                "cpu_ms": cpu}
    finally:
        child.terminate()
        child.wait(timeout=30)


def verify(folder: Path, expected: int) -> str:
    """Every response the load made is completed and sent once; nothing duplicated."""
    from sqlalchemy import func, select

    runtime = make_runtime(folder)
    store = runtime.store
    responses, events = store.tables.responses, store.tables.processed_events
    with store.engine.connect() as connection:
        completed = connection.scalar(select(func.count()).select_from(responses).where(responses.c.status == "completed"))
        total = connection.scalar(select(func.count()).select_from(responses))
        sent = connection.scalar(select(func.count()).select_from(events).where(events.c.key.like("submitted:%")))
    runtime.close()
    if not total == completed == sent == expected:
        raise SystemExit(f"store check failed: {total} responses, {completed} completed, {sent} sent, {expected} expected")
    return f"store check: {total} responses, all completed and sent once"


def median_of(results: list[dict]) -> dict:
    return {key: statistics.median(r[key] for r in results) if key != "kind" else results[0]["kind"]
            for key in results[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=None, help="complete responses (default 400; --cpu: 100)")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="bare and web alternate; medians are reported")
    parser.add_argument("--workers", type=int, default=None,
                        help="the web channel's worker threads (default: its own, 4)")
    parser.add_argument("--cpu", action="store_true",
                        help="CPU time per response of each app in-process, instead of throughput through uvicorn")
    parser.add_argument("--chunks", type=int, default=10, help="--cpu: chunks of --responses (the least is reported)")
    parser.add_argument("--serve", choices=("web", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--cpu-child", choices=("web", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.responses is None:
        args.responses = 100 if args.cpu else 400
    if args.serve:
        serve(args.serve, args.dir, args.port)
        return
    if args.cpu_child:
        measure_cpu(args.cpu_child, args.dir, args.responses, args.chunks, args.clients)
        return
    if args.cpu:
        main_cpu(args)
        return
    load_before = _load_average()
    bares, webs, checks = [], [], []
    for _round in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            bares.append(run_server("bare", folder, args))
            webs.append(run_server("web", folder, args))
            checks.append(verify(folder, args.responses + args.warmup))
    bare, web = median_of(bares), median_of(webs)
    ratios = [w["responses_per_s"] / b["responses_per_s"] for b, w in zip(bares, webs)]
    print(f"{args.clients} clients, {args.responses} complete responses of 13 requests each (after {args.warmup} "
          f"warm-up), median of {args.rounds} alternating rounds")
    print(f"{'server':<8}{'responses/s':>13}{'requests/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'server CPU ms/response':>24}")
    for result in (bare, web):
        print(f"{result['kind']:<8}{result['responses_per_s']:>13.1f}{result['rps']:>12.0f}"
              f"{result['p50']:>9.1f}{result['p99']:>9.1f}{result['cpu_ms']:>24.2f}")
    print(f"ratio web/bare: {statistics.median(ratios):.2f} (rounds: {', '.join(f'{r:.2f}' for r in ratios)}; "
          "target >= 0.3)")
    print(checks[-1])
    print(f"load average before: {load_before}; after: {_load_average()}")


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far (Linux; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


if __name__ == "__main__":
    main()
