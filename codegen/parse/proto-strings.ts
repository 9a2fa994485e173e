/** .proto string literals as protoc reads them (protobufjs drops escaped quotes, so mqgen reads options itself). */

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\", "'": "'", '"': '"', "?": "?" };

/**
 * Quoted .proto string literals (one, or several adjacent ones, concatenated) by protoc's escape rules:
 * `\n`, `\"`, octal `\101`, hex `\x41`, `\u00e9`, `\U0001f600`. Undefined when the text is not string literals.
 */
export function unescapeProtoString(text: string): string | undefined {
  let out = "";
  let rest = text;
  while (rest.length > 0) {
    const quote = rest[0];
    if (quote !== '"' && quote !== "'") return undefined;
    let end = 1;
    while (end < rest.length && rest[end] !== quote) end += rest[end] === "\\" ? 2 : 1;
    if (end >= rest.length) return undefined;
    const one = unescapeOne(rest.slice(1, end));
    if (one === undefined) return undefined;
    out += one;
    rest = rest.slice(end + 1);
  }
  return out;
}

function unescapeOne(body: string): string | undefined {
  let out = "";
  const bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length > 0) out += new TextDecoder().decode(new Uint8Array(bytes.splice(0)));
  };
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] as string;
    if (ch !== "\\") {
      flush();
      out += ch;
      continue;
    }
    const next = body[++i] ?? "";
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      flush();
      out += simple;
    } else if (/[0-7]/.test(next)) {
      const oct = /^[0-7]{1,3}/.exec(body.slice(i))?.[0] ?? next;
      bytes.push(parseInt(oct, 8) & 0xff);
      i += oct.length - 1;
    } else if (next === "x" || next === "X") {
      const hex = /^[0-9A-Fa-f]{1,2}/.exec(body.slice(i + 1))?.[0];
      if (hex === undefined) return undefined;
      bytes.push(parseInt(hex, 16));
      i += hex.length;
    } else if (next === "u" || next === "U") {
      const width = next === "u" ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + width);
      if (!new RegExp(`^[0-9A-Fa-f]{${width}}$`).test(hex)) return undefined;
      flush();
      out += String.fromCodePoint(parseInt(hex, 16));
      i += width;
    } else return undefined;
  }
  flush();
  return out;
}

