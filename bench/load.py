#!/usr/bin/env python3
"""Load benchmark: certguide under gunicorn on PostgreSQL, against a bare-Django floor.

    python3 bench/load.py            # 12 s per page at 16 and 64 connections
    python3 bench/load.py --duration 5 --connections 16
    python3 bench/load.py --only "wizard step GET,lead sign-up POST"   # some pages only

It installs what it needs (`make install`), creates a scratch database (certguide_load),
migrates and seeds it, starts gunicorn with the production settings (Redis cache,
persistent connections) and, before measuring, plays as many visitors as the largest
connection count: each fetches pages with a cookie jar of its own and starts an attempt
through the real Start button, so it holds its own CSRF cookie and token and its own
attempt. wrk then drives every page; on the quiz step (GET and POST) and the sign-up POST
each wrk thread hands its share of the visitors out in turn, so the requests in flight
belong to different visitors (a step POST re-answers the visitor's own question 1, so it
can repeat). It prints requests/s, p50/p99 latency, errors (every response that is not
2xx/3xx, and socket errors) and each page's throughput as a fraction of the floor's (a
view that returns "ok" with no template and no query, through the same middleware),
measured in the same run. Any 403 fails the run loudly, with its count. Then it stops
gunicorn and drops the database. Results are also written as JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
DB_NAME = "certguide_load"
PG = "postgres://postgres@127.0.0.1:5432"

# Fractions of the floor's throughput each page must reach.
TARGETS = {
    "bare Django": 0.0,
    "floor": 1.0,
    "home": 0.9,
    "role page": 0.9,
    "compare": 0.9,
    "home (German)": 0.9,
    "wizard step GET": 0.33,
    "wizard step POST": 0.25,
    "result": 0.25,
    "lead sign-up POST": 0.2,
}

WRK_THREADS = 2

# Every scenario runs through this script, the floor included, so each pays the same Lua
# cost. VISITORS is one row per visitor (path, Cookie header, form body); wrk's arguments
# are how many of them this run uses (one per connection) and a nonce of the run's own.
# Each thread takes every WRK_THREADS-th visitor and hands them out in turn. response()
# tallies every status code and done() prints the tally for load.py to read.
WRK_LUA = """
local visitors = {visitors}
local method = "{method}"
local unique_email = {unique_email}
local threads = {{}}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  local count = tonumber(args[1]) or #visitors
  nonce = args[2] or "0"
  mine = {{}}
  for i = tid + 1, math.min(count, #visitors), {threads} do
    table.insert(mine, visitors[i])
  end
  counter = 0
  statuses = {{}}
end

request = function()
  if #mine == 0 then
    return wrk.format(method)
  end
  counter = counter + 1
  local visitor = mine[(counter - 1) % #mine + 1]
  local headers = {{ ["Cookie"] = visitor.cookie }}
  local body = nil
  if method == "POST" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    body = visitor.body
    if unique_email then
      -- A new address per request, so every sign-up is a new lead: the run's own nonce
      -- (wrk's math.random repeats its sequence from run to run, so a later run would
      -- sign up the earlier run's addresses again and measure the repeat sign-up).
      body = body .. "&email=load-" .. nonce .. "-" .. tid .. "-" .. counter
        .. "%40example.com"
    end
  end
  return wrk.format(method, visitor.path, headers, body)
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {{}}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  for status, count in pairs(total) do
    io.write(string.format("STATUS %d %d\\n", status, count))
  end
end
"""


def lua_visitors(visitors: list[dict[str, str]]) -> str:
    """A Lua table literal of the visitors (JSON strings are valid Lua strings here:
    cookies, paths and form bodies are ASCII)."""
    rows = [
        "{" + ", ".join(f"{key} = {json.dumps(value)}" for key, value in visitor.items()) + "}"
        for visitor in visitors
    ]
    return "{\n  " + ",\n  ".join(rows) + "\n}"


@dataclass
class Measurement:
    page: str
    connections: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    forbidden: int
    requests: int
    statuses: dict[str, int]
    fraction_of_floor: float = 0.0
    fraction_of_bare: float = 0.0


# Content pages (answered by the page cache before the middleware) must also come near
# Django with no middleware and no apps at all (bench/bare.py).
BARE_TARGETS = {"home": 0.8, "role page": 0.8, "compare": 0.8, "home (German)": 0.8}


def run(cmd: list[str], env: dict[str, str] | None = None, **kwargs) -> str:
    result = subprocess.run(
        cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False, **kwargs
    )
    if result.returncode != 0:
        sys.exit(f"command failed: {' '.join(cmd)}\n{result.stdout}\n{result.stderr}")
    return result.stdout


def psql(sql: str) -> None:
    run(["psql", f"{PG}/postgres", "-v", "ON_ERROR_STOP=1", "-qc", sql])


def free_port(after: int = 8399) -> int:
    """The first free port of 8400-8499, the range this benchmark's servers use."""
    for port in range(after + 1, 8500):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    sys.exit("no free port in 8400-8499")


def ensure_services() -> None:
    if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode != 0:
        version = os.listdir("/etc/postgresql")[0]
        run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"])
    if subprocess.run(["redis-cli", "ping"], capture_output=True, check=False).returncode != 0:
        run(
            ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379",
             "--save", "", "--appendonly", "no"]
        )  # fmt: skip
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")


def production_env(port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",  # adds /_floor
        DJANGO_SECRET_KEY="load-benchmark-" + "k" * 50,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=f"{PG}/{DB_NAME}",
        CACHE_URL="redis://127.0.0.1:6379/7",
        # Plain http on loopback: no TLS terminator in front of this benchmark.
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        SIGNUP_RATE_LIMIT="100000000/m",
        SIGNUP_DAILY_LIMIT="100000000/d",
        TASKS_BACKEND="database",
        SITE_URL=f"http://127.0.0.1:{port}",
        DJANGO_LOG_LEVEL="WARNING",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_LOG_LEVEL="warning",
    )
    return env


SEED = """
import json
from wizard.questionnaires import active_weights
from wizard.services import attempt_path, attempt_record_answer, attempt_start

weights = active_weights()
# A finished attempt for the result page: the first answer to each question on its path.
done = attempt_start(questionnaire_id=weights.id)
while not done.is_completed:
    question = attempt_path(done, weights)[done.step]
    done = attempt_record_answer(
        attempt=done, weights=weights, index=done.step, choice_ids=[question.choices[0].id]
    )
print(json.dumps({"result_url": f"/wizard/result/{done.pk}/"}))
"""


def seed(env: dict[str, str]) -> dict[str, str]:
    """Create the finished attempt the result page needs; returns its URL."""
    out = run([str(PYTHON), "manage.py", "shell", "-c", SEED], env=env)
    return json.loads(out.strip().splitlines()[-1])


INPUT = re.compile(r"<input\b[^>]*>")
ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')


def input_values(page: str, name: str) -> list[str]:
    """The values of every <input name=NAME> in the page, in order."""
    values = []
    for tag in INPUT.findall(page):
        attributes = dict(ATTRIBUTE.findall(tag))
        if attributes.get("name") == name:
            values.append(html.unescape(attributes.get("value", "")))
    return values


def make_visitors(base: str, count: int) -> tuple[list[dict], list[dict]]:
    """Play ``count`` visitors as a browser would, each with a cookie jar of its own: open
    the quiz, press Start (the real POST, which makes the attempt) and land on step 1, then
    open the sign-up form. Returns, per visitor, the step request (its own attempt, cookie
    and token, answering its question 1 with the first answer) and the sign-up request."""
    steps, signups = [], []
    for _ in range(count):
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        intro = opener.open(base + "/wizard/").read().decode()
        start = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": input_values(intro, "csrfmiddlewaretoken")[0]}
        )
        with opener.open(base + "/wizard/", data=start.encode()) as response:
            step_path = urllib.parse.urlsplit(response.url).path
            step_page = response.read().decode()
        if not re.fullmatch(r"/wizard/[0-9a-f-]{36}/step/1/", step_path):
            sys.exit(f"Start did not lead to step 1 but to {step_path}")
        signup_page = opener.open(base + "/free-training/").read().decode()
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        steps.append(
            {
                "path": step_path,
                "cookie": cookie,
                "body": urllib.parse.urlencode(
                    {
                        "csrfmiddlewaretoken": input_values(step_page, "csrfmiddlewaretoken")[0],
                        "question": input_values(step_page, "question")[0],
                        "choices": input_values(step_page, "choices")[0],
                        "action": "next",
                    }
                ),
            }
        )
        signups.append(
            {
                "path": "/free-training/",
                "cookie": cookie,
                "body": urllib.parse.urlencode(
                    {
                        "csrfmiddlewaretoken": input_values(signup_page, "csrfmiddlewaretoken")[0],
                        "consent": "on",
                        "first_name": "Load",
                        "placement": "bench",
                    }
                ),
            }
        )
    if len({v["cookie"] for v in steps}) != count or len({v["path"] for v in steps}) != count:
        sys.exit("the visitors do not each hold their own cookie and attempt")
    return steps, signups


def wait_until_up(url: str, process: subprocess.Popen) -> None:
    for _ in range(100):
        if process.poll() is not None:
            sys.exit("gunicorn exited during start-up")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn did not answer within 20 s")


WRK_LATENCY = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)


