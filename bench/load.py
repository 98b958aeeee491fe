#!/usr/bin/env python3
"""Load benchmark: certguide under gunicorn on PostgreSQL, against a bare-Django floor.

    .venv/bin/python bench/load.py            # 12 s per page at 16 and 64 connections
    .venv/bin/python bench/load.py --duration 5 --connections 16

It creates a scratch database (certguide_load), migrates and seeds it, starts gunicorn
with the production settings (Redis cache, persistent connections), drives every page with
wrk, prints requests/s, p50/p99 latency, errors and each page's throughput as a fraction
of the floor's (a view that returns "ok" with no template and no query, through the same
middleware), then stops gunicorn and drops the database. Results are also written as JSON
to bench/results/.
"""

from __future__ import annotations

import argparse
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
import urllib.request
from dataclasses import asdict, dataclass
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
DB_NAME = "certguide_load"
PG = "postgres://postgres@127.0.0.1:5432"

# Fractions of the floor's throughput each page must reach (issue 9).
TARGETS = {
    "floor": 1.0,
    "home": 0.6,
    "role page": 0.6,
    "compare": 0.6,
    "wizard step GET": 0.33,
    "wizard step POST": 0.25,
    "result": 0.25,
    "lead sign-up POST": 0.2,
}

# Sends one form body; wrk.format keeps the connection's cookie and content type.
POST_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "{cookie}"
wrk.body = "{body}"
"""

# A distinct address per request, so every sign-up is a new lead.
SIGNUP_LUA = """
local counter = 0
local threads = {{}}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
request = function()
  counter = counter + 1
  local suffix = tid .. "-" .. counter .. "-" .. math.random(1, 1e9)
  local body = "{body}&email=load-" .. suffix .. "%40example.com"
  return wrk.format("POST", nil, {{
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "{cookie}",
  }}, body)
end
"""


@dataclass
class Measurement:
    page: str
    connections: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    fraction_of_floor: float = 0.0


def run(cmd: list[str], env: dict[str, str] | None = None, **kwargs) -> str:
    result = subprocess.run(
        cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False, **kwargs
    )
    if result.returncode != 0:
        sys.exit(f"command failed: {' '.join(cmd)}\n{result.stdout}\n{result.stderr}")
    return result.stdout


def psql(sql: str) -> None:
    run(["psql", f"{PG}/postgres", "-v", "ON_ERROR_STOP=1", "-qc", sql])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
        DJANGO_SETTINGS_MODULE="certguide.settings",
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
from wizard.services import attempt_record_answer, attempt_start

weights = active_weights()
first = weights.questions[0]

# A finished attempt for the result page.
done = attempt_start(questionnaire_id=weights.id)
for index, question in enumerate(weights.questions):
    done = attempt_record_answer(
        attempt=done, weights=weights, index=index, choice_ids=[question.choices[0].id]
    )
# An attempt on its first step: the step GET and POST re-answer question 1 (Next).
open_attempt = attempt_start(questionnaire_id=weights.id)
print(json.dumps({
    "step_url": f"/wizard/{open_attempt.pk}/step/1/",
    "step_post_body": f"question={first.id}&choices={first.choices[0].id}&action=next",
    "result_url": f"/wizard/result/{done.pk}/",
}))
"""


def seed(env: dict[str, str]) -> dict[str, str]:
    """Create the attempts the wizard and result pages need; returns their URLs."""
    out = run([str(PYTHON), "manage.py", "shell", "-c", SEED], env=env)
    return json.loads(out.strip().splitlines()[-1])


def csrf_cookie(base: str) -> str:
    """A CSRF token from the sign-up page, sent back as cookie and form field."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(base + "/free-training/").read()
    for cookie in jar:
        if "csrftoken" in cookie.name:
            return cookie.value
    sys.exit("the sign-up page set no CSRF cookie")


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


def wrk(url: str, connections: int, duration: int, script: str | None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    if script:
        cmd += ["-s", script]
    out = run([*cmd, url])
    latency = {p: to_ms(v, u) for p, v, u in WRK_LATENCY.findall(out)}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = 0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(g) for g in m.groups())
    return {"rps": rps, "p50": latency["50"], "p99": latency["99"], "errors": errors, "n": total}


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


def write_script(directory: str, name: str, template: str, **values: str) -> str:
    path = Path(directory) / f"{name}.lua"
    path.write_text(template.format(**values))
    return str(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=12, help="seconds per measurement")
    parser.add_argument("--connections", default="16,64", help="comma-separated")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    args = parser.parse_args()
    connection_counts = [int(c) for c in args.connections.split(",")]

    ensure_services()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    workdir = tempfile.mkdtemp(prefix="certguide-load-")
    env = production_env(port)
    env["GUNICORN_WORKERS"] = str(args.workers)
    env["DJANGO_STATIC_ROOT"] = os.path.join(workdir, "static")

    psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    psql(f"CREATE DATABASE {DB_NAME}")
    run(["redis-cli", "-n", "7", "flushdb"])
    server = None
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
        weight = page_weight(base)
        token = csrf_cookie(base)
        cookie = f"csrftoken={token}"
        step_body = urls["step_post_body"] + f"&csrfmiddlewaretoken={token}"
        signup_body = f"csrfmiddlewaretoken={token}&consent=on&first_name=Load&placement=bench"
        scenarios = [
            ("floor", base + "/_floor", None),
            ("home", base + "/", None),
            ("role page", base + "/certifications/csm/", None),
            ("compare", base + "/compare/", None),
            ("wizard step GET", base + urls["step_url"], None),
            (
                "wizard step POST",
                base + urls["step_url"],
                write_script(workdir, "step", POST_LUA, cookie=cookie, body=step_body),
            ),
            ("result", base + urls["result_url"], None),
            (
                "lead sign-up POST",
                base + "/free-training/",
                write_script(workdir, "signup", SIGNUP_LUA, cookie=cookie, body=signup_body),
            ),
        ]
        # Warm every worker's caches and connections before measuring.
        for _, url, script in scenarios:
            wrk(url, 8, 2, script)

        results: list[Measurement] = []
        for connections in connection_counts:
            floor_rps = None
            for name, url, script in scenarios:
                r = wrk(url, connections, args.duration, script)
                floor_rps = floor_rps or r["rps"]
                results.append(
                    Measurement(
                        page=name,
                        connections=connections,
                        requests_per_second=r["rps"],
                        p50_ms=r["p50"],
                        p99_ms=r["p99"],
                        errors=r["errors"],
                        requests=r["n"],
                        fraction_of_floor=round(r["rps"] / floor_rps, 3),
                    )
                )
                print(f"  {name:<18} c={connections:<3} {r['rps']:>8.0f} req/s", flush=True)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
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
        if m.connections >= 64 and m.errors:
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
    print("| page | conns | req/s | p50 ms | p99 ms | errors | x floor | target |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for m in results:
        target = TARGETS[m.page]
        verdict = "ok" if m.fraction_of_floor >= target else "MISSED"
        print(
            f"| {m.page} | {m.connections} | {m.requests_per_second:.0f} | {m.p50_ms:.1f} | "
            f"{m.p99_ms:.1f} | {m.errors} | {m.fraction_of_floor:.2f} | "
            f"≥ {target:.2f} {verdict} |"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    (out / f"load-{stamp}.json").write_text(
        json.dumps({"args": vars(args), "results": [asdict(m) for m in results]}, indent=2)
    )
    print(f"\nall targets met: {all_targets_met(results) and weight_ok(weight)}")


if __name__ == "__main__":
    sys.exit(main())
