// A strict JSON reader that remembers where everything is, for the editor: the tokens to
// colour, the bracket pairs to match, where each JSON Pointer's value sits (so a message
// from the server can put the cursor on its field) and, for text that is not JSON, the
// first place it goes wrong, found without a request and without eval.

const MAX_DEPTH = 512;

class Syntax extends Error {
  constructor(message, offset) {
    super(message);
    this.offset = offset;
  }
}

/** A JSON Pointer segment (RFC 6901): "~" and "/" escaped. */
export function escapeSegment(name) {
  return String(name).replaceAll("~", "~0").replaceAll("/", "~1");
}

/** 1-based line and column of an offset in text. */
export function lineColumn(text, offset) {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line += 1;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

function shown(ch) {
  if (ch === undefined) return "the end of the text";
  if (ch === "\n") return "a line break";
  if (ch === "'") return "' (JSON strings take double quotes)";
  return `'${ch}'`;
}

/**
 * Read `text` as JSON. Returns {tokens, pairs, places, error, value}: tokens are
 * {start, end, kind} (kind: key, string, number, literal, punct), pairs maps each bracket's
 * offset to its partner's, places maps a pointer to {start, end, keyStart} and error is
 * {offset, line, column, message} or null (then value is the parsed data).
 */
export function scan(text) {
  const tokens = [];
  const pairs = new Map();
  const places = new Map();
  let i = 0;
  let depth = 0;

  const space = () => {
    while (i < text.length) {
      const c = text[i];
      if (c === " " || c === "\n" || c === "\t" || c === "\r") i += 1;
      else break;
    }
  };
  const expect = (what) => {
    throw new Syntax(`expected ${what}, found ${shown(text[i])}`, i);
  };

  const string = (kind) => {
    const start = i;
    i += 1;
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new Syntax("a string is not closed (\")", start);
      if (c === '"') break;
      if (c === "\\") {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            throw new Syntax("\\u must be followed by four hexadecimal digits", i);
          }
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i += 2;
        } else {
          throw new Syntax(`\\${e ?? ""} is not an escape JSON knows`, i);
        }
      } else if (c < " ") {
        throw new Syntax(
          c === "\n" ? "a line break inside a string: write it as \\n" : "a control character inside a string",
          i,
        );
      } else {
        i += 1;
      }
    }
    i += 1;
    tokens.push({ start, end: i, kind });
    return JSON.parse(text.slice(start, i));
  };

  const number = () => {
    const found = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!found || found[0] === "-") expect("a number");
    const start = i;
    i += found[0].length;
    if (/[0-9A-Za-z.]/.test(text[i] ?? "")) {
      throw new Syntax(`${shown(text[i])} cannot follow a number`, i);
    }
    tokens.push({ start, end: i, kind: "number" });
  };

  const punct = (ch) => {
    tokens.push({ start: i, end: i + 1, kind: "punct" });
    i += 1;
    return i - 1;
  };

  const container = (pointer, open, close, member) => {
    depth += 1;
    if (depth > MAX_DEPTH) throw new Syntax("nested too deeply", i);
    const opened = punct(open);
    space();
    let index = 0;
    if (text[i] !== close) {
      for (;;) {
        member(pointer, index);
        index += 1;
        space();
        if (text[i] === ",") {
          const comma = i;
          punct(",");
          space();
          if (text[i] === close) {
            throw new Syntax(`a comma before '${close}': JSON allows none after the last item`, comma);
          }
          continue;
        }
        if (text[i] === close) break;
        expect(`',' or '${close}'`);
      }
    }
    pairs.set(opened, i);
    pairs.set(i, opened);
    punct(close);
    depth -= 1;
  };

  const value = (pointer, keyStart = null) => {
    space();
    const start = i;
    const c = text[i];
    if (c === "{") {
      container(pointer, "{", "}", (base) => {
        space();
        if (text[i] !== '"') expect(text[i] === "}" ? "a member name" : "a member name in double quotes");
        const keyAt = i;
        const name = string("key");
        space();
        if (text[i] !== ":") expect("':' after a member name");
        punct(":");
        value(`${base}/${escapeSegment(name)}`, keyAt);
      });
    } else if (c === "[") {
      container(pointer, "[", "]", (base, index) => value(`${base}/${index}`));
    } else if (c === '"') {
      string("string");
    } else if (c === "-" || (c >= "0" && c <= "9")) {
      number();
    } else {
      const word = /^[A-Za-z]+/.exec(text.slice(i, i + 20));
      if (word && ["true", "false", "null"].includes(word[0])) {
        i += word[0].length;
        tokens.push({ start, end: i, kind: "literal" });
      } else {
        expect("a value");
      }
    }
    places.set(pointer, { start, end: i, keyStart: keyStart ?? start });
  };

  try {
    value("");
    space();
    if (i < text.length) throw new Syntax(`more text after the data ends: ${shown(text[i])}`, i);
  } catch (error) {
    if (!(error instanceof Syntax)) throw error;
    return { tokens, pairs, places, error: { ...lineColumn(text, error.offset), offset: error.offset, message: error.message }, value: undefined };
  }
  return { tokens, pairs, places, error: null, value: JSON.parse(text) };
}

/** Where a pointer's value is, or its nearest ancestor's when the data has no such field. */
export function placeOf(places, pointer) {
  let at = pointer;
  for (;;) {
    const found = places.get(at);
    if (found) return { ...found, exact: at === pointer };
    if (at === "") return null;
    at = at.slice(0, at.lastIndexOf("/"));
  }
}