def to_ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


WRK_STATUS = re.compile(r"^STATUS (\d+) (\d+)$", re.M)


def wrk(url: str, connections: int, duration: int, script: str) -> dict:
    cmd = ["wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{duration}s", "--latency"]
    nonce = str(time.time_ns())  # the run's sign-up addresses are its own
    out = run([*cmd, "--timeout", "5s", "-s", script, url, "--", str(connections), nonce])
    latency = {p: to_ms(v, u) for p, v, u in WRK_LATENCY.findall(out)}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    statuses = {code: int(n) for code, n in WRK_STATUS.findall(out)}
    # Every response that is not 2xx or 3xx is an error (wrk's own count agrees), and so
    # is every socket error.
    errors = sum(n for code, n in statuses.items() if not 200 <= int(code) < 400)
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(g) for g in m.groups())
    return {
        "rps": rps,
        "p50": latency["50"],
        "p99": latency["99"],
        "errors": errors,
        "forbidden": statuses.get("403", 0),
        "statuses": dict(sorted(statuses.items())),
        "n": total,
    }


ASSET = re.compile(r'<(?:link|script|img)\b[^>]*?\b(?:href|src)="([^"]+)"', re.I)


def page_weight(base: str) -> dict:
    """The home page's transfer as a browser makes it: HTML plus every stylesheet, script
    and image it links, compressed (gzip or brotli, as whitenoise serves them)."""
    headers = {"Accept-Encoding": "br, gzip"}

    def fetch(url: str) -> tuple[int, str, bytes]:
        request = urllib.request.Request(url, headers=headers)
        with urllib.request.urlopen(request, timeout=5) as response:
            body = response.read()
            return len(body), response.headers.get("Content-Encoding", "identity"), body

    size, encoding, body = fetch(base + "/")
    # The HTML itself may arrive compressed; gunicorn does not compress, so it is plain.
    html = body.decode("utf-8", "replace")
    items = [{"url": "/", "bytes": size, "encoding": encoding}]
    other_origins = []
    for ref in ASSET.findall(html):
        if ref.startswith(("http://", "https://", "//")):
            if not ref.startswith(base):
                other_origins.append(ref)
            continue
        asset_size, asset_encoding, _ = fetch(base + ref)
        items.append({"url": ref, "bytes": asset_size, "encoding": asset_encoding})
    return {
        "total_bytes": sum(i["bytes"] for i in items),
        "items": items,
        "other_origins": other_origins,
    }


