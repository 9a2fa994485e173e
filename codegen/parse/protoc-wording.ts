/**
 * buf's compile errors in protoc's words. buf finds every error at its exact token, but words them tersely
 * ("field number `1` used more than once"); teams know protoc's messages, which also say where else a name or
 * number is used (`Field number 1 has already been used in "bad.dup.A" by field "s".`). Each common message
 * is reworded from the source outline at buf's position, positions stay buf's, and anything not recognised
 * (or whose context the outline cannot find) keeps buf's text.
 */
import type { Block } from "./proto-outline.js";
import { ProtoOutline } from "./proto-outline.js";

export interface CompileError {
  readonly rel: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

const MAX_FIELD_NUMBER = 536_870_911;
const MAX_SUGGESTIONS = 3;

interface Hint {
  readonly block: Block;
  readonly at: CompileError;
  count: number;
}

function quoted(scope: string, name: string): string {
  return scope === "" ? `"${name}" is already defined.` : `"${name}" is already defined in "${scope}".`;
}

const qualified = (scope: string, name: string): string => (scope === "" ? name : `${scope}.${name}`);

/** protoc's suggestion: the first free numbers, skipping used and reserved ones and 19000-19999. */
function suggestion(block: Block, count: number): string {
  const used: [number, number][] = [];
  for (const d of block.declared) if (d.number !== undefined && d.number > 0 && d.number <= MAX_FIELD_NUMBER) used.push([d.number, d.number]);
  used.push(...block.reserved, [19_000, 19_999], [MAX_FIELD_NUMBER + 1, Number.MAX_SAFE_INTEGER]);
  used.sort((a, b) => a[0] - b[0]);
  const numbers: number[] = [];
  let next = 1;
  for (const [from, to] of used) {
    while (next < from && numbers.length < count) numbers.push(next++);
    if (numbers.length === count) break;
    next = Math.max(next, to + 1);
  }
  return `Suggested field numbers for ${block.fullName}: ${numbers.join(", ")}`;
}

class Rewording {
  private readonly hints = new Map<Block, Hint>();
  readonly out: CompileError[] = [];

  constructor(private readonly outline: ProtoOutline, private readonly all: readonly CompileError[]) {}

  private say(error: CompileError, message: string): void {
    this.out.push({ ...error, message });
  }

  private hint(block: Block, error: CompileError): void {
    const hint = this.hints.get(block);
    if (hint === undefined) this.hints.set(block, { block, at: error, count: 1 });
    else hint.count++;
  }

  finish(): CompileError[] {
    for (const { block, at, count } of this.hints.values()) this.say(at, suggestion(block, Math.min(count, MAX_SUGGESTIONS)));
    return this.out;
  }

