// Talking to texrender as any client does: the API key (kept in this tab's session storage
// only) on every request, problem documents read, Server-Timing and X-Render-Warnings parsed,
// and the same request written out as a curl command.

const KEY_ITEM = "texrender.key";

export class Api {
  constructor() {
    this.key = sessionStorage.getItem(KEY_ITEM) ?? "";
    this.authOn = null; // unknown until the server says (a 401, or a key ignored)
  }

  setKey(key) {
    this.key = key.trim();
    if (this.key) sessionStorage.setItem(KEY_ITEM, this.key);
    else sessionStorage.removeItem(KEY_ITEM);
  }

  headers(extra = {}) {
    const headers = { ...extra };
    if (this.key) headers.Authorization = `Bearer ${this.key}`;
    return headers;
  }

  /** fetch() with the key; what the answer says of auth is noted. */
  async request(method, path, { body, signal, headers = {} } = {}) {
    const options = { method, headers: this.headers(headers), signal, cache: "no-store" };
    if (body !== undefined) {
      options.body = body;
      options.headers["Content-Type"] ??= "application/json";
    }
    const response = await fetch(path, options);
    if (response.status === 401) this.authOn = true;
    else if (response.headers.has("Texrender-Warning")) this.authOn = false;
    return response;
  }

  async json(method, path, options) {
    const response = await this.request(method, path, options);
    if (!response.ok) throw await Problem.from(response);
    return { response, body: await response.json() };
  }
}

/** An RFC 9457 problem answer, as an Error. */
export class Problem extends Error {
  constructor(status, body, response) {
    super(body.detail || body.title || `HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.retryAfter = Number(response?.headers.get("Retry-After")) || null;
  }

  static async from(response) {
    let body = {};
    try {
      body = await response.json();
    } catch {
      body = { title: response.statusText };
    }
    return new Problem(response.status, body, response);
  }

  get type() {
    return (this.body.type || "").replace("/problems/", "");
  }
}

/** Server-Timing as [{name, ms, desc}]. */
export function serverTiming(header) {
  if (!header) return [];
  return header.split(",").map((part) => {
    const [name, ...params] = part.trim().split(";");
    const entry = { name: name.trim(), ms: null, desc: null };
    for (const param of params) {
      const [key, raw = ""] = param.trim().split("=");
      const value = raw.replace(/^"|"$/g, "");
      if (key === "dur") entry.ms = Number(value);
      if (key === "desc") entry.desc = value;
    }
    return entry;
  });
}

/** X-Render-Warnings as {count, warnings: [{pointer, message}]}. */
export function renderWarnings(header) {
  if (!header) return { count: 0, warnings: [] };
  try {
    return JSON.parse(header);
  } catch {
    return { count: 0, warnings: [] };
  }
}

function quoted(text) {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** The curl command that sends exactly this data to this server, as this page does. */
export function curlCommand({ origin, template, text, key, filename, paper = "" }) {
  const lines = ["curl -X POST -H 'Content-Type: application/json'"];
  if (key) lines.push(`-H ${quoted(`Authorization: Bearer ${key}`)}`);
  lines.push(`--data-binary ${quoted(text)}`);
  const query = paper ? `?paper=${encodeURIComponent(paper)}` : "";
  const url = `${origin}/v1/render/${encodeURIComponent(template)}${query}`;
  lines.push(`${quoted(url)} -o ${quoted(filename)}`);
  return lines.join(" \\\n     ");
}
