/**
 * A light outline of one .proto source: its tokens and the blocks (message, enum, oneof, service, …) they sit
 * in, with the fields, enum values and reserved numbers each block declares. Enough to name what a compile
 * error at a line and column is about (the message a field belongs to, the field that used a number first)
 * when the compiler's own message does not say it; never used to decide what compiles.
 */

export interface Token {
  readonly text: string;
  readonly line: number;
  readonly col: number;
}

export interface Declared {
  /** The field's or enum value's name. */
  readonly name: string;
  readonly number: number | undefined;
  /** Where the statement starts and ends (its first and last token). */
  readonly first: Token;
  readonly last: Token;
  readonly nameToken: Token;
}

export interface Block {
  readonly kind: string;
  readonly name: string;
  /** Dotted name: package, enclosing messages, this block (an enum value's scope leaves out its enum). */
  readonly fullName: string;
  readonly parent: Block | undefined;
  readonly open: Token;
  close: Token | undefined;
  readonly declared: Declared[];
  readonly reserved: [number, number][];
}

const DECLARING = new Set(["message", "enum", "service", "oneof", "extend"]);

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let col = 1;
  let i = 0;
  const advance = (to: number): void => {
    for (; i < to; i++) {
      if (text[i] === "\n") {
        line++;
        col = 1;
      } else col++;
    }
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (c === "\n" || c === " " || c === "\t" || c === "\r") {
      advance(i + 1);
    } else if (text.startsWith("//", i)) {
      const end = text.indexOf("\n", i);
      advance(end === -1 ? text.length : end);
    } else if (text.startsWith("/*", i)) {
      const end = text.indexOf("*/", i + 2);
      advance(end === -1 ? text.length : end + 2);
    } else {
      let end = i + 1;
      if (c === '"' || c === "'") {
        while (end < text.length && text[end] !== c && text[end] !== "\n") end += text[end] === "\\" ? 2 : 1;
        end = Math.min(end + 1, text.length);
      } else if (/[A-Za-z0-9_]/.test(c)) {
        while (end < text.length && /[A-Za-z0-9_.]/.test(text[end] as string)) end++;
      }
      tokens.push({ text: text.slice(i, end), line, col });
      advance(end);
    }
  }
  return tokens;
}

function parseNumber(tokens: readonly Token[], at: number): number | undefined {
  const negative = tokens[at]?.text === "-";
  const text = tokens[negative ? at + 1 : at]?.text ?? "";
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(text)) return undefined;
  const value = Number(text.toLowerCase().startsWith("0x") ? Number.parseInt(text, 16) : text);
  return negative ? -value : value;
}

export class ProtoOutline {
  readonly tokens: readonly Token[];
  readonly blocks: Block[] = [];
  readonly pkg: string;

  constructor(text: string) {
    this.tokens = tokenize(text);
    let pkg = "";
    const stack: Block[] = [];
    let statement: Token[] = [];
    let statementStart = 0;
    for (let i = 0; i < this.tokens.length; i++) {
      const token = this.tokens[i] as Token;
      if (statement.length === 0) statementStart = i;
      if (token.text === "{") {
        const head = statement[0]?.text ?? "";
        const parent = stack[stack.length - 1];
        const kind = DECLARING.has(head) ? head : "other";
        const name = kind === "other" ? "" : statement[1]?.text ?? "";
        const scope = parent?.fullName ?? pkg;
        const fullName = kind === "other" || kind === "extend" ? scope : scope === "" ? name : `${scope}.${name}`;
        const block: Block = { kind, name, fullName, parent, open: token, close: undefined, declared: [], reserved: [] };
        this.blocks.push(block);
        stack.push(block);
        statement = [];
      } else if (token.text === "}") {
        const block = stack.pop();
        if (block !== undefined) block.close = token;
        statement = [];
      } else if (token.text === ";") {
        statement.push(token);
        if (statement[0]?.text === "package" && stack.length === 0) pkg = statement.slice(1, -1).map((t) => t.text).join("");
        else this.declare(stack[stack.length - 1], statementStart);
        statement = [];
      } else {
        statement.push(token);
      }
    }
    this.pkg = pkg;
  }

  /** A field (message, oneof) or value (enum) statement, or a `reserved` one, from `start` to its `;`. */
  private declare(block: Block | undefined, start: number): void {
    if (block === undefined) return;
    let end = start;
    while (end < this.tokens.length && this.tokens[end]?.text !== ";") end++;
    const first = this.tokens[start] as Token;
    const last = (this.tokens[end] ?? first) as Token;
    if (first.text === "reserved" && (block.kind === "message" || block.kind === "enum")) {
      for (let i = start + 1; i < end; i++) {
        const from = parseNumber(this.tokens, i);
        if (from === undefined) continue;
        if (this.tokens[i]?.text === "-") i++;
        let to = from;
        if (this.tokens[i + 1]?.text === "to") {
          to = this.tokens[i + 2]?.text === "max" ? 536_870_911 : parseNumber(this.tokens, i + 2) ?? from;
          i += 2;
        }
        block.reserved.push([from, to]);
      }
      return;
    }
    if (block.kind !== "message" && block.kind !== "oneof" && block.kind !== "enum") return;
    if (first.text === "option" || first.text === "extensions") return;
    let equals = start;
    while (equals < end && this.tokens[equals]?.text !== "=") equals++;
    if (equals === end || equals === start) return;
    const nameToken = this.tokens[equals - 1] as Token;
    const owner = block.kind === "oneof" && block.parent !== undefined ? block.parent : block;
    owner.declared.push({ name: nameToken.text, number: parseNumber(this.tokens, equals + 1), first, last, nameToken });
  }

  /** The token starting at line:col, else the first one after it on that line. */
  tokenAt(line: number, col: number): Token | undefined {
    return this.tokens.find((t) => t.line === line && t.col === col) ?? this.tokens.find((t) => t.line === line && t.col > col);
  }

  /** The innermost block whose braces enclose line:col. */
  blockAt(line: number, col: number): Block | undefined {
    let found: Block | undefined;
    for (const block of this.blocks) {
      if (before(block.open, line, col) && (block.close === undefined || !before(block.close, line, col))) found = block;
    }
    return found;
  }

  /** The message (or enum) declaration whose statement holds line:col, with the block that owns it. */
  declaredAt(line: number, col: number): { block: Block; declared: Declared } | undefined {
    let owner = this.blockAt(line, col);
    if (owner?.kind === "oneof" && owner.parent !== undefined) owner = owner.parent;
    const declared = owner?.declared.find((d) => before(d.first, line, col) && !before(d.last, line, col));
    return owner !== undefined && declared !== undefined ? { block: owner, declared } : undefined;
  }
}

/** Whether `token` starts at or before line:col. */
function before(token: Token, line: number, col: number): boolean {
  return token.line < line || (token.line === line && token.col <= col);
}
