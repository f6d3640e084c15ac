"""``bench/results.md``: the machine, its limits, one row per run, the speed and overload
figures, each against what it is measured by in this same run, and fair sharing between keys
(also alone: ``fairness.md``)."""

from __future__ import annotations

from typing import Any


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
    lines += _served_tex(results, cold)
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


def _served_tex(results: dict[str, Any], cold: dict[str, Any] | None) -> list[str]:
    """TeX CPU per render as the server ran it (loaded engines or not), by script, and the cold
    throughput against the limit that TeX makes."""
    served = results.get("tex_in_server")
    if not served:
        return []
    cpu, ratio = served["cpu_s"], served["of_fast"]
    how = (
        f"{served['forked']:.0f} of {served['forked'] + served['declined']:.0f} TeX runs forked "
        "from loaded engines"
        if served["forked"]
        else "TeX started afresh for each (loaded engines off)"
    )
    each = ", ".join(
        f"{case} {cpu[case]:.3f} (**{ratio[case]:.2f} x**)" for case in cpu if case != "fast"
    )
    lines = [
        f"- TeX CPU per render as the server runs it ({served['renders']} of each, one at a "
        f"time, medians; {how}): fast path {cpu['fast']:.3f} CPU-s; other scripts and x the "
        f"fast path: {each}"
    ]
    nproc = results["machine"]["nproc"]
    if cold and cpu["fast"]:
        limit = nproc / cpu["fast"]
        lines.append(
            f"- the server's TeX limit: {nproc} ÷ {cpu['fast']:.3f} = {limit:.2f} renders/s; "
            f"cold throughput (run a) ÷ it: **{cold['ok_per_s'] / limit:.2f} x**"
        )
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
    hostile, yardstick = rows.get("e"), rows.get("h")
    if hostile and yardstick and yardstick["ok_per_s"]:
        lines.append(
            f"- run e against run h ({yardstick['clients']} clients, nothing refused: "
            f"{yardstick['ok_per_s']:.2f} renders/s, /healthz p99 "
            f"{_ms(yardstick['probe_p99_ms'])} ms): good renders/s "
            f"**{hostile['ok_per_s'] / yardstick['ok_per_s']:.2f} x** (target ≥ 0.9), /healthz "
            f"p99 **{_ms(hostile['probe_p99_ms'])} ms** (target ≤ 25)"
        )
    harness = results.get("harness") or {}
    if harness.get("niced"):
        restored = (
            f"the servers and the health probes at {harness['server_and_probe_niceness']}"
            if harness["restored"]
            else "the servers and probes could not be given their priority back (niced too)"
        )
        lines.append(
            f"- the load generator ran at niceness {harness['load_generator_niceness']}, "
            f"{restored}: its own CPU yields to the server's"
        )
    return lines if len(lines) > 3 else []


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in counts.items()) or "none"


