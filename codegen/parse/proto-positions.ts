/**
 * protobufjs reflection objects carry no line or column, so a light token scan of the source finds where
 * each service, rpc, message, field, enum and enum value is declared. It only needs to understand block
 * structure and declaration heads; protobufjs has already checked the syntax.
 */

export interface TokenPos {
  readonly line: number;
  readonly col: number;
  /** The source text of an option's value (string literals keep their quotes and escapes, adjacent ones follow each other). */
  readonly text?: string;
}

interface Token extends TokenPos {
  readonly text: string;
}

/** Keys: `message:pkg.Msg`, `field:pkg.Msg.name`, `enum:pkg.E`, `value:pkg.E.NAME`, `service:pkg.S`,
 * `rpc:pkg.S.Name`, `option:<owner key>.<option name>` (position of the option's value). */
export type PositionTable = Map<string, TokenPos>;

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const n = source.length;
  while (i < n) {
    const ch = source[i] as string;
    if (ch === "\n") {
      line++;
      i++;
      lineStart = i;
      continue;
    }
    if (ch === " " || ch === "\t" || ch === "\r") {
      i++;
      continue;
    }
    if (ch === "/" && source[i + 1] === "/") {
      while (i < n && source[i] !== "\n") i++;
      continue;
    }
    if (ch === "/" && source[i + 1] === "*") {
      i += 2;
      while (i < n && !(source[i] === "*" && source[i + 1] === "/")) {
        if (source[i] === "\n") {
          line++;
          lineStart = i + 1;
        }
        i++;
      }
      i += 2;
      continue;
    }
    const col = i - lineStart + 1;
    if (ch === '"' || ch === "'") {
      let j = i + 1;
      while (j < n && source[j] !== ch && source[j] !== "\n") j += source[j] === "\\" ? 2 : 1;
      tokens.push({ text: source.slice(i, j + 1), line, col });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z0-9_.]/.test(ch)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_.+-]/.test(source[j] as string)) {
        // `-`/`+` only continue exponent numbers like 1e-5; identifiers never contain them.
        if ((source[j] === "-" || source[j] === "+") && !/^[0-9.]+[eE]$/.test(source.slice(i, j))) break;
        j++;
      }
      tokens.push({ text: source.slice(i, j), line, col });
      i = j;
      continue;
    }
    tokens.push({ text: ch, line, col });
    i++;
  }
  return tokens;
}

function isStringToken(text: string): boolean {
  return text.startsWith('"') || text.startsWith("'");
}

const FIELD_LABELS = new Set(["repeated", "optional", "required"]);

