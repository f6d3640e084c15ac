// The playground page: pick a template, edit its data, watch the pages. This file wires the
// parts together and decides when to render: after a short pause in typing, never for text
// that is not JSON, and a newer edit always supersedes (aborts) an older render.

import { Api, Problem, curlCommand } from "./api.js";
import { Documents } from "./documents.js";
import { JsonEditor } from "./editor.js";
import { Messages, problemMessages } from "./messages.js";
import { Preview } from "./preview.js";
import { TemplatePicker } from "./templates.js";

const PAUSE_MS = 300;
const $ = (id) => document.getElementById(id);

const api = new Api();
const editor = new JsonEditor($("editor"));
const messages = new Messages($("messages"), editor);
const preview = new Preview(api, {
  image: $("page"),
  frame: $("pages"),
  pageLabel: $("page-label"),
  previous: $("page-previous"),
  next: $("page-next"),
  zoom: $("zoom"),
  paper: $("paper"),
  download: $("download"),
});
const picker = new TemplatePicker(api, $("templates"), (name) => choose(name));
const documents = new Documents(api, {
  current: () => ({ template: picker.value, data: editor.read().value }),
  opened: (document_) => {
    picker.value = document_.template;
    setText(JSON.stringify(document_.data, null, 2), { keepDocument: true });
    render();
  },
  say: (text, kind) => messages.show([{ kind, text }]),
});

const samples = new Map();
let loadedText = null; // the text as last loaded: the editor is unedited while it is equal
let editedAt = performance.now(); // when the change now being rendered was made
let version = 0; // bumped by every change: an answer for an older one is dropped
let timer = null;

function status(text, state) {
  const line = $("status");
  line.textContent = text;
  line.dataset.state = state;
}

function filenameFor(data, template) {
  const name = data?.basics?.name ?? data?.sender?.name ?? data?.name;
  const base = typeof name === "string" ? name.replace(/[^\p{L}\p{N}]+/gu, "-").replace(/^-+|-+$/g, "") : "";
  return `${base || template}.pdf`;
}

function showSyntax(error) {
  const where = `line ${error.line}, column ${error.column}`;
  messages.show([{ kind: "error", line: where, offset: error.offset, text: error.message }]);
  status(`Not valid JSON at ${where}: ${error.message}`, "invalid-json");
}

function updateCurl() {
  const { value, error } = editor.result;
  const template = picker.value;
  if (error || !template) return;
  $("curl").textContent = curlCommand({
    origin: location.origin,
    template,
    text: editor.text,
    key: api.authOn === false ? "" : api.key,
    filename: filenameFor(value, template),
    paper: $("paper").value,
  });
}

function showTimings(timing, tookMs) {
  const rows = [["edit → preview", tookMs]];
  for (const entry of timing) {
    if (entry.ms !== null) rows.push([entry.name, entry.ms]);
    else if (entry.desc) rows.push([entry.name, entry.desc]);
  }
  const pairs = rows.map(([name, value]) => {
    const pair = document.createElement("div");
    const term = document.createElement("dt");
    term.textContent = name;
    const detail = document.createElement("dd");
    detail.textContent = typeof value === "number" ? `${Math.round(value)} ms` : value;
    pair.append(term, detail);
    return pair;
  });
  $("timings").replaceChildren(...pairs);
}

function showAuth() {
  const note = $("auth-note");
  if (api.authOn && !api.key) {
    note.textContent = "This server needs an API key: paste one in the API key field above (an operator makes one with `texrender keys create NAME`).";
  } else if (api.authOn) {
    note.textContent = "The server refused this API key (unknown or revoked): paste another one.";
  } else if (api.authOn === false && api.key) {
    note.textContent = "API keys are off on this server: the key is ignored and not needed.";
  } else {
    note.hidden = true;
    return;
  }
  note.hidden = false;
}

async function fullWarnings(template, text, shown) {
  if (shown.count <= shown.warnings.length) return shown.warnings;
  try {
    const { body } = await api.json("POST", `/v1/validate/${encodeURIComponent(template)}`, { body: text });
    return body.warnings;
  } catch {
    return shown.warnings;
  }
}

function failed(error, mine) {
  if (error.name === "AbortError" || mine !== version) return;
  showAuth();
  if (!(error instanceof Problem)) {
    status(`The server cannot be reached: ${error.message}`, "error");
    return;
  }
  messages.show(problemMessages(error));
  if (error.status === 401) {
    status("An API key is needed.", "unauthorized");
  } else if (error.retryAfter && (error.status === 429 || error.status === 503)) {
    status(`The server is busy: trying again in ${error.retryAfter} s.`, "busy");
    timer = setTimeout(render, error.retryAfter * 1000);
  } else {
    status(error.body.title || error.message, "problem");
  }
}

