// The rendered pages beside the editor: one render at a time (a newer one aborts the older
// request, which the server sees as a disconnect and stops TeX for), the PDF kept for the
// download, one page shown as a PNG asked for at the resolution it is displayed at, so a
// zoom stays sharp instead of scaling a small picture.

import { Problem, renderWarnings, serverTiming } from "./api.js";
import { countPages } from "./pdfpages.js";

const CSS_DPI = 96;
const DPI_MIN = 24;
const DPI_MAX = 300;
const A4_WIDTH_IN = 8.27; // until the first picture says how wide the page is

function renderPath(template, query = "") {
  return `/v1/render/${encodeURIComponent(template)}${query}`;
}

/** The query's paper part ("" for the usual size for the data, which the server picks). */
function paperParameter(paper, first) {
  return paper ? `${first ? "?" : "&"}paper=${encodeURIComponent(paper)}` : "";
}

export class Preview {
  constructor(api, { image, frame, pageLabel, previous, next, zoom, paper, download }) {
    Object.assign(this, { api, image, frame, pageLabel, previous, next, zoom, paper, download });
    this.page = 1;
    this.pages = 0;
    this.pageWidthIn = A4_WIDTH_IN;
    this.shown = null; // {template, text} of the PDF held
    this.rendering = null;
    this.picturing = null;
    this.onPictureProblem = () => {};
    previous.addEventListener("click", () => this.turn(-1));
    next.addEventListener("click", () => this.turn(1));
    zoom.addEventListener("change", () => this.redraw());
    let width = frame.clientWidth;
    new ResizeObserver(() => {
      if (zoom.value === "fit" && Math.abs(frame.clientWidth - width) > 24) {
        width = frame.clientWidth;
        this.redraw();
      }
    }).observe(frame);
    this.navigation();
  }

  /** Abort whatever is under way (a newer edit makes it useless). */
  cancel() {
    this.rendering?.abort();
    this.picturing?.abort();
  }

  /**
   * Render `text` with `template`: the PDF, then the current page's picture. Resolves to what
   * the server said ({warnings, timing}); rejects with a Problem, or an AbortError when a newer
   * call (or cancel) superseded it.
   */
  async update({ template, text, filename }) {
    this.cancel();
    const controller = new AbortController();
    this.rendering = controller;
    const { signal } = controller;
    const paper = this.paper.value;
    const path = renderPath(template, paperParameter(paper, true));
    const response = await this.api.request("POST", path, { body: text, signal });
    if (!response.ok) throw await Problem.from(response);
    const pdf = await response.arrayBuffer();
    const pages = (await countPages(pdf)) ?? 1;
    signal.throwIfAborted();
    this.shown = { template, text, paper };
    this.pages = pages;
    this.page = Math.min(this.page, pages);
    await this.picture(signal);
    this.keep(pdf, filename);
    return {
      warnings: renderWarnings(response.headers.get("X-Render-Warnings")),
      timing: serverTiming(response.headers.get("Server-Timing")),
    };
  }

  /** The width the page is shown at, in CSS pixels. */
  displayWidth() {
    if (this.zoom.value === "fit") return Math.max(160, this.frame.clientWidth - 24);
    return this.pageWidthIn * CSS_DPI * Number(this.zoom.value);
  }

  dpi() {
    const exact = (this.displayWidth() / this.pageWidthIn) * (window.devicePixelRatio || 1);
    return Math.min(DPI_MAX, Math.max(DPI_MIN, Math.round(exact / 8) * 8));
  }

  /** Fetch and show the current page at the resolution it is displayed at. */
  async picture(outer) {
    this.picturing?.abort();
    const controller = new AbortController();
    this.picturing = controller;
    const signal = outer ? AbortSignal.any([outer, controller.signal]) : controller.signal;
    const { template, text, paper } = this.shown;
    const dpi = this.dpi();
    const query = `?format=png&page=${this.page}&dpi=${dpi}${paperParameter(paper, false)}`;
    const response = await this.api.request("POST", renderPath(template, query), { body: text, signal });
    if (!response.ok) throw await Problem.from(response);
    const url = URL.createObjectURL(await response.blob());
    const loaded = new Image();
    loaded.src = url;
    try {
      await loaded.decode();
      signal.throwIfAborted();
    } catch (error) {
      URL.revokeObjectURL(url);
      throw error;
    }
    const old = this.image.src;
    this.pageWidthIn = loaded.naturalWidth / dpi;
    this.image.src = url;
    this.image.width = Math.round(this.displayWidth());
    this.image.alt = `Page ${this.page} of ${this.pages} of the rendered document`;
    Object.assign(this.image.dataset, { page: this.page, dpi });
    this.image.hidden = false;
    if (old.startsWith("blob:")) URL.revokeObjectURL(old);
    this.navigation();
  }

  /** Show the page again (another page, another zoom): the PDF is cached on the server. */
  redraw() {
    if (!this.shown) return;
    this.picture().catch((error) => {
      if (error.name !== "AbortError") this.onPictureProblem(error);
    });
  }

  turn(step) {
    const page = Math.min(this.pages, Math.max(1, this.page + step));
    if (page === this.page) return;
    this.page = page;
    this.navigation();
    this.redraw();
  }

  navigation() {
    this.pageLabel.textContent = this.pages ? `Page ${this.page} of ${this.pages}` : "No pages yet";
    this.previous.disabled = this.page <= 1;
    this.next.disabled = this.page >= this.pages;
  }

  /** The PDF behind the download link, named after the person. */
  keep(pdf, filename) {
    const old = this.download.href;
    this.download.href = URL.createObjectURL(new Blob([pdf], { type: "application/pdf" }));
    this.download.download = filename;
    this.download.removeAttribute("aria-disabled");
    if (old.startsWith("blob:")) URL.revokeObjectURL(old);
  }
}
