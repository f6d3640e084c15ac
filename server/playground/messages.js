// What the server (or the JSON reader) said about the data, listed beside the editor. A
// message with a JSON Pointer is a button that puts the cursor on that field. Everything is
// set as text: a value the user typed is never read as HTML.

export class Messages {
  /** `editor`: reveal(pointer) selects a field, select(offset) puts the cursor there. */
  constructor(list, editor) {
    this.list = list;
    this.editor = editor;
  }

  clear() {
    this.list.replaceChildren();
  }

  /** items: [{kind: "error"|"warning"|"note", text, pointer?, line?, offset?}] */
  show(items) {
    this.list.replaceChildren(...items.map((item) => this.item(item)));
  }

  item({ kind, pointer, text, line, offset }) {
    const entry = document.createElement("li");
    entry.className = kind;
    const label = document.createElement("span");
    label.className = "kind";
    label.textContent = `${kind}: `;
    entry.append(label);
    if (pointer !== undefined && pointer !== null) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "pointer";
      button.textContent = pointer || "(the whole document)";
      button.title = "Put the cursor on this field";
      button.addEventListener("click", () => this.editor.reveal(pointer));
      entry.append(button, " ");
    }
    if (line && offset !== undefined) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "pointer";
      button.textContent = line;
      button.title = "Put the cursor there";
      button.addEventListener("click", () => this.editor.select(offset));
      entry.append(button, " ");
    } else if (line) {
      const where = document.createElement("span");
      where.className = "where";
      where.textContent = line;
      entry.append(where, " ");
    }
    entry.append(text);
    return entry;
  }
}

/** The messages a problem answer carries: its errors, its warnings, a TeX error's lines. */
export function problemMessages(problem) {
  const body = problem.body;
  const items = [];
  for (const error of body.errors ?? []) items.push({ kind: "error", pointer: error.pointer, text: error.message });
  if (body.tex) {
    const tex = body.tex;
    const at = tex.template ? `${tex.template}, line ${tex.template_line ?? "?"}` : `TeX line ${tex.line ?? "?"}`;
    items.push({ kind: "error", pointer: tex.pointer ?? undefined, line: at, text: `TeX: ${tex.message}` });
    if (tex.context) items.push({ kind: "note", line: "context", text: tex.context });
  }
  if (!items.length) items.push({ kind: "error", text: `${body.title || "Error"}: ${body.detail || problem.message}` });
  for (const warning of body.warnings ?? []) items.push({ kind: "warning", pointer: warning.pointer, text: warning.message });
  return items;
}
