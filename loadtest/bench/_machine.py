"""The machine limit: the benchmark document's TeX compiled by bare ``pdflatex`` a few times,
plainly and from a format of its preamble (gzip'd as web2c writes it, and uncompressed as
texrender starts from it), and for a document in each of four other scripts (Cyrillic, Greek,
CJK, Arabic) on the path texrender takes for it: the fast path's pdfLaTeX for Cyrillic and Greek
where the machine has their fonts (T2A, LGR), else XeLaTeX as the Unicode path fills it. The
median CPU seconds
of one compile (the child's own rusage) gives ``nproc / cpu_s`` renders per second: what the
cores could do with nothing else running.
"""

from __future__ import annotations

import datetime
import gzip
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from ..drive import TEXRENDER
from ._errors import BenchError


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


def tex_env(executable: str) -> dict[str, str]:
    """The environment texrender gives TeX where it changes TeX's cost (rendering's sandbox
    sets the same): a hash table sized for a render, and huge pages for pdfTeX. The limit is
    then what TeX costs as texrender runs it."""
    env = {**os.environ, "hash_extra": "100000", **fast_path_fonts()}
    if Path(executable).name.startswith("pdf"):
        env["GLIBC_TUNABLES"] = "glibc.malloc.hugetlb=1"
    return env


def fast_path_fonts() -> dict[str, str]:
    """Where texrender made the Cyrillic fonts' metrics (``tfm/`` in its formats' folder: the
    server's TEXRENDER_FORMAT_DIR or its default), as its sandbox tells TeX; and no METAFONT
    run, as there (a missing font fails the bench instead of being made in the home folder)."""
    folder = os.environ.get("TEXRENDER_FORMAT_DIR") or os.path.join(
        tempfile.gettempdir(), f"texrender-formats-{os.geteuid()}"
    )
    return {"TFMFONTS": f"{folder}/tfm:", "MKTEXTFM": "0", "MKTEXPK": "0", "MKTEXMF": "0"}


def compile_cpu_seconds(argv: list[str], workdir: Path) -> float:
    """CPU seconds (user + system) of one TeX run, from the child's rusage.

    Raises: BenchError if the run fails.
    """
    process = subprocess.Popen(
        argv,
        cwd=workdir,
        env=tex_env(argv[0]),
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
    found: dict[str, Any] = {
        "nproc": nproc,
        "plain": _limit(plain_samples, nproc),
        "format": _limit(packed_samples, nproc),
        "format_uncompressed": _limit(flat_samples, nproc),
    }
    scripts = unicode_samples(template_flags, template, data, compiles, workdir)
    on_the_unicode_path = [name for name in scripts if not name.endswith(FAST_PATH_MARK)]
    if on_the_unicode_path:
        found["unicode"] = _limit(scripts[on_the_unicode_path[0]], nproc)
    if scripts:
        found["unicode_scripts"] = {name: _limit(got, nproc) for name, got in scripts.items()}
    return found


# Names in scripts T1 cannot set: the same document in four scripts, each on the path texrender
# takes for it (a script the fast path sets is named with FAST_PATH_MARK in the results).
UNICODE_NAMES = {
    "cyrillic": "Дмитрий Иванов",
    "greek": "Γιώργος Παπαδόπουλος",
    "chinese": "王小明",
    "arabic": "محمد علي",
}


FAST_PATH_MARK = " (fast path)"


def unicode_samples(
    template_flags: list[str], template: str, data: Path, compiles: int, workdir: Path
) -> dict[str, list[float]]:
    """CPU seconds of bare TeX runs of the same document with a name in each of
    :data:`UNICODE_NAMES`' scripts, as texrender fills it: by XeLaTeX from the Unicode path's
    format (uncompressed, as texrender keeps it: one per template, whatever the script), or, for
    a script the fast path sets, by pdfLaTeX from the fast path's (``flat.fmt``, made by
    :func:`machine_limit`), taking turns; empty without XeLaTeX."""
    xelatex, pdflatex = shutil.which("xelatex"), shutil.which("pdflatex")
    if xelatex is None or pdflatex is None:
        return {}
    document = json.loads(data.read_text(encoding="utf-8"))
    if not isinstance(document.get("basics"), dict):
        return {}
    unicode_path = []
    for script, name in UNICODE_NAMES.items():
        document["basics"]["name"] = name
        (workdir / f"{script}.json").write_text(json.dumps(document), encoding="utf-8")
        filled_tex(template_flags, template, workdir / f"{script}.json", workdir / f"{script}.tex")
        # The Unicode path's fonts are XeTeX's TU encoding, which the fast path never uses.
        if "{TU}" in (workdir / f"{script}.tex").read_text(encoding="utf-8"):
            unicode_path.append(script)
    if unicode_path:
        dump = [xelatex, "-ini", "-interaction=batchmode", "-halt-on-error", "-jobname=unicode"]
        compile_cpu_seconds(
            [*dump, "&xelatex", "mylatexformat.ltx", f"{unicode_path[0]}.tex"], workdir
        )
        with gzip.open(workdir / "unicode.fmt", "rb") as packed:
            (workdir / "uniflat.fmt").write_bytes(packed.read())
    found: dict[str, list[float]] = {script: [] for script in UNICODE_NAMES}
    for _ in range(compiles):
        for script in UNICODE_NAMES:
            if script in unicode_path:
                argv = [xelatex, "-fmt=uniflat", "-interaction=batchmode", "-halt-on-error"]
            else:
                argv = [pdflatex, "-fmt=flat", "-interaction=batchmode", "-halt-on-error"]
            found[script].append(compile_cpu_seconds([*argv, f"{script}.tex"], workdir))
    return {
        script if script in unicode_path else script + FAST_PATH_MARK: got
        for script, got in found.items()
    }
