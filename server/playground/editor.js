// The JSON editor: a plain <textarea> (native editing, undo, input methods, screen readers,
// Tab leaves it) with a coloured copy of its text drawn underneath, line numbers, the bracket
// pair at the cursor and the line of a syntax error marked. Text is only ever set as text.
// The text is read again once a frame, however many input events came (a paste of many lines
// can bring hundreds at once); listeners of onInput hear each event at once, cheaply.

import { placeOf, scan } from "./jsonmap.js";

const BRACKETS = "{}[]";

export class JsonEditor {
  constructor(root) {
    this.area = root.querySelector("textarea");
    this.code = root.querySelector(".highlight code");
    this.layer = root.querySelector(".highlight");
    this.gutter = root.querySelector(".gutter");
    this.result = scan("");
    this.lines = 0;
    this.inputListeners = [];
    this.listeners = [];
    this.frame = null;
    this.area.addEventListener("input", (event) => {
      for (const listener of this.inputListeners) listener(event);
      this.frame ??= requestAnimationFrame(() => this.flush());
    });
    this.area.addEventListener("scroll", () => this.follow());
    for (const name of ["keyup", "click", "select", "focus", "blur"]) {
      this.area.addEventListener(name, () => this.paint());
    }
    document.addEventListener("selectionchange", () => {
      if (document.activeElement === this.area) this.paint();
    });
  }

  get text() {
    return this.area.value;
  }

  /** Replace the whole text (a sample, a file, a stored document). */
  set text(value) {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.frame = null;
    this.area.value = value;
    this.area.setSelectionRange(0, 0);
    this.area.scrollTop = 0;
    this.refresh();
  }

  /** `listener(event)` at each input event, before the text is read again. */
  onInput(listener) {
    this.inputListeners.push(listener);
  }

  /** `listener(result)` once the changed text has been read again. */
  onEdit(listener) {
    this.listeners.push(listener);
  }

  /** The text as read now (read again first if a change is still waiting for its frame). */
  read() {
    if (this.frame !== null) {
      cancelAnimationFrame(this.frame);
      this.flush();
    }
    return this.result;
  }

  flush() {
    this.frame = null;
    const result = this.refresh();
    for (const listener of this.listeners) listener(result);
  }

  /** Read the text again: colours, brackets, the error mark and the line numbers. */
  refresh() {
    this.result = scan(this.area.value);
    this.area.setAttribute("aria-invalid", this.result.error ? "true" : "false");
    this.paint();
    return this.result;
  }

  /** Select the value a JSON Pointer names (or its nearest ancestor): true if found exactly. */
  reveal(pointer) {
    const place = placeOf(this.result.places, pointer);
    if (!place) return false;
    this.select(place.exact ? place.start : place.keyStart, place.exact ? place.end : place.keyStart + 1);
    return place.exact;
  }

  select(start, end = start) {
    this.area.focus();
    this.area.setSelectionRange(start, end);
    const line = this.area.value.slice(0, start).split("\n").length;
    const height = parseFloat(getComputedStyle(this.area).lineHeight) || 20;
    const top = (line - 1) * height;
    if (top < this.area.scrollTop || top > this.area.scrollTop + this.area.clientHeight - 2 * height) {
      this.area.scrollTop = Math.max(0, top - this.area.clientHeight / 3);
    }
    this.paint();
  }

  follow() {
    this.layer.scrollTop = this.area.scrollTop;
    this.layer.scrollLeft = this.area.scrollLeft;
    this.gutter.scrollTop = this.area.scrollTop;
  }

  matchedBrackets() {
    const text = this.area.value;
    const caret = this.area.selectionStart;
    if (document.activeElement !== this.area || caret !== this.area.selectionEnd) return [];
    for (const at of [caret - 1, caret]) {
      if (at >= 0 && BRACKETS.includes(text[at] ?? "") && this.result.pairs.has(at)) {
        return [at, this.result.pairs.get(at)];
      }
    }
    return [];
  }

  paint() {
    const text = this.area.value;
    const { tokens, error } = this.result;
    const matched = new Set(this.matchedBrackets());
    const fragment = document.createDocumentFragment();
    let at = 0;
    const plain = (end) => {
      if (end > at) fragment.append(text.slice(at, end));
      at = Math.max(at, end);
    };
    const span = (start, end, className) => {
      const element = document.createElement("span");
      element.className = className;
      element.textContent = text.slice(start, end);
      fragment.append(element);
      at = end;
    };
    for (const token of tokens) {
      if (error && token.start >= error.offset) break;
      plain(token.start);
      const classes = [`tok-${token.kind}`];
      if (matched.has(token.start)) classes.push("match");
      span(token.start, token.end, classes.join(" "));
    }
    if (error) {
      plain(error.offset);
      const end = Math.min(text.length, error.offset + 1);
      const mark = document.createElement("span");
      mark.className = "tok-error";
      // At the end of the text, a space to mark; a line break stays outside the mark.
      mark.textContent = end > error.offset && text[error.offset] !== "\n" ? text.slice(error.offset, end) : " ";
      fragment.append(mark);
      at = end > error.offset && text[error.offset] !== "\n" ? end : error.offset;
    }
    plain(text.length);
    fragment.append("\n");
    this.code.replaceChildren(fragment);
    this.number(text.split("\n").length, error ? error.line : null);
    this.follow();
  }

  number(count, errorLine) {
    if (count !== this.lines) {
      const rows = [];
      for (let n = 1; n <= count; n += 1) {
        const row = document.createElement("span");
        row.textContent = String(n);
        rows.push(row);
      }
      this.gutter.replaceChildren(...rows);
      this.lines = count;
    }
    for (const row of this.gutter.querySelectorAll(".error-line")) row.classList.remove("error-line");
    if (errorLine !== null) this.gutter.children[errorLine - 1]?.classList.add("error-line");
  }
}