export function scanProtoPositions(source: string): PositionTable {
  const tokens = tokenize(source);
  const table: PositionTable = new Map();
  let pkg = "";
  // Each open block: its kind and the key prefix of what it declares.
  const stack: { kind: string; name: string }[] = [];
  const qualified = (name: string): string => {
    const parts = stack.filter((s) => s.kind === "message" || s.kind === "enum" || s.kind === "service").map((s) => s.name);
    return [pkg, ...parts, name].filter((p) => p !== "").join(".");
  };
  const current = (): { kind: string; name: string } | undefined => stack[stack.length - 1];
  const ownerKey = (): string | undefined => {
    for (let k = stack.length - 1; k >= 0; k--) {
      const frame = stack[k] as { kind: string; name: string };
      if (frame.kind === "rpc") return `rpc:${frame.name}`;
      if (frame.kind === "message" || frame.kind === "service" || frame.kind === "enum") {
        const parts = stack.slice(0, k + 1).filter((s) => s.kind === "message" || s.kind === "enum" || s.kind === "service");
        return `${frame.kind}:${[pkg, ...parts.map((s) => s.name)].filter((p) => p !== "").join(".")}`;
      }
    }
    return undefined;
  };

  let pendingBlock: { kind: string; name: string } | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i] as Token;
    const next = tokens[i + 1];
    const frame = current();
    const atStatementStart = i === 0 || [";", "{", "}"].includes((tokens[i - 1] as Token).text);
    if (tok.text === "{") {
      stack.push(pendingBlock ?? { kind: "other", name: "" });
      pendingBlock = undefined;
      continue;
    }
    if (tok.text === "}") {
      stack.pop();
      continue;
    }
    if (tok.text === ";") {
      pendingBlock = undefined;
      continue;
    }
    if (!atStatementStart) continue;
    if (tok.text === "package" && next && stack.length === 0) {
      pkg = next.text;
      continue;
    }
    if ((tok.text === "message" || tok.text === "enum" || tok.text === "service") && next) {
      if (frame === undefined || frame.kind === "message") {
        table.set(`${tok.text}:${qualified(next.text)}`, { line: next.line, col: next.col });
        pendingBlock = { kind: tok.text, name: next.text };
        continue;
      }
    }
    if (tok.text === "rpc" && next && frame?.kind === "service") {
      const full = qualified(next.text);
      table.set(`rpc:${full}`, { line: next.line, col: next.col });
      pendingBlock = { kind: "rpc", name: full };
      continue;
    }
    if (tok.text === "oneof" && next && frame?.kind === "message") {
      pendingBlock = { kind: "oneof", name: next.text };
      continue;
    }
    if (tok.text === "extend" || tok.text === "reserved" || tok.text === "extensions" || tok.text === "import" || tok.text === "syntax") {
      if (tok.text === "extend") pendingBlock = { kind: "extend", name: "" };
      continue;
    }
    if (tok.text === "option") {
      // option (mqgen.wire_name) = "x";  or  option foo = 1;
      let j = i + 1;
      let name = "";
      while (j < tokens.length && (tokens[j] as Token).text !== "=" && (tokens[j] as Token).text !== ";") {
        const t = (tokens[j] as Token).text;
        name += t === "(" || t === ")" ? "" : t;
        j++;
      }
      const value = tokens[j + 1];
      const owner = ownerKey();
      // Adjacent string literals are one value ("a" "b" is "ab"), as protoc reads them.
      let text = value?.text;
      for (let k = j + 2; value && isStringToken(value.text) && k < tokens.length && isStringToken((tokens[k] as Token).text); k++) {
        text = `${text ?? ""}${(tokens[k] as Token).text}`;
      }
      if (owner && value) table.set(`option:${owner}.${name}`, { line: value.line, col: value.col, ...(text !== undefined ? { text } : {}) });
      continue;
    }
    if (frame?.kind === "enum" && next?.text === "=") {
      const enumFrames = stack.filter((s) => s.kind === "message" || s.kind === "enum" || s.kind === "service");
      const enumName = [pkg, ...enumFrames.map((s) => s.name)].filter((p) => p !== "").join(".");
      table.set(`value:${enumName}.${tok.text}`, { line: tok.line, col: tok.col });
      continue;
    }
    if (frame?.kind === "message" || frame?.kind === "oneof") {
      const owner = stack.filter((s) => s.kind === "message").map((s) => s.name);
      const messageName = [pkg, ...owner].filter((p) => p !== "").join(".");
      let j = i;
      if (FIELD_LABELS.has(tok.text)) j++;
      const head = tokens[j];
      if (!head) continue;
      let nameIndex = j + 1;
      if (head.text === "map") {
        // map < K , V > name = N
        let k = j;
        while (k < tokens.length && (tokens[k] as Token).text !== ">") k++;
        nameIndex = k + 1;
      }
      const nameTok = tokens[nameIndex];
      if (nameTok && tokens[nameIndex + 1]?.text === "=") {
        table.set(`field:${messageName}.${nameTok.text}`, { line: head.line, col: tokens[i]?.col ?? head.col });
        table.set(`fieldtype:${messageName}.${nameTok.text}`, { line: head.line, col: head.col });
      }
    }
  }
  return table;
}