def fairness_section(fairness: dict[str, Any]) -> list[str]:
    """Issue 20's figures: the probe key idle and under another key's flood, from one run."""
    plan, idle, flooded, flood = (
        fairness["plan"], fairness["idle"], fairness["flooded"], fairness["flood"]
    )  # fmt: skip
    flags = " ".join(fairness["server"].get("serve_flags") or [])
    lines = [
        "",
        "## Fair sharing between keys",
        "",
        f"One `texrender serve` with auth on and two keys (two owners), "
        f"{fairness['server']['render_slots']} render slots"
        + (f", `{flags}`" if flags else "")
        + f"; template `{fairness['template']}`. The probe key renders {plan['renders']} unique "
        "bodies one after another (one client, in a process of its own), first alone (idle), "
        f"then while the flood key's {plan['flood_clients']} clients loop as fast as they can "
        "on unique bodies, asking again at once after a 429 (hostile; the probe starts once "
        f"they have run {plan['settle_s']:g} s). Both rounds are from the same run, against "
        "the same server.",
        "",
        "| probe key | renders | ok | p50 ms | p99 ms | max ms | wait for a slot p50 / max ms "
        "| statuses |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, phase in (("idle", idle), (f"flooded ({plan['flood_clients']} clients)", flooded)):
        latency, queue = phase["latency_ms"], phase["queue_ms"]
        lines.append(
            f"| {name} | {phase['sent']} | {phase['ok']} | {_ms(latency['p50'])} "
            f"| {_ms(latency['p99'])} | {_ms(latency['max'])} "
            f"| {_ms(queue['p50'])} / {_ms(queue['max'])} | {_counts(phase['status_counts'])} |"
        )
    render_ms, ratio = fairness["render_ms"], fairness["ratio"]
    met = "**met**" if fairness["met"] else "**missed**"
    lines += [
        "",
        f"- one render time: {_ms(render_ms)} ms, the median `Server-Timing: tex` of the idle "
        "renders (the server's TeX wall time; its /metrics mean: "
        f"{_ms(fairness.get('tex_mean_ms_metrics'))} ms)",
    ]
    if ratio is None:
        lines.append("- flooded p99 ÷ (idle p99 + one render time): — (no figure to divide)")
    else:
        lines.append(
            f"- flooded p99 ÷ (idle p99 + one render time) = {_ms(flooded['latency_ms']['p99'])}"
            f" ÷ ({_ms(idle['latency_ms']['p99'])} + {_ms(render_ms)}) = **{ratio:.2f}** "
            f"(target ≤ {fairness['target_ratio']:g})"
        )
    lines += [
        f"- the probe key's 429s under the flood: **{fairness['probe_429']}** (target 0); "
        f"renders it did not get: {fairness['probe_not_rendered']}; target {met}",
        f"- the flood: {flood['ok_per_s']:.2f} renders/s over {flood['window_s']:.1f} s "
        f"({flood['ok']} renders of {flood['sent']} requests); its 429s by problem type: "
        f"{_counts(flood['refused_by_type'])}; all its statuses: "
        f"{_counts(flood['status_counts'])} (`unfinished`: cut off when the probe was done)",
    ]
    return lines


def fairness_markdown(results: dict[str, Any]) -> str:
    """``fairness.md``: the fairness step alone (``--only fairness``), with its machine."""
    machine = results["machine"]
    lines = [
        "# texrender benchmark: fair sharing",
        "",
        f"- date: {machine['date']}",
        f"- machine: {machine['cpu_model']}, {machine['nproc']} CPUs; {machine['tex_version']}; "
        f"Python {machine['python_version']}",
        f"- the step took {results['fairness']['elapsed_s']:.0f} s; the harness runs on the "
        "same machine",
        *fairness_section(results["fairness"]),
        "",
    ]
    return "\n".join(lines)


def cluster_section(cluster: dict[str, Any]) -> list[str]:
    """Many instances behind HAProxy: the table of runs, and what it says."""
    plan = cluster["plan"]
    lines = [
        "",
        "## Many instances behind HAProxy",
        "",
        f"One Redis; one instance alone ({cluster['lone_instance_slots']} render slots) and three "
        f"more ({plan['instance_slots']} slot each), all on this machine; HAProxy from "
        f"`{cluster['haproxy_config']}`. {plan['clients']} closed-loop clients, "
        f"{plan['duration_s']:g} s a run, each run made {plan.get('rounds', 1)} times in turn "
        f"with the others of its group and merged; template `{cluster['template']}`.",
        "",
        "| run | renders/s | each round | p50 ms | p99 ms | errors | answered from a cache "
        "| from Redis (another instance) | TeX runs |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for row in cluster["rows"]:
        errors = {k: v for k, v in row["status_counts"].items() if k != "200"}
        shown = ", ".join(f"{k}: {v}" for k, v in errors.items()) or "none"
        ratio = row["cache_hit_ratio"] or 0.0
        cross = row["cross_instance_hit_ratio"] or 0.0
        rounds = " / ".join(f"{r:.1f}" for r in row.get("rounds_renders_per_s", []))
        lines.append(
            f"| {row['run']} | {row['renders_per_s']:.2f} | {rounds or '—'} "
            f"| {_ms(row['latency_ms']['p50'])} "
            f"| {_ms(row['latency_ms']['p99'])} | {shown} | {ratio:.0%} | {cross:.0%} "
            f"| {row['tex_runs']} |"
        )
    return lines


def cluster_markdown(results: dict[str, Any]) -> str:
    """``cluster.md``: the cluster step alone (``--only cluster``)."""
    machine = results["machine"]
    lines = [
        "# texrender benchmark: many instances behind HAProxy",
        "",
        f"- date: {machine['date']}",
        f"- machine: {machine['cpu_model']}, {machine['nproc']} CPUs; {machine['tex_version']}; "
        f"Python {machine['python_version']}",
        f"- the step took {results['cluster']['elapsed_s']:.0f} s; the harness runs on the "
        "same machine",
        *cluster_section(results["cluster"]),
        "",
    ]
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def _unicode_line(limits: dict[str, Any], flat: dict[str, Any]) -> list[str]:
    scripts = limits.get("unicode_scripts")
    if scripts is None:
        return []
    each = ", ".join(
        f"{script} {got['cpu_s']:.3f} (**{got['cpu_s'] / flat['cpu_s']:.2f} x**)"
        for script, got in scripts.items()
    )
    return [
        f"- another script (the same document with a name in it), on the Unicode path (XeLaTeX "
        f"and Noto fonts from its format) unless marked fast path (pdfLaTeX: T2A, LGR), CPU-s "
        f"per render and x the Latin fast path's {flat['cpu_s']:.3f}: {each}"
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
    ]
    if results.get("fairness"):
        lines += fairness_section(results["fairness"])
    if results.get("cluster"):
        lines += cluster_section(results["cluster"])
    return "\n".join([*lines, ""])