def write_script(
    directory: str, name: str, visitors: list[dict] = (), method: str = "GET", unique_email=False
) -> str:
    path = Path(directory) / f"{name.replace(' ', '-')}.lua"
    path.write_text(
        WRK_LUA.format(
            visitors=lua_visitors(list(visitors)),
            method=method,
            unique_email="true" if unique_email else "false",
            threads=WRK_THREADS,
        )
    )
    return str(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=12, help="seconds per measurement")
    parser.add_argument("--connections", default="16,64", help="comma-separated")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per worker (GUNICORN_THREADS; more than 1 makes them gthread workers)",
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated page names to measure (the floor and bare Django always are), "
        'e.g. "wizard step GET,lead sign-up POST"',
    )
    args = parser.parse_args()
    connection_counts = [int(c) for c in args.connections.split(",")]

    # From a fresh clone: the virtualenv with the runtime requirements (gunicorn included).
    run(["make", "install"])
    ensure_services()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    bare_port = free_port(after=port)
    workdir = tempfile.mkdtemp(prefix="certguide-load-")
    env = production_env(port)
    env["GUNICORN_WORKERS"] = str(args.workers)
    env["GUNICORN_THREADS"] = str(args.threads)
    env["DJANGO_STATIC_ROOT"] = os.path.join(workdir, "static")

    psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    psql(f"CREATE DATABASE {DB_NAME}")
    run(["redis-cli", "-n", "7", "flushdb"])
    server = bare = None
    try:
        run([str(PYTHON), "manage.py", "migrate", "--no-input"], env=env)
        run([str(PYTHON), "manage.py", "collectstatic", "--no-input"], env=env)
        urls = seed(env)
        server = subprocess.Popen(
            [str(GUNICORN), "certguide.wsgi", "-c", str(ROOT / "gunicorn.conf.py")],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(workdir, "gunicorn.log"), "w"),  # noqa: SIM115
            start_new_session=True,
        )
        wait_until_up(base + "/healthz", server)
        bare_env = {**env, "GUNICORN_BIND": f"127.0.0.1:{bare_port}"}
        bare = subprocess.Popen(
            [str(GUNICORN), "bench.bare:application", "-c", str(ROOT / "gunicorn.conf.py")],
            cwd=ROOT,
            env=bare_env,
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(workdir, "bare.log"), "w"),  # noqa: SIM115
            start_new_session=True,
        )
        wait_until_up(f"http://127.0.0.1:{bare_port}/_bare", bare)
        weight = page_weight(base)
        steps, signups = make_visitors(base, max(connection_counts))
        print(f"  {len(steps)} visitors, each with its own cookie, CSRF token and attempt")
        scenarios = [
            ("bare Django", f"http://127.0.0.1:{bare_port}/_bare", write_script(workdir, "bare"))
        ]
        scenarios += [
            (name, base + path, write_script(workdir, name))
            for name, path in [
                ("floor", "/_floor"),
                ("home", "/"),
                ("role page", "/certifications/csm/"),
                ("compare", "/compare/"),
                ("home (German)", "/de/"),
            ]
        ]
        scenarios += [
            ("wizard step GET", base + steps[0]["path"], write_script(workdir, "step", steps)),
            (
                "wizard step POST",
                base + steps[0]["path"],
                write_script(workdir, "step POST", steps, method="POST"),
            ),
            ("result", base + urls["result_url"], write_script(workdir, "result")),
            (
                "lead sign-up POST",
                base + "/free-training/",
                write_script(workdir, "sign-up", signups, method="POST", unique_email=True),
            ),
        ]
        if args.only:
            wanted = {"bare Django", "floor", *(name.strip() for name in args.only.split(","))}
            if unknown := wanted - {name for name, _, _ in scenarios}:
                sys.exit(f"no such page: {', '.join(sorted(unknown))}")
            scenarios = [s for s in scenarios if s[0] in wanted]
        # Warm every worker's caches and connections before measuring.
        for _, url, script in scenarios:
            wrk(url, 8, 2, script)

        results: list[Measurement] = []
        for connections in connection_counts:
            measured = []
            for name, url, script in scenarios:
                r = wrk(url, connections, args.duration, script)
                measured.append((name, r))
                print(
                    f"  {name:<18} c={connections:<3} {r['rps']:>8.0f} req/s  "
                    f"statuses {r['statuses']}",
                    flush=True,
                )
            rps = {name: r["rps"] for name, r in measured}
            for name, r in measured:
                results.append(
                    Measurement(
                        page=name,
                        connections=connections,
                        requests_per_second=r["rps"],
                        p50_ms=r["p50"],
                        p99_ms=r["p99"],
                        errors=r["errors"],
                        forbidden=r["forbidden"],
                        requests=r["n"],
                        statuses=r["statuses"],
                        fraction_of_floor=round(r["rps"] / rps["floor"], 3),
                        fraction_of_bare=round(r["rps"] / rps["bare Django"], 3),
                    )
                )
    finally:
        for process in (server, bare):
            if process is not None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
        psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        run(["redis-cli", "-n", "7", "flushdb"])
        shutil.rmtree(workdir, ignore_errors=True)

    report(results, args, weight)
    return 0 if all_targets_met(results) and weight_ok(weight) else 1