/** Render the editor's data now (the pause is over, or a template was picked). */
async function render() {
  clearTimeout(timer);
  const template = picker.value;
  const { error, value } = editor.read();
  if (!template) return;
  if (error) {
    showSyntax(error);
    return;
  }
  const mine = ++version;
  const text = editor.text;
  status("Rendering…", "rendering");
  try {
    const answer = await preview.update({ template, text, filename: filenameFor(value, template) });
    const took = performance.now() - editedAt;
    const warnings = await fullWarnings(template, text, answer.warnings);
    if (mine !== version) return;
    showAuth();
    messages.show(warnings.map((w) => ({ kind: "warning", pointer: w.pointer, text: w.message })));
    showTimings(answer.timing, took);
    $("status").dataset.editToPreviewMs = took.toFixed(1);
    status(`Up to date: ${Math.round(took)} ms from the change to this preview.`, "ready");
    updateCurl();
  } catch (error_) {
    failed(error_, mine);
  }
}

/** At each input event: what was under way is out of date. */
function changing(event) {
  editedAt = event.timeStamp;
  version += 1;
  preview.cancel();
  clearTimeout(timer);
  status("Waiting for a pause in typing…", "waiting");
}

/** Once the changed text is read: its syntax error, or a render after the pause. */
function edited({ error }) {
  clearTimeout(timer);
  if (error) {
    showSyntax(error);
    return;
  }
  updateCurl();
  timer = setTimeout(render, PAUSE_MS);
}

function setText(text, { keepDocument = false } = {}) {
  editor.text = text;
  loadedText = text;
  editedAt = performance.now();
  version += 1;
  if (!keepDocument) documents.forget();
  updateCurl();
}

async function sampleOf(name) {
  if (!samples.has(name)) {
    const { body } = await api.json("GET", `/v1/templates/${encodeURIComponent(name)}`);
    samples.set(name, JSON.stringify(body.sample, null, 2));
  }
  return samples.get(name);
}

async function useSample() {
  const name = picker.value;
  status(`Loading the sample of ${name}…`, "rendering");
  try {
    setText(await sampleOf(name));
    await render();
  } catch (error) {
    failed(error, version);
  }
}

async function choose(name) {
  status(`Loading ${name}…`, "rendering");
  history.replaceState(null, "", `#${encodeURIComponent(name)}`);
  $("load-sample").textContent = `Use the sample of ${name}`;
  const unedited = editor.text.trim() === "" || editor.text === loadedText;
  if (unedited) {
    await useSample();
  } else {
    editedAt = performance.now();
    messages.show([{ kind: "note", text: `Your data is kept for ${name}; "Use the sample" loads its own.` }]);
    await render();
  }
}

async function loadTemplates() {
  try {
    const { body } = await api.json("GET", "/v1/templates");
    showAuth();
    picker.show(body.templates);
    const names = body.templates.map((template) => template.name);
    const wanted = decodeURIComponent(location.hash.slice(1));
    const first = [wanted, "resume-classic", names[0]].find((name) => names.includes(name));
    if (first) {
      picker.value = first;
      await choose(first);
    }
  } catch (error) {
    failed(error, version);
  }
}

async function openFile(file) {
  if (!file) return;
  try {
    setText(await file.text());
    editor.refresh();
    await render();
  } catch (error) {
    status(`Could not read ${file.name}: ${error.message}`, "error");
  }
}

async function copyCurl() {
  const box = $("curl-box");
  try {
    await navigator.clipboard.writeText($("curl").textContent);
    $("copy-note").textContent = "Copied.";
  } catch {
    box.open = true;
    getSelection().selectAllChildren($("curl"));
    $("copy-note").textContent = "Selected: press Ctrl+C (⌘C) to copy.";
  }
}

editor.onInput(changing);
editor.onEdit(edited);
$("load-sample").addEventListener("click", useSample);
$("open-file").addEventListener("click", () => $("file").click());
$("file").addEventListener("change", (event) => openFile(event.target.files[0]));
$("editor").addEventListener("dragover", (event) => {
  if (event.dataTransfer.types.includes("Files")) event.preventDefault();
});
$("editor").addEventListener("drop", (event) => {
  if (!event.dataTransfer.files.length) return;
  event.preventDefault();
  openFile(event.dataTransfer.files[0]);
});
$("copy-curl").addEventListener("click", copyCurl);
$("paper").addEventListener("change", () => {
  if (picker.value) render();
});
preview.onPictureProblem = (error) => failed(error, version);
$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  api.setKey($("key").value);
  api.authOn = null;
  if (picker.value) render();
  else loadTemplates();
});
$("forget-key").addEventListener("click", () => {
  api.setKey("");
  $("key").value = "";
  showAuth();
});
$("key").value = api.key;
loadTemplates();
