"""Loaded engines for a long-running service: one zygote pool, open while the service runs,
lent to both engines, with the fast path's zygotes started as soon as their formats are built.

A zygote is a TeX process that has loaded its format and forks a child for each render
(:mod:`rendering.typesetting._zygote`, docs/loaded-engines.md): a render then skips process
start and format load, about a third of pdfTeX's CPU and half of XeTeX's. Until the pool is
open, or when a zygote is not ready, renders start TeX fresh as before, so nothing waits for
it. The Unicode path's zygotes (170 MB each, against 34 for pdfTeX) start on first use only:
memory is spent on the formats that are asked for.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import trio

from .typesetting import FormatStore, PdfLatexEngine, ZygotePool, ZygoteStatistics, build_shim

log = logging.getLogger("texrender")


@dataclass
class Loaded:
    """An engine, the formats it renders from, and whether their zygotes start at once."""

    engine: PdfLatexEngine
    formats: FormatStore
    prestart: bool


@dataclass
class LoadedEngines:
    """The zygote pool of a service (see the module's docstring)."""

    engines: list[Loaded]
    shim_dir: Path  # where the shim is built when none is given (the formats' folder)
    shim: Path | None = None  # a prebuilt shim (the container image's)
    _pool: ZygotePool | None = field(default=None, init=False)

    def statistics(self) -> ZygoteStatistics:
        return self._pool.statistics() if self._pool is not None else ZygoteStatistics()

    async def serve(self) -> None:
        """Open the pool and lend it to the engines until cancelled (renders go on fresh
        after); call once the formats are built. Returns at once, with the reason logged,
        when there is no shim."""
        shim = await self._find_shim()
        if shim is None or not self.engines:
            return
        # Room for every format built, so mixed traffic never evicts a zygote to start another.
        bound = max(1, sum(len(each.formats.ready_formats()) for each in self.engines))
        async with self.engines[0].engine.open_zygotes(shim, bound) as pool:
            self._pool = pool
            for each in self.engines:
                each.engine.zygotes = pool
            try:
                await self._prestart()
                await trio.sleep_forever()
            finally:
                for each in self.engines:
                    each.engine.zygotes = None
                self._pool = None

    async def _find_shim(self) -> Path | None:
        if self.shim is not None:
            if await trio.Path(self.shim).is_file():
                return self.shim
            log.warning("loaded engines off: the shim %s does not exist", self.shim)
            return None
        try:
            built = await trio.to_thread.run_sync(build_shim, self.shim_dir)
        except OSError as exc:  # a read-only or full formats folder: no start-up failure
            reason = f"their shim cannot be written to {self.shim_dir}: {exc}"
        else:
            if built is not None:
                return built
            reason = "their shim cannot be built here (no C compiler?)"
        log.warning("loaded engines off: %s; TeX starts afresh for every render", reason)
        return None

    async def _prestart(self) -> None:
        ready = 0
        for each in self.engines:
            if not each.prestart:
                continue
            for name in each.formats.ready_formats():
                if await each.engine.prestart(name):
                    ready += 1
                else:
                    log.warning("the loaded engine for %s did not start; renders start TeX", name)
        log.info("loaded engines: %d TeX zygote(s) ready", ready)