PAGE_WEIGHT_LIMIT = 60 * 1024


def weight_ok(weight: dict) -> bool:
    return weight["total_bytes"] < PAGE_WEIGHT_LIMIT and not weight["other_origins"]


def all_targets_met(results: list[Measurement]) -> bool:
    ok = True
    for m in results:
        if m.fraction_of_floor < TARGETS[m.page]:
            ok = False
        if m.fraction_of_bare < BARE_TARGETS.get(m.page, 0.0):
            ok = False
        if m.errors:
            ok = False
        if m.connections == 16 and m.p99_ms >= 100:
            ok = False
    return ok


def report(results: list[Measurement], args: argparse.Namespace, weight: dict) -> None:
    print()
    print("Home page transfer (compressed):")
    for item in weight["items"]:
        print(f"  {item['url']:<60} {item['bytes']:>7} bytes  {item['encoding']}")
    print(
        f"  total {weight['total_bytes']} bytes ({weight['total_bytes'] / 1024:.1f} KiB, "
        f"limit 60 KiB); requests to other origins: {weight['other_origins'] or 'none'}"
    )
    print()
    print(
        "| page | conns | req/s | p50 ms | p99 ms | errors | x floor | target | x bare | target |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in results:
        target = TARGETS[m.page]
        verdict = "ok" if m.fraction_of_floor >= target else "MISSED"
        bare_target = BARE_TARGETS.get(m.page)
        bare_verdict = (
            f"≥ {bare_target:.2f} {'ok' if m.fraction_of_bare >= bare_target else 'MISSED'}"
            if bare_target
            else ""
        )
        print(
            f"| {m.page} | {m.connections} | {m.requests_per_second:.0f} | {m.p50_ms:.1f} | "
            f"{m.p99_ms:.1f} | {m.errors} | {m.fraction_of_floor:.2f} | "
            f"{f'≥ {target:.2f} {verdict}' if target else ''} | {m.fraction_of_bare:.2f} | "
            f"{bare_verdict} |"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    (out / f"load-{stamp}.json").write_text(
        json.dumps({"args": vars(args), "results": [asdict(m) for m in results]}, indent=2)
    )
    forbidden = {f"{m.page} at c={m.connections}": m.forbidden for m in results if m.forbidden}
    if forbidden:
        print(f"\nFAILED: {sum(forbidden.values())} responses were 403 Forbidden: {forbidden}")
        print("A visitor was refused: a CSRF token or cookie is shared between visitors.")
    errors = sum(m.errors for m in results)
    print(f"\nerrors (non-2xx/3xx and socket errors) in the whole run: {errors}")
    print(f"all targets met: {all_targets_met(results) and weight_ok(weight)}")


if __name__ == "__main__":
    sys.exit(main())
