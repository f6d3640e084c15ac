"""``make bench``: what this machine can do, and how close texrender gets to it.

1. The machine limit: the benchmark document's TeX, compiled by bare ``pdflatex`` a few times,
   plainly and from a format of its preamble; the median CPU seconds of one compile (the
   child's own rusage) gives ``nproc / cpu_s`` renders per second, what the cores could do with
   nothing else running.
2. A real ``texrender serve`` in a subprocess (this package imports nothing from the server, so
   the bench measures what any client would see). First the cost of the cheapest request there
   is (``/healthz``, one client, in server CPU ms): the floor any refusal is compared with. Then
   five loads, each with the health probe: 2x the render slots with unique bodies (the
   baseline), 8x (queueing), 64 clients (overload: more than slots and queue hold) that wait as
   ``Retry-After`` asks, the same 64 asking again at once (hostile), and 16 clients repeating
   one body (cache-friendly). The 64-client runs start their clients over 2 s.
3. ``bench/results.json`` (everything), ``bench/results.md`` (the table, and the overload
   targets as ratios to the baseline run), ``bench/latency.png`` (the first run over time); the
   table is printed at the end.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import gzip
import itertools
import json
import math
import os
import platform
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

from . import cli
from .baseline import BaselineUnavailable, baseline_argv, baseline_env, baseline_python
from .drive import TemplateBody
from .record import Series, parse_prometheus
from .report import matplotlib_missing, plot_timeline

REPO = Path(__file__).resolve().parent.parent
TEXRENDER = Path(sys.executable).parent / "texrender"
RUNNING_ON = re.compile(r"[Rr]unning on (http://\S+)")  # Hypercorn and uvicorn
STARTUP_TIMEOUT_S = 60.0
OVERLOAD_RAMP_S = 2.0
REFUSALS = 400


class BenchError(Exception):
    """The bench cannot go on; the message says why."""


@dataclass(frozen=True)
class Run:
    """One load run: a closed loop of ``clients`` per render slot (or a fixed number)."""

    name: str
    description: str
    clients: int
    unique: bool
    polite: bool = True  # wait as Retry-After asks
    ramp_s: float = 0.0  # start the clients over this long


# --- the machine ----------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    cpu_model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    pdflatex = shutil.which("pdflatex")
    tex_version = "not found"
    if pdflatex:
        out = subprocess.run([pdflatex, "--version"], capture_output=True, text=True, check=False)
        tex_version = out.stdout.splitlines()[0] if out.stdout else "unknown"
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model,
        "tex_version": tex_version,
        "python_version": platform.python_version(),
        "platform": platform.platform(),
    }


def filled_tex(template_flags: list[str], template: str, data: Path, out: Path) -> None:
    """The benchmark document's TeX source, as texrender fills it (``render --tex``)."""
    result = subprocess.run(
        [str(TEXRENDER), *template_flags, "render", template, str(data), "-o", str(out), "--tex"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BenchError(f"texrender render --tex failed:\n{result.stderr.strip()}")


def compile_cpu_seconds(argv: list[str], workdir: Path) -> float:
    """CPU seconds (user + system) of one TeX run, from the child's rusage.

    Raises: BenchError if the run fails.
    """
    process = subprocess.Popen(
        argv,
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, tell Popen
    if process.returncode != 0:
        raise BenchError(f"{' '.join(argv)} failed in {workdir} (exit {process.returncode})")
    return usage.ru_utime + usage.ru_stime


def _limit(samples: list[float], nproc: int) -> dict[str, Any]:
    cpu_s = statistics.median(samples)
    return {
        "cpu_s_samples": [round(s, 4) for s in samples],
        "cpu_s": round(cpu_s, 4),
        "renders_per_s": round(nproc / cpu_s, 3),
    }


def machine_limit(
    template_flags: list[str], template: str, data: Path, compiles: int, workdir: Path
) -> dict[str, Any]:
    """Renders/s the cores could do with nothing but bare TeX running: from a plain compile,
    from a format of the document's preamble as web2c writes it (gzip'd), and from the same
    format uncompressed (what texrender starts from). Leaves ``doc.tex`` in ``workdir``."""
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        raise BenchError("pdflatex is not on PATH (run `make setup`)")
    nproc = len(os.sched_getaffinity(0))
    plain = [pdflatex, "-interaction=batchmode", "-halt-on-error", "doc.tex"]
    filled_tex(template_flags, template, data, workdir / "doc.tex")
    plain_samples = [compile_cpu_seconds(plain, workdir) for _ in range(compiles)]
    dump = [pdflatex, "-ini", "-interaction=batchmode", "-halt-on-error", "-jobname=bench"]
    compile_cpu_seconds([*dump, "&pdflatex", "mylatexformat.ltx", "doc.tex"], workdir)
    with gzip.open(workdir / "bench.fmt", "rb") as packed:
        (workdir / "flat.fmt").write_bytes(packed.read())
    packed_samples, flat_samples = [], []
    for _ in range(compiles):  # interleaved, so a noisy moment hits both alike
        packed_samples.append(compile_cpu_seconds([pdflatex, "-fmt=bench", *plain[1:]], workdir))
        flat_samples.append(compile_cpu_seconds([pdflatex, "-fmt=flat", *plain[1:]], workdir))
    found = {
        "nproc": nproc,
        "plain": _limit(plain_samples, nproc),
        "format": _limit(packed_samples, nproc),
        "format_uncompressed": _limit(flat_samples, nproc),
    }
    unicode = unicode_samples(template_flags, template, data, compiles, workdir)
    if unicode:
        found["unicode"] = _limit(unicode, nproc)
    return found


# A name only the Unicode path can set: the same document, through XeLaTeX.
UNICODE_NAME = "Дмитрий Иванов"


def unicode_samples(
    template_flags: list[str], template: str, data: Path, compiles: int, workdir: Path
) -> list[float]:
    """CPU seconds of bare XeLaTeX runs of the same document with a Cyrillic name, as the
    Unicode path fills it (plain: that path has no format yet); empty without XeLaTeX."""
    xelatex = shutil.which("xelatex")
    if xelatex is None:
        return []
    document = json.loads(data.read_text(encoding="utf-8"))
    if not isinstance(document.get("basics"), dict):
        return []
    document["basics"]["name"] = UNICODE_NAME
    (workdir / "unicode.json").write_text(json.dumps(document), encoding="utf-8")
    filled_tex(template_flags, template, workdir / "unicode.json", workdir / "unicode.tex")
    argv = [xelatex, "-interaction=batchmode", "-halt-on-error", "unicode.tex"]
    return [compile_cpu_seconds(argv, workdir) for _ in range(compiles)]


# --- the server -----------------------------------------------------------------------------


class Server:
    """``texrender serve`` on a free loopback port, its stderr drained by a thread."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.tail: collections.deque[str] = collections.deque(maxlen=40)
        self.reader = threading.Thread(target=self._drain, args=(self.process.stderr,))
        self.reader.daemon = True
        self.reader.start()

    def _drain(self, stream: IO[str] | None) -> None:
        if stream is not None:
            for line in stream:
                self.tail.append(line.rstrip())
                self.lines.put(line)
        self.lines.put(None)

    def wait_for_url(self, timeout_s: float = STARTUP_TIMEOUT_S) -> str:
        """The URL Hypercorn logs ("Running on http://127.0.0.1:PORT").

        Raises: BenchError if the server exits or says nothing in time.
        """
        try:
            while True:
                line = self.lines.get(timeout=timeout_s)
                if line is None:
                    raise BenchError("texrender serve exited:\n" + "\n".join(self.tail))
                if match := RUNNING_ON.search(line):
                    return match[1]
        except queue.Empty:
            raise BenchError(f"texrender serve did not start in {timeout_s:g} s") from None

    def stop(self, timeout_s: float = 20.0) -> int:
        """SIGTERM (graceful drain), then SIGKILL if it takes longer than ``timeout_s``."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.reader.join(5)
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.reader.join(5)


# --- runs and results -----------------------------------------------------------------------


def tex_counters(samples: dict[Series, float]) -> dict[str, float]:
    """The server's own CPU seconds (TeX's are its children's, not counted) and its TeX runs
    (one ``texrender_render_duration_seconds`` observation each, summed over templates)."""
    return {
        "cpu_s": samples.get(("texrender_process_cpu_seconds_total", ""), float("nan")),
        "tex_runs": sum(
            value
            for (name, _), value in samples.items()
            if name == "texrender_render_duration_seconds_count"
        ),
    }


def server_counters(url: str) -> dict[str, float]:
    """:func:`tex_counters` of the server's ``/metrics`` now (NaN CPU for a server without
    them: the baseline)."""
    response = httpx.get(f"{url}/metrics", timeout=10)
    if response.status_code == 404:
        return {"cpu_s": float("nan"), "tex_runs": 0.0}
    return tex_counters(parse_prometheus(response.text))


def wait_ready(url: str, timeout_s: float = STARTUP_TIMEOUT_S) -> dict[str, Any]:
    """/readyz once it answers 200 (formats built), so no run measures start-up."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = httpx.get(f"{url}/readyz", timeout=10)
        if response.status_code == 200:
            body: dict[str, Any] = response.json()
            return body
        if time.monotonic() > deadline:
            raise BenchError(f"server not ready after {timeout_s:g} s: {response.text}")
        time.sleep(0.1)


def run_load(url: str, run: Run, template: str, data: Path, args: argparse.Namespace) -> Any:
    """One harness run (in this process, through the harness's own command line), with the
    server's CPU seconds per TeX run measured around it."""
    with tempfile.TemporaryDirectory(prefix="texrender-bench-") as tmp:
        report = Path(tmp) / f"{run.name}.json"
        argv = [url, "--template", template, "--data", str(data), "-c", str(run.clients)]
        argv += ["--duration", str(args.duration), "--json", str(report)]
        if run.unique:
            argv.append("--unique")
        if not run.polite:
            argv.append("--ignore-retry-after")
        if run.ramp_s:
            argv += ["--ramp", str(run.ramp_s)]
        if args.quiet:
            argv.append("--quiet")
        print(f"\n== run {run.name}: {run.description} ({run.clients} clients)", flush=True)
        before = server_counters(url)
        code = cli.main(argv)
        after = server_counters(url)
        if code != 0:
            raise BenchError(f"run {run.name}: the harness exited with {code}")
        result: dict[str, Any] = json.loads(report.read_text())
    tex_runs = after["tex_runs"] - before["tex_runs"]
    ok = sum(v for k, v in result["status_counts"].items() if k.startswith("2"))
    cpu_s = after["cpu_s"] - before["cpu_s"]
    measured = not math.isnan(cpu_s)
    means = ((result.get("server") or {}).get("metrics") or {}).get("means") or {}
    result["tex_mean_s"] = next(
        (v for k, v in means.items() if k.startswith("texrender_render_duration_seconds")), None
    )
    result["server_cpu"] = {
        "cpu_s": round(cpu_s, 3) if measured else None,
        "tex_runs": tex_runs,
        "ok": ok,
        "ms_per_tex_run": round(1000 * cpu_s / tex_runs, 2) if tex_runs and measured else None,
        "ms_per_response": round(1000 * cpu_s / ok, 3) if ok and measured else None,
    }
    return result


def floor_cpu_ms(url: str, requests: int = 500) -> float:
    """Server CPU ms of one ``/healthz`` from one keep-alive client: what the HTTP stack costs
    for a request that does nothing, so the price of a refusal can be read as a ratio."""
    with httpx.Client(base_url=url, timeout=10) as client:
        before = server_counters(url)["cpu_s"]
        for _ in range(requests):
            client.get("/healthz").raise_for_status()
        after = server_counters(url)["cpu_s"]
    return round(1000 * (after - before) / requests, 3)


def refusal_cost(
    serve: list[str], template: str, data: Path, render_cpu_ms: float, requests: int = 400
) -> dict[str, Any]:
    """Server CPU ms of one 429, measured alone: a server with one slot and no queue, its slot
    kept busy by a client rendering unique bodies, and a second client sending ``requests``
    unique bodies one after another (all refused but the few that find the slot free, when the
    first client is refused in turn). The TeX runs made meanwhile are taken out at
    ``render_cpu_ms`` each; every 429 of either client is counted."""
    bodies = TemplateBody.build(template, json.loads(data.read_bytes()), unique=True)
    path = f"/v1/render/{template}"
    headers = {"content-type": "application/json"}
    server = Server([*serve, "--slots", "1", "serve", "--queue-max", "0", "--bind", "127.0.0.1:0"])
    stop = threading.Event()
    statuses: collections.Counter[int] = collections.Counter()  # both clients' answers

    def hold_the_slot(url: str) -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            for n in itertools.count():
                if stop.is_set():
                    return
                body = bodies.numbered(f"holder {n}")
                status = client.post(path, content=body, headers=headers).status_code
                if counting.is_set():
                    statuses[status] += 1

    counting = threading.Event()

    try:
        url = server.wait_for_url()
        wait_ready(url)
        holder = threading.Thread(target=hold_the_slot, args=(url,), daemon=True)
        holder.start()
        with httpx.Client(base_url=url, timeout=60) as client:
            while client.get("/readyz").json()["renders_in_flight"] < 1:
                time.sleep(0.01)
            before = server_counters(url)
            counting.set()
            for n in range(requests):
                answer = client.post(path, content=bodies.numbered(f"refused {n}"), headers=headers)
                statuses[answer.status_code] += 1
            counting.clear()
            after = server_counters(url)
        stop.set()
        holder.join(60)
    except BaseException:
        server.kill()
        raise
    server.stop()
    cpu_ms = 1000 * (after["cpu_s"] - before["cpu_s"])
    tex_runs = after["tex_runs"] - before["tex_runs"]
    refused = statuses[429]
    return {
        "requests": requests,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "tex_runs_meanwhile": tex_runs,
        "cpu_ms": round(cpu_ms, 1),
        "cpu_ms_per_429": round((cpu_ms - tex_runs * render_cpu_ms) / refused, 3)
        if refused
        else None,
    }


def render_cpu_ms(report: dict[str, Any], floor_ms: float) -> float | None:
    """Server CPU ms of one cold render in a run, the health probe's share taken out."""
    ok = int(report["server_cpu"]["ok"])
    probes = int((report.get("probe") or {}).get("latency_ms", {}).get("count", 0))
    if not ok or report["server_cpu"]["cpu_s"] is None:
        return None
    return round((1000 * float(report["server_cpu"]["cpu_s"]) - probes * floor_ms) / ok, 3)


def refusal_cpu_ms(report: dict[str, Any], per_render_ms: float, floor_ms: float) -> float | None:
    """Server CPU ms per 429 in an overloaded run, estimated: the run's CPU less its health
    probes (at ``floor_ms`` each) and its renders (at ``per_render_ms``, from the baseline run),
    over its 429s. Measured alone, a refusal is :func:`refusal_cost`."""
    refused = int(report["status_counts"].get("429", 0))
    if not refused or report["server_cpu"]["cpu_s"] is None:
        return None
    probes = int((report.get("probe") or {}).get("latency_ms", {}).get("count", 0))
    rest_ms = 1000 * float(report["server_cpu"]["cpu_s"]) - probes * floor_ms
    rest_ms -= per_render_ms * int(report["server_cpu"]["ok"])
    return round(max(rest_ms, 0.0) / refused, 3)


def run_row(run: Run, report: dict[str, Any], limits: dict[str, Any]) -> dict[str, Any]:
    probe = (report.get("probe") or {}).get("latency_ms") or {}
    errors = {k: v for k, v in report["status_counts"].items() if not k.startswith("2")}
    ok_per_s = report["throughput_ok_per_s"]
    refused = (report.get("latency_by_status_ms") or {}).get("429") or {}
    return {
        "run": run.name,
        "description": run.description,
        "clients": run.clients,
        "unique": run.unique,
        "ok_per_s": ok_per_s,
        # texrender starts from the uncompressed format: its limit is the one to approach
        "of_format_limit": round(
            ok_per_s / limits.get("format_uncompressed", limits["format"])["renders_per_s"], 3
        ),
        "of_plain_limit": round(ok_per_s / limits["plain"]["renders_per_s"], 3),
        "p50_ms": report["latency_ms"]["p50"],
        "p99_ms": report["latency_ms"]["p99"],
        "probe_p50_ms": probe.get("p50"),
        "probe_p99_ms": probe.get("p99"),
        "server_ms_per_tex_run": report["server_cpu"]["ms_per_tex_run"],
        "server_ms_per_response": report["server_cpu"]["ms_per_response"],
        "errors_by_status": errors,
        "refused_p99_ms": refused.get("p99"),
        "server_ms_per_429": report.get("server_ms_per_429"),
        "polite": run.polite,
    }


def speed_figures(results: dict[str, Any]) -> list[str]:
    """The speed figures, each against what it is measured by in this same run."""
    limits, rows = results["machine_limit"], {row["run"]: row for row in results["rows"]}
    fmt, flat = limits["format"], limits.get("format_uncompressed")
    lines = ["", "Speed, against figures of this same run:", ""]
    if flat:
        lines.append(
            f"- TeX CPU per render from the uncompressed format: {flat['cpu_s']:.3f} CPU-s, "
            f"**{flat['cpu_s'] / fmt['cpu_s']:.2f} x** the gzip'd format's {fmt['cpu_s']:.3f} "
            f"(plain: {limits['plain']['cpu_s']:.3f}); machine limit from it "
            f"{flat['renders_per_s']:.2f} renders/s"
        )
    cold = rows.get("a")
    if cold and flat:
        line = (
            f"- cold throughput (run a): {cold['ok_per_s']:.2f}/s = **"
            f"{cold['ok_per_s'] / flat['renders_per_s']:.2f} x** that machine limit"
        )
        base = rows.get("f")
        if base and base["ok_per_s"]:
            line += (
                f", **{cold['ok_per_s'] / base['ok_per_s']:.2f} x** the Starlette + threads "
                f"baseline (run f: {base['ok_per_s']:.2f}/s, p99 {_ms(base['p99_ms'])} ms, "
                f"/healthz p99 {_ms(base['probe_p99_ms'])} ms)"
            )
        lines.append(line)
    cold_ms, hit_ms = results.get("render_cpu_ms"), results.get("cache_hit_cpu_ms")
    floor = results["server"].get("floor_cpu_ms")
    if cold_ms is not None and hit_ms is not None and floor:
        lines.append(
            f"- server CPU, TeX excluded: a cold render {cold_ms:.1f} ms, a cache hit "
            f"{hit_ms:.2f} ms, a /healthz {floor:.2f} ms (the probe's share taken out)"
        )
    low = rows.get("g")
    tex = (results["runs"].get("g") or {}).get("tex_mean_s")
    if low and tex:
        lines.append(
            f"- one client, one render after another (run g): p50 {_ms(low['p50_ms'])} ms "
            f"against {1000 * tex:.0f} ms of TeX wall time per render: "
            f"**{low['p50_ms'] / (1000 * tex):.2f} x**"
        )
    if cold:
        lines.append(f"- /healthz p99 at 2x slots clients (run a): {_ms(cold['probe_p99_ms'])} ms")
    return lines


def overload_targets(results: dict[str, Any]) -> list[str]:
    """Issue 10's overload targets, each as measured in this run against its baseline."""
    rows = {row["run"]: row for row in results["rows"]}
    base, floor = rows.get("a"), results["server"].get("floor_cpu_ms")
    lines = ["", "Overload (64 clients, more than slots and queue hold), against run a:", ""]
    refusal = results.get("refusal") or {}
    if refusal.get("cpu_ms_per_429") is not None and floor:
        per_429 = refusal["cpu_ms_per_429"]
        lines.append(
            f"- one 429, measured alone ({refusal['requests']} requests, one slot kept busy): "
            f"**{per_429:.2f} ms** of server CPU, {per_429 / floor:.2f} x a /healthz "
            f"({floor:.2f} ms, the cheapest request there is); a cold render: "
            f"{results['render_cpu_ms']:.1f} ms"
        )
    for name in ("d", "e"):
        row = rows.get(name)
        if row is None or base is None or not base["ok_per_s"]:
            continue
        cpu = row["server_ms_per_429"]
        cost = "—" if cpu is None else f"{cpu:.2f} ms (estimated under load)"
        manner = "waits as Retry-After asks" if row["polite"] else "asks again at once"
        lines.append(
            f"- run {name} ({manner}): renders/s {row['ok_per_s'] / base['ok_per_s']:.2f} x run a; "
            f"429 p99 {_ms(row['refused_p99_ms'])} ms; server CPU per 429 {cost}; "
            f"/healthz p99 {_ms(row['probe_p99_ms'])} ms (run a: {_ms(base['probe_p99_ms'])} ms)"
        )
    return lines if len(lines) > 3 else []


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def _unicode_line(limits: dict[str, Any], flat: dict[str, Any]) -> list[str]:
    unicode = limits.get("unicode")
    if unicode is None:
        return []
    return [
        f"- the Unicode path (XeLaTeX and Noto fonts, the same document with a Cyrillic name, "
        f"no format): {unicode['cpu_s']:.3f} CPU-s per render, "
        f"**{unicode['cpu_s'] / flat['cpu_s']:.1f} x** the fast path's {flat['cpu_s']:.3f}"
    ]


def markdown(results: dict[str, Any]) -> str:
    machine, limits = results["machine"], results["machine_limit"]
    plain, fmt = limits["plain"], limits["format"]
    flat = limits.get("format_uncompressed", fmt)
    rows = {row["run"]: row for row in results["rows"]}
    lines = [
        "# texrender benchmark",
        "",
        f"- date: {machine['date']}",
        f"- machine: {machine['cpu_model']}, {machine['nproc']} CPUs; {machine['tex_version']}; "
        f"Python {machine['python_version']}",
        f"- server: {results['server']['render_slots']} render slots; template "
        f"`{results['template']}`, {results['duration_s']:g} s per run, health probe on "
        "`/healthz` every 50 ms; the harness runs on the same machine",
        f"- machine limit, plain: bare `pdflatex` takes {plain['cpu_s']:.3f} CPU-s "
        f"(median of {len(plain['cpu_s_samples'])}), {machine['nproc']} ÷ {plain['cpu_s']:.3f}"
        f" = **{plain['renders_per_s']:.2f} renders/s**",
        f"- machine limit, from a format of the preamble: {fmt['cpu_s']:.3f} CPU-s, "
        f"**{fmt['renders_per_s']:.2f} renders/s**; from it uncompressed (the ÷ format limit "
        f"column): {flat['cpu_s']:.3f} CPU-s, **{flat['renders_per_s']:.2f} renders/s**",
        *_unicode_line(limits, flat),
        "",
        "| run | clients | ok/s | ÷ format limit | ÷ plain limit | p50 ms | p99 ms "
        "| /healthz p50 / p99 ms | server CPU ms per TeX run | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in results["rows"]:
        errors = ", ".join(f"{k}: {v}" for k, v in row["errors_by_status"].items()) or "none"
        cpu = row["server_ms_per_tex_run"]
        lines.append(
            f"| {row['run']}: {row['description']} | {row['clients']} | {row['ok_per_s']:.2f} "
            f"| {row['of_format_limit']:.2f} | {row['of_plain_limit']:.2f} "
            f"| {_ms(row['p50_ms'])} | {_ms(row['p99_ms'])} "
            f"| {_ms(row['probe_p50_ms'])} / {_ms(row['probe_p99_ms'])} "
            f"| {'—' if cpu is None else f'{cpu:.1f}'} | {errors} |"
        )
    if "a" in rows and "c" in rows and rows["a"]["ok_per_s"]:
        ratio = rows["c"]["ok_per_s"] / rows["a"]["ok_per_s"]
        lines += ["", f"Cache-friendly throughput ÷ cold throughput (c ÷ a): **{ratio:.1f} times**"]
    lines += speed_figures(results)
    lines += overload_targets(results)
    lines += [
        "",
        "Latency is per request from the client's side (closed loop: from send to last byte).",
        "Server CPU per TeX run is the server process's own CPU time (its TeX children excluded)",
        "divided by the TeX runs it made, from its /metrics.",
        "",
    ]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m loadtest.bench", description=__doc__)
    parser.add_argument(
        "--templates", action="append", type=Path, default=[], help="template dir (repeatable)"
    )
    parser.add_argument("--template", default="resume-classic", help="template to render")
    parser.add_argument("--data", type=Path, help="JSON data (default: the template's sample)")
    parser.add_argument("--duration", type=float, default=25.0, help="seconds per run")
    parser.add_argument("--compiles", type=int, default=7, help="pdflatex runs for the limit")
    parser.add_argument("--slots", type=int, help="render slots (default: the server's own)")
    parser.add_argument("--out", type=Path, default=Path("bench"), help="output directory")
    parser.add_argument("--quiet", action="store_true", help="no live progress")
    return parser


def find_sample(template_dirs: list[Path], template: str) -> Path:
    for directory in [*template_dirs, REPO / "templates"]:
        sample = directory / template / "sample.json"
        if sample.is_file():
            return sample
    raise BenchError(f"no sample.json for {template!r}: pass --data FILE")


def bench(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="texrender-bench-") as tmp:
        return _bench(args, Path(tmp))


def _bench(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    template_flags = [flag for d in args.templates for flag in ("--templates", str(d))]
    data = args.data or find_sample(args.templates, args.template)
    print(f"texrender bench: template {args.template}, data {data}", flush=True)
    machine = machine_info()
    limit = machine_limit(template_flags, args.template, data, args.compiles, workdir)
    print(
        f"machine limit: plain {limit['plain']['cpu_s']:.3f} CPU-s per compile "
        f"-> {limit['plain']['renders_per_s']:.2f} renders/s; from a format "
        f"{limit['format']['cpu_s']:.3f} CPU-s -> {limit['format']['renders_per_s']:.2f}/s; "
        f"uncompressed {limit['format_uncompressed']['cpu_s']:.3f} CPU-s "
        f"-> {limit['format_uncompressed']['renders_per_s']:.2f}/s",
        flush=True,
    )
    # Loopback servers of the bench's own: no keys, stored documents in its scratch directory.
    serve = [str(TEXRENDER), *template_flags, "--auth", "off", "--data-dir", str(workdir / "data")]
    if args.slots:
        serve += ["--slots", str(args.slots)]
    server = Server([*serve, "serve", "--bind", "127.0.0.1:0"])
    try:
        url = server.wait_for_url()
        readyz = wait_ready(url)
        slots = int(readyz["render_slots"])
        floor = floor_cpu_ms(url)
        print(f"server CPU per /healthz (one client): {floor:.3f} ms", flush=True)
        runs = [
            Run("a", "2x slots, unique bodies", 2 * slots, unique=True),
            Run("g", "1 client, unique bodies (low load)", 1, unique=True),
            Run("b", "8x slots, unique bodies (queueing)", 8 * slots, unique=True),
            Run("d", "64 clients, unique, polite (overload)", 64, True, ramp_s=OVERLOAD_RAMP_S),
            Run("e", "64 clients, unique, hostile", 64, True, False, OVERLOAD_RAMP_S),
            Run("c", "16 clients, one body (cache-friendly)", 16, unique=False),
        ]
        reports = {run.name: run_load(url, run, args.template, data, args) for run in runs}
    except BaseException:
        server.kill()
        raise
    server.stop()
    per_render = render_cpu_ms(reports["a"], floor) or 0.0
    for report in reports.values():
        report["server_ms_per_429"] = refusal_cpu_ms(report, per_render, floor)
    print(f"\n== refusal cost: one slot kept busy, {REFUSALS} unique bodies", flush=True)
    refusal = refusal_cost(serve, args.template, data, per_render, REFUSALS)
    print(f"server CPU per 429: {refusal['cpu_ms_per_429']} ms ({refusal['statuses']})")
    baseline_run = Run("f", "baseline: Starlette + threads, plain pdflatex", 2 * slots, True)
    baseline = run_baseline(baseline_run, workdir / "doc.tex", args.template, data, args)
    if baseline is not None:
        runs.append(baseline_run)
        reports["f"] = baseline
    return {
        "machine": machine,
        "machine_limit": limit,
        "template": args.template,
        "data": str(data),
        "duration_s": args.duration,
        "server": {"url": url, "render_slots": slots, "readyz": readyz, "floor_cpu_ms": floor},
        "render_cpu_ms": per_render,
        "cache_hit_cpu_ms": render_cpu_ms(reports["c"], floor),
        "refusal": refusal,
        "rows": [run_row(r, reports[r.name], limit) for r in runs],
        "runs": reports,
    }


def run_baseline(
    run: Run, tex: Path, template: str, data: Path, args: argparse.Namespace
) -> Any | None:
    """The same load against the yardstick service, or None (said why) if it cannot start."""
    try:
        python = baseline_python()
    except BaselineUnavailable as exc:
        print(f"bench: no baseline run: {exc}", file=sys.stderr)
        return None
    server = Server(baseline_argv(python), env=baseline_env(tex))
    try:
        url = server.wait_for_url()
        report = run_load(url, run, template, data, args)
    except BaseException:
        server.kill()
        raise
    server.stop()
    return report


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        results = bench(args)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    table = markdown(results)
    (args.out / "results.md").write_text(table, encoding="utf-8")
    if (missing := matplotlib_missing()) is None:
        first = results["rows"][0]
        title = f"run {first['run']}: {first['description']}, {first['clients']} clients"
        plot_timeline(results["runs"][first["run"]], args.out / "latency.png", title)
    else:
        print(f"bench: no latency.png ({missing})", file=sys.stderr)
    print("\n" + table)
    print(f"wrote {args.out}/results.json, results.md, latency.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