  /** Returns false when the error is not one this knows, or its context is not in the outline. */
  reword(error: CompileError): boolean {
    const { outline } = this;
    const { line, col, message } = error;
    const token = outline.tokenAt(line, col);
    const at = outline.declaredAt(line, col);
    let match: RegExpExecArray | null;
    if ((match = /^`(.+)` declared multiple times$/.exec(message))) {
      const name = match[1] as string;
      if (at !== undefined && at.declared.nameToken === token && at.block.kind === "enum") {
        const scope = at.block.parent?.fullName ?? outline.pkg;
        this.say(error, quoted(scope, name));
        const sameEnum = at.block.declared.filter((d) => d.name === name).length > 1;
        if (!sameEnum) {
          const other = outline.blocks.find((b) => b !== at.block && b.kind === "enum" && b.parent === at.block.parent && b.declared.some((d) => d.name === name));
          const scopeText = scope === "" ? "the global scope" : `"${scope}"`;
          this.say(error, `Note that enum values use C++ scoping rules, meaning that enum values are siblings of their type, not children of it.  Therefore, "${name}" must be unique within ${scopeText}, not just within "${(other ?? at.block).name}".`);
        }
        return true;
      }
      const scope = at !== undefined && at.declared.nameToken === token ? at.block.fullName : outline.blockAt(line, col)?.fullName ?? outline.pkg;
      this.say(error, quoted(scope, name));
      return true;
    }
    if ((match = /^field number `(\d+)` used more than once$/.exec(message)) && at !== undefined) {
      const number = Number(match[1]);
      const first = at.block.declared.find((d) => d.number === number && d !== at.declared);
      if (first === undefined) return false;
      this.say(error, `Field number ${number} has already been used in "${at.block.fullName}" by field "${first.name}".`);
      return true;
    }
    if ((match = /^use of reserved field number `(\d+)`$/.exec(message)) && at !== undefined) {
      this.say(error, `Field "${at.declared.name}" uses reserved number ${match[1]}.`);
      this.hint(at.block, error);
      return true;
    }
    if (message === "field number out of range" && at !== undefined && at.declared.number !== undefined) {
      const number = at.declared.number;
      if (number >= 19_000 && number <= 19_999) {
        this.say(error, "Field numbers 19000 through 19999 are reserved for the protocol buffer library implementation.");
        return true;
      }
      this.say(error, number <= 0 ? "Field numbers must be positive integers." : `Field numbers cannot be greater than ${MAX_FIELD_NUMBER}.`);
      this.hint(at.block, error);
      return true;
    }
    if ((match = /^enum value `(-?\d+)` used more than once$/.exec(message)) && at !== undefined) {
      const number = Number(match[1]);
      const first = at.block.declared.find((d) => d.number === number && d !== at.declared);
      if (first === undefined) return false;
      const scope = at.block.parent?.fullName ?? outline.pkg;
      const taken = new Set(at.block.declared.map((d) => d.number));
      let free = 0;
      while (taken.has(free)) free++;
      this.say(error, `"${qualified(scope, at.declared.name)}" uses the same enum value as "${qualified(scope, first.name)}". If this is intended, set 'option allow_alias = true;' to the enum definition. The next available enum value is ${free}.`);
      return true;
    }
    if (message === "message fields have the same JSON name" && at !== undefined && at.block.declared.filter((d) => d.name === at.declared.name).length > 1) {
      // protoc reports the duplicate name only; the JSON clash follows from it.
      return true;
    }
    if ((match = /^cannot find `(.+)` in this scope$/.exec(message))) return this.said(error, `"${match[1]}" is not defined.`);
    if (message === "first value of open enum must be zero") return this.said(error, "The first enum value must be zero for open enums.");
    if (message === "use of reserved message field name" && token !== undefined) return this.said(error, `Field name "${token.text}" is reserved.`);
    if (message === "imported file does not exist" && token?.text === "import") {
      const index = outline.tokens.indexOf(token);
      const path = outline.tokens.slice(index + 1, index + 3).find((t) => t.text.startsWith('"') || t.text.startsWith("'"));
      if (path !== undefined) return this.said(error, `Import "${path.text.slice(1, -1)}" was not found or had errors.`);
    }
    if (/^unexpected .+ after definition$/.test(message)) return this.said(error, 'Expected ";".');
    if (message === "unexpected integer literal in definition") return this.said(error, 'Expected "=".');
    if (message === "missing name in message field") return this.said(error, "Expected field name.");
    if ((match = /^missing name after `(message|enum|service)`$/.exec(message))) return this.said(error, `Expected ${match[1]} name.`);
    if (/^unexpected .+ at file scope$/.test(message)) return this.said(error, 'Expected top-level statement (e.g. "message").');
    if (/^missing .+ in declaration$/.test(message) && this.all.some((e) => e !== error && e.line === line && e.col === col && /at file scope$/.test(e.message))) return true;
    if (message === "encountered unmatched `{` delimiter") {
      // The input ends inside the innermost block still open, where protoc's parser stops.
      const block = [...outline.blocks].reverse().find((b) => b.close === undefined);
      if (block === undefined || block.kind === "other" || block.kind === "extend") return false;
      return this.said(error, `Reached end of input in ${block.kind} definition (missing '}').`);
    }
    if (message === "unrecognized `syntax` declaration value" && token !== undefined) {
      return this.said(error, `Unrecognized syntax identifier "${token.text.slice(1, -1)}".  This parser only recognizes "proto2" and "proto3".`);
    }
    return false;
  }

  private said(error: CompileError, message: string): true {
    this.say(error, message);
    return true;
  }
}

/** `textOf(rel)` is a schema file's source; errors of files it does not know keep buf's words. */
export function inProtocWords(errors: readonly CompileError[], textOf: (rel: string) => string | undefined): CompileError[] {
  const byFile = new Map<string, CompileError[]>();
  for (const error of errors) {
    const list = byFile.get(error.rel) ?? [];
    list.push(error);
    byFile.set(error.rel, list);
  }
  const out: CompileError[] = [];
  for (const [rel, list] of byFile) {
    const text = textOf(rel);
    if (text === undefined) {
      out.push(...list);
      continue;
    }
    const rewording = new Rewording(new ProtoOutline(text), list);
    for (const error of list) if (!rewording.reword(error)) rewording.out.push(error);
    out.push(...rewording.finish());
  }
  return out;
}
