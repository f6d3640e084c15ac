// Stored documents: the caller's list, open one, save it back with If-Match so that a write
// made elsewhere meanwhile is never lost without a word (412: reload it or overwrite it).

import { Problem } from "./api.js";

function byId(id) {
  return document.getElementById(id);
}

export class Documents {
  /** `host`: current() -> {template, data, title}; opened(document); say(text, kind). */
  constructor(api, host) {
    this.api = api;
    this.host = host;
    this.open = null; // {id, etag} of the document in the editor
    this.list = byId("doc-list");
    this.state = byId("doc-state");
    this.title = byId("doc-title");
    this.conflict = byId("doc-conflict");
    byId("documents").addEventListener("toggle", (event) => {
      if (event.target.open) this.refresh();
    });
    byId("doc-refresh").addEventListener("click", () => this.refresh());
    byId("doc-save").addEventListener("click", () => this.save());
    byId("doc-save-new").addEventListener("click", () => this.save({ asNew: true }));
    byId("doc-reload").addEventListener("click", () => this.load(this.open.id));
    byId("doc-overwrite").addEventListener("click", () => this.save({ overwrite: true }));
  }

  /** The editor holds something else now (another template's sample, a file). */
  forget() {
    this.open = null;
    this.conflict.hidden = true;
    this.state.textContent = "Not stored yet.";
  }

  async refresh() {
    try {
      const { body } = await this.api.json("GET", "/v1/documents?limit=50");
      const items = body.items.map((item) => {
        const entry = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = item.title || "(untitled)";
        button.addEventListener("click", () => this.load(item.id));
        const about = document.createElement("span");
        about.textContent = ` ${item.template}, revision ${item.revision}, ${item.updated.slice(0, 16).replace("T", " ")}`;
        entry.append(button, about);
        return entry;
      });
      if (!items.length) items.push(Object.assign(document.createElement("li"), { textContent: "None yet." }));
      this.list.replaceChildren(...items);
    } catch (error) {
      this.list.replaceChildren(Object.assign(document.createElement("li"), { textContent: error.message }));
    }
  }

  async load(id) {
    try {
      const { response, body } = await this.api.json("GET", `/v1/documents/${encodeURIComponent(id)}`);
      this.open = { id, etag: response.headers.get("ETag") };
      this.conflict.hidden = true;
      this.title.value = body.title ?? "";
      this.state.textContent = `Opened "${body.title || "(untitled)"}", revision ${body.revision}.`;
      this.host.opened(body);
    } catch (error) {
      this.host.say(error.message, "error");
    }
  }

  async save({ asNew = false, overwrite = false } = {}) {
    const current = this.host.current();
    if (current.data === undefined) {
      this.host.say("Fix the JSON before saving.", "error");
      return;
    }
    const document_ = { template: current.template, data: current.data, title: this.title.value.trim() || null };
    const creating = asNew || !this.open;
    const headers = {};
    if (!creating && !overwrite) headers["If-Match"] = this.open.etag;
    const path = creating ? "/v1/documents" : `/v1/documents/${encodeURIComponent(this.open.id)}`;
    try {
      const { response, body } = await this.api.json(creating ? "POST" : "PUT", path, {
        body: JSON.stringify(document_),
        headers,
      });
      this.open = { id: body.id, etag: response.headers.get("ETag") };
      this.conflict.hidden = true;
      this.state.textContent = `Saved "${body.title || "(untitled)"}", revision ${body.revision}.`;
      this.refresh();
    } catch (error) {
      if (error instanceof Problem && error.status === 412) {
        this.state.textContent = "Changed elsewhere since you opened it: reload it or overwrite it.";
        this.conflict.hidden = false;
        return;
      }
      this.state.textContent = `Not saved: ${error.message}`;
    }
  }
}
