// How many pages a PDF made by TeX has, for the page navigation: its page objects, counted in
// the file and inside its compressed object streams (read with the browser's own inflater).

const PAGE = /\/Type\s*\/Page(?![A-Za-z])/g;
const STREAM = /\bobj\s*<<((?:(?!>>)[\s\S]){0,400}?)>>\s*stream\r?\n/g;

async function inflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function latin1(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return text;
}

/** The page count of `buffer` (an ArrayBuffer of a PDF), or null if it cannot be counted. */
export async function countPages(buffer) {
  const bytes = new Uint8Array(buffer);
  const text = latin1(bytes);
  let count = (text.match(PAGE) ?? []).length;
  for (const match of text.matchAll(STREAM)) {
    const dictionary = match[1];
    if (!dictionary.includes("/ObjStm") || !dictionary.includes("/FlateDecode")) continue;
    const start = match.index + match[0].length;
    const length = /\/Length\s+(\d+)(?!\s+\d+\s+R)/.exec(dictionary);
    let end = length ? start + Number(length[1]) : text.indexOf("endstream", start);
    if (end < start) return null;
    while (!length && (text[end - 1] === "\n" || text[end - 1] === "\r")) end -= 1;
    try {
      count += (latin1(await inflate(bytes.subarray(start, end))).match(PAGE) ?? []).length;
    } catch {
      return null;
    }
  }
  return count || null;
}
