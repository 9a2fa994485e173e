/**
 * Reserved field numbers and names per message. The schema model leaves them out (nothing is generated from
 * them), but "deleted without reserving its number" needs them, so they are read here from the sources:
 * `.proto` `reserved 2, 9 to 11, "old";` statements and a YAML message's `reserved: [2, "9-11", old]` list.
 */
import { isMap, isScalar, isSeq, parseDocument } from "yaml";
import type { Node } from "yaml";
import type { ReservedSnapshot } from "./snapshot.js";

export type ReservedTable = Map<string, ReservedSnapshot>;

export interface SourceText {
  readonly path: string;
  readonly text: string;
}

const MAX_FIELD_NUMBER = 536_870_911;

export function readReserved(sources: readonly SourceText[]): ReservedTable {
  const table: ReservedTable = new Map();
  const add = (message: string, numbers: [number, number][], names: string[]): void => {
    const previous = table.get(message) ?? { numbers: [], names: [] };
    table.set(message, { numbers: [...previous.numbers, ...numbers], names: [...previous.names, ...names] });
  };
  for (const source of sources) {
    if (source.path.endsWith(".proto")) readProtoReserved(source.text, add);
    else readYamlReserved(source.path, source.text, add);
  }
  return table;
}

type AddReserved = (message: string, numbers: [number, number][], names: string[]) => void;

function protoTokens(text: string): string[] {
  const tokens: string[] = [];
  const pattern = /\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|[A-Za-z0-9_.]+|\S/g;
  for (const match of text.matchAll(pattern)) {
    const token = match[0];
    if (token.startsWith("//") || token.startsWith("/*")) continue;
    tokens.push(token);
  }
  return tokens;
}

function readProtoReserved(text: string, add: AddReserved): void {
  const tokens = protoTokens(text);
  let pkg = "";
  const stack: { kind: string; name: string }[] = [];
  let pending: { kind: string; name: string } | undefined;
  const messageName = (): string =>
    [pkg, ...stack.filter((s) => s.kind === "message").map((s) => s.name)].filter((p) => p !== "").join(".");
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    const statementStart = i === 0 || [";", "{", "}"].includes(tokens[i - 1] as string);
    if (token === "{") {
      stack.push(pending ?? { kind: "other", name: "" });
      pending = undefined;
    } else if (token === "}") {
      stack.pop();
    } else if (token === ";") {
      pending = undefined;
    } else if (statementStart && token === "package" && stack.length === 0) {
      pkg = tokens[i + 1] ?? "";
    } else if (statementStart && (token === "message" || token === "enum" || token === "service" || token === "oneof" || token === "rpc")) {
      pending = { kind: token, name: tokens[i + 1] ?? "" };
    } else if (statementStart && token === "reserved" && stack[stack.length - 1]?.kind === "message") {
      const numbers: [number, number][] = [];
      const names: string[] = [];
      let j = i + 1;
      for (; j < tokens.length && tokens[j] !== ";"; j++) {
        const t = tokens[j] as string;
        if (t === ",") continue;
        if (t.startsWith('"') || t.startsWith("'")) {
          names.push(t.slice(1, -1));
        } else if (/^\d+$/.test(t)) {
          const from = Number(t);
          if (tokens[j + 1] === "to") {
            const end = tokens[j + 2] as string;
            numbers.push([from, end === "max" ? MAX_FIELD_NUMBER : Number(end)]);
            j += 2;
          } else numbers.push([from, from]);
        }
      }
      add(messageName(), numbers, names);
      i = j;
    }
  }
}

function readYamlReserved(path: string, text: string, add: AddReserved): void {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return;
  const root = doc.contents;
  if (!isMap(root)) return;
  const top = (key: string): unknown => {
    const value = root.get(key);
    return typeof value === "string" ? value : undefined;
  };
  const stem = path.replace(/^.*\//, "").replace(/\.ya?ml$/, "");
  const pkg = (top("package") ?? top("module") ?? stem) as string;
  const messages = root.get("messages", true) as Node | undefined;
  if (!isMap(messages)) return;
  for (const pair of messages.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : "";
    const body = pair.value as Node | null;
    if (!isMap(body)) continue;
    const list = body.get("reserved", true) as Node | undefined;
    if (!isSeq(list)) continue;
    const numbers: [number, number][] = [];
    const names: string[] = [];
    for (const item of list.items) {
      if (!isScalar(item)) continue;
      const value = item.value;
      if (typeof value === "number" && Number.isInteger(value)) numbers.push([value, value]);
      else if (typeof value === "string") {
        const range = /^\s*(\d+)\s*(?:-|to)\s*(\d+|max)\s*$/.exec(value);
        if (range) numbers.push([Number(range[1]), range[2] === "max" ? MAX_FIELD_NUMBER : Number(range[2])]);
        else names.push(value);
      }
    }
    add(`${pkg}.${name}`, numbers, names);
  }
}
