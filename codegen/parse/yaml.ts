/**
 * YAML service schema → model. Shape errors (unknown keys, wrong value kinds, unparsable type expressions)
 * are reported here with the position of the offending node; meaning (unknown types, duplicates, naming) is
 * the validator's job.
 */
import { createRequire } from "node:module";
import type * as Yaml from "yaml";
import type { Node, Pair, YAMLMap } from "yaml";
import type {
  Cardinality,
  Diagnostic,
  EnumModel,
  EnumValueModel,
  FieldModel,
  HandlerModel,
  HandlerMode,
  MessageModel,
  ModuleModel,
  ParamModel,
  PushModel,
  ScalarKind,
  SchemaModel,
  SourcePos,
  TypeRef,
} from "../model.js";
import { SCALAR_KINDS } from "../model.js";
import { pascalCase } from "../names.js";

export interface ParsedFile {
  readonly model: SchemaModel;
  readonly diagnostics: Diagnostic[];
}

const FILE_KEYS = ["module", "version", "doc", "package", "handlers", "messages", "enums", "pushes"];
const HANDLER_KEYS = ["wire", "doc", "mode", "gate", "params", "request", "returns", "timeoutMs", "retrySafe"];
const FIELD_KEYS = ["type", "no", "doc"];
const ENUM_KEYS = ["doc", "values"];
const MESSAGE_KEYS = ["doc", "fields", "reserved"];
const PUSH_KEYS = ["type", "topic", "doc"];

/** A parsed type expression: `string`, `Foo`, `pkg.Foo`, `Foo[]`, `string?`, `map<string, Foo>`. */
interface TypeExpr {
  readonly type: TypeRef;
  readonly cardinality: Cardinality;
  readonly mapKey?: string;
}

const TYPE_EXPR = /^(?:map<\s*([A-Za-z0-9_.]+)\s*,\s*([A-Za-z0-9_.]+)\s*>|([A-Za-z_][A-Za-z0-9_.]*)(\[\]|\?)?)$/;

const require = createRequire(import.meta.url);
let yamlLib: typeof Yaml | undefined;

/** yaml loads on first use, so .proto-only runs do not pay for it. */
function loadYaml(): typeof Yaml {
  yamlLib ??= require("yaml") as typeof Yaml;
  return yamlLib;
}

export function parseYamlSchema(path: string, source: string): ParsedFile {
  const { LineCounter, isMap, isScalar, isSeq, parseDocument } = loadYaml();
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, keepSourceTokens: false, uniqueKeys: true });
  const diagnostics: Diagnostic[] = [];
  const posOf = (offset: number): SourcePos => {
    const { line, col } = lineCounter.linePos(offset);
    return { file: path, line: Math.max(line, 1), col };
  };
  const nodePos = (node: Node | null | undefined, fallback: SourcePos): SourcePos =>
    node?.range ? posOf(node.range[0]) : fallback;
  const report = (pos: SourcePos, message: string): void => {
    diagnostics.push({ file: pos.file, line: pos.line, col: pos.col, message });
  };
  const empty: SchemaModel = { files: [], modules: [], messages: [], enums: [] };
  const filePos: SourcePos = { file: path, line: 1, col: 1 };

  for (const error of doc.errors) {
    const pos = posOf(error.pos[0]);
    report(pos, `YAML: ${(error.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "")}`);
  }
  if (doc.errors.length > 0) return { model: empty, diagnostics };
  const root = doc.contents;
  if (!isMap(root)) {
    report(nodePos(root, filePos), "a schema file must be a mapping with `module`, `handlers`, `messages`, ...");
    return { model: empty, diagnostics };
  }

  const keyPos = (pair: Pair): SourcePos => nodePos(pair.key as Node, filePos);
  const keyName = (pair: Pair): string => (isScalar(pair.key) ? String(pair.key.value) : "");
  const entries = (map: YAMLMap, allowed: readonly string[] | null, where: string): Map<string, Pair> => {
    const out = new Map<string, Pair>();
    for (const pair of map.items) {
      const key = keyName(pair);
      if (allowed && !allowed.includes(key)) {
        report(keyPos(pair), `unknown key '${key}' in ${where} (expected one of: ${allowed.join(", ")})`);
        continue;
      }
      out.set(key, pair);
    }
    return out;
  };
  const stringValue = (pair: Pair | undefined, what: string): string | undefined => {
    if (!pair) return undefined;
    const value = pair.value as Node | null;
    if (isScalar(value) && (typeof value.value === "string" || typeof value.value === "number")) {
      return String(value.value);
    }
    report(nodePos(value, keyPos(pair)), `${what} must be a string`);
    return undefined;
  };
  const docValue = (pair: Pair | undefined): string => (stringValue(pair, "doc") ?? "").trim();
  const boolValue = (pair: Pair | undefined, what: string): boolean | undefined => {
    if (!pair) return undefined;
    const value = pair.value as Node | null;
    if (isScalar(value) && typeof value.value === "boolean") return value.value;
    report(nodePos(value, keyPos(pair)), `${what} must be true or false`);
    return undefined;
  };
  const intValue = (pair: Pair | undefined, what: string): number | undefined => {
    if (!pair) return undefined;
    const value = pair.value as Node | null;
    if (isScalar(value) && typeof value.value === "number" && Number.isInteger(value.value)) return value.value;
    report(nodePos(value, keyPos(pair)), `${what} must be an integer`);
    return undefined;
  };
  const valuePos = (pair: Pair): SourcePos => nodePos(pair.value as Node, keyPos(pair));

  const top = entries(root, FILE_KEYS, "the schema file");
  const moduleType = stringValue(top.get("module"), "module");
  const stem = path.replace(/^.*\//, "").replace(/\.ya?ml$/, "");
  const pkg = stringValue(top.get("package"), "package") ?? moduleType ?? stem;
  const scope = pkg;

  const parseTypeExpr = (text: string, pos: SourcePos): TypeExpr | undefined => {
    const match = TYPE_EXPR.exec(text.trim());
    if (!match) {
      report(pos, `cannot parse type '${text}' (expected e.g. string, Foo, pkg.Foo, Foo[], string?, map<string, Foo>)`);
      return undefined;
    }
    if (match[1] !== undefined && match[2] !== undefined) {
      return { type: typeRef(match[2], scope), cardinality: "map", mapKey: match[1] };
    }
    const name = match[3] ?? "";
    const suffix = match[4];
    return {
      type: typeRef(name, scope),
      cardinality: suffix === "[]" ? "repeated" : suffix === "?" ? "optional" : "singular",
    };
  };

  const messages: MessageModel[] = [];
  const enums: EnumModel[] = [];

  const parseFields = (map: YAMLMap): FieldModel[] => {
    const fields: FieldModel[] = [];
    map.items.forEach((pair, index) => {
      const name = keyName(pair);
      const pos = keyPos(pair);
      const value = pair.value as Node | null;
      let typeText: string | undefined;
      let typePos = valuePos(pair);
      let no = index + 1;
      let doc = "";
      if (isScalar(value) && typeof value.value === "string") {
        typeText = value.value;
      } else if (isMap(value)) {
        const f = entries(value, FIELD_KEYS, `field '${name}'`);
        typeText = stringValue(f.get("type"), `type of field '${name}'`);
        const typePair = f.get("type");
        if (typePair) typePos = valuePos(typePair);
        else report(pos, `field '${name}' has no type`);
        no = intValue(f.get("no"), `field number of '${name}'`) ?? no;
        doc = docValue(f.get("doc"));
      } else {
        report(typePos, `field '${name}' must be a type (e.g. string) or a mapping with type, no, doc`);
      }
      if (typeText === undefined) return;
      const expr = parseTypeExpr(typeText, typePos);
      if (!expr) return;
      if (expr.type.kind === "map" || expr.type.kind === "mapstr" || expr.type.kind === "void") {
        report(typePos, `field '${name}': '${typeText}' is only valid as a handler param or result; use map<string, T>`);
        return;
      }
      const field: FieldModel = {
        name,
        no,
        type: expr.type,
        cardinality: expr.cardinality,
        doc,
        pos,
        ...mapKeyOf(expr),
      };
      fields.push(field);
    });
    return fields;
  };

  /**
   * `reserved: [2, "9-11", old_name]` keeps numbers and names of deleted fields from being reused (read by
   * `mqgen breaking`); a field that uses one is an error here, as protoc makes it for .proto.
   */
  const checkReserved = (node: Node, message: string, at: SourcePos, fields: readonly FieldModel[]): void => {
    if (!isSeq(node)) {
      report(nodePos(node, at), `reserved of message '${message}' must be a list of field numbers, "from-to" ranges and names`);
      return;
    }
    const ranges: [number, number][] = [];
    const names = new Set<string>();
    for (const item of node.items) {
      const itemNode = item as Node;
      const value = isScalar(itemNode) ? itemNode.value : undefined;
      const range = typeof value === "string" ? /^(\d+)\s*-\s*(\d+)$/.exec(value) : null;
      if (typeof value === "number" && Number.isInteger(value) && value >= 1) ranges.push([value, value]);
      else if (range !== null && Number(range[1]) <= Number(range[2])) ranges.push([Number(range[1]), Number(range[2])]);
      else if (typeof value === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) names.add(value);
      else report(nodePos(itemNode, at), `reserved entry of message '${message}' must be a field number, a "from-to" range or a name`);
    }
    for (const field of fields) {
      if (ranges.some(([from, to]) => field.no >= from && field.no <= to)) {
        report(field.pos, `field '${field.name}' of message '${message}' uses reserved number ${field.no}`);
      }
      if (names.has(field.name)) report(field.pos, `field name '${field.name}' of message '${message}' is reserved`);
    }
  };

  const messagesPair = top.get("messages");
  if (messagesPair) {
    const value = messagesPair.value as Node | null;
    if (isMap(value)) {
      for (const pair of value.items) {
        const name = keyName(pair);
        const pos = keyPos(pair);
        const body = pair.value as Node | null;
        let fields: FieldModel[] = [];
        let doc = "";
        if (isMap(body)) {
          const m = entries(body, MESSAGE_KEYS, `message '${name}'`);
          doc = docValue(m.get("doc"));
          const fieldsNode = m.get("fields")?.value as Node | null | undefined;
          if (isMap(fieldsNode)) fields = parseFields(fieldsNode);
          else if (fieldsNode != null && !(isScalar(fieldsNode) && fieldsNode.value === null)) {
            report(nodePos(fieldsNode, pos), `fields of message '${name}' must be a mapping of name: type`);
          }
          const reservedNode = m.get("reserved")?.value as Node | null | undefined;
          if (reservedNode != null) checkReserved(reservedNode, name, pos, fields);
        } else if (!(isScalar(body) && body.value === null) && body != null) {
          report(nodePos(body, pos), `message '${name}' must be a mapping with doc and fields`);
        }
        messages.push({ fullName: `${pkg}.${name}`, package: pkg, name, doc, fields, synthetic: false, pos });
      }
    } else {
      report(valuePos(messagesPair), "messages must be a mapping of message name to its definition");
    }
  }

  const enumsPair = top.get("enums");
  if (enumsPair) {
    const value = enumsPair.value as Node | null;
    if (isMap(value)) {
      for (const pair of value.items) {
        const name = keyName(pair);
        const pos = keyPos(pair);
        const body = pair.value as Node | null;
        const values: EnumValueModel[] = [];
        let doc = "";
        if (isSeq(body)) {
          body.items.forEach((item, index) => {
            const itemNode = item as Node;
            if (isScalar(itemNode) && typeof itemNode.value === "string") {
              values.push({ name: itemNode.value, number: index, doc: "", pos: nodePos(itemNode, pos) });
            } else {
              report(nodePos(itemNode, pos), `values of enum '${name}' must be names`);
            }
          });
        } else if (isMap(body)) {
          const e = entries(body, ENUM_KEYS, `enum '${name}'`);
          doc = docValue(e.get("doc"));
          const valuesNode = e.get("values")?.value as Node | null | undefined;
          if (isMap(valuesNode)) {
            for (const v of valuesNode.items) {
              const number = intValue(v, `value of ${name}.${keyName(v)}`);
              if (number !== undefined) values.push({ name: keyName(v), number, doc: "", pos: keyPos(v) });
            }
          } else {
            report(pos, `enum '${name}' needs values: a mapping of NAME: number`);
          }
        } else {
          report(nodePos(body, pos), `enum '${name}' must be a list of names or a mapping with doc and values`);
        }
        enums.push({ fullName: `${pkg}.${name}`, package: pkg, name, doc, values, pos });
      }
    } else {
      report(valuePos(enumsPair), "enums must be a mapping of enum name to its values");
    }
  }

  const modules: ModuleModel[] = [];
  const handlersPair = top.get("handlers");
  const pushesPair = top.get("pushes");
  if (moduleType === undefined) {
    if (handlersPair) report(keyPos(handlersPair), "handlers need a module: add `module: <type>` to this file");
    if (pushesPair) report(keyPos(pushesPair), "pushes need a module: add `module: <type>` to this file");
  } else {
    const modulePair = top.get("module");
    const modulePos = modulePair ? valuePos(modulePair) : filePos;
    const handlers: HandlerModel[] = [];
    if (handlersPair) {
      const value = handlersPair.value as Node | null;
      if (isMap(value)) {
        for (const pair of value.items) {
          const handler = parseHandler(pair);
          if (handler) handlers.push(handler);
        }
      } else {
        report(valuePos(handlersPair), "handlers must be a mapping of method name to its definition");
      }
    }
    const pushes: PushModel[] = [];
    if (pushesPair) {
      const value = pushesPair.value as Node | null;
      if (isMap(value)) {
        for (const pair of value.items) {
          const name = keyName(pair);
          const pos = keyPos(pair);
          const body = pair.value as Node | null;
          let typeText: string | undefined;
          let typePos = valuePos(pair);
          let topic = `${moduleType}/${name}`;
          let doc = "";
          if (isScalar(body) && typeof body.value === "string") {
            typeText = body.value;
          } else if (isMap(body)) {
            const p = entries(body, PUSH_KEYS, `push '${name}'`);
            typeText = stringValue(p.get("type"), `type of push '${name}'`);
            const typePair = p.get("type");
            if (typePair) typePos = valuePos(typePair);
            else report(pos, `push '${name}' has no type`);
            topic = stringValue(p.get("topic"), `topic of push '${name}'`) ?? topic;
            doc = docValue(p.get("doc"));
          } else {
            report(typePos, `push '${name}' must be a message type or a mapping with type, topic, doc`);
          }
          if (typeText === undefined) continue;
          const expr = parseTypeExpr(typeText, typePos);
          if (!expr) continue;
          if (expr.cardinality !== "singular") {
            report(typePos, `push '${name}' must carry one message, not '${typeText}'`);
            continue;
          }
          pushes.push({ name, topic, type: expr.type, doc, pos });
        }
      } else {
        report(valuePos(pushesPair), "pushes must be a mapping of push name to its message type");
      }
    }
    const versionPair = top.get("version");
    modules.push({
      type: moduleType,
      version: stringValue(versionPair, "version") ?? "1.0.0",
      doc: docValue(top.get("doc")),
      package: pkg,
      source: path,
      handlers,
      pushes,
      pos: modulePos,
    });
  }

  function parseHandler(pair: Pair): HandlerModel | undefined {
    const method = keyName(pair);
    const pos = keyPos(pair);
    const body = pair.value as Node | null;
    let h = new Map<string, Pair>();
    if (isMap(body)) h = entries(body, HANDLER_KEYS, `handler '${method}'`);
    else if (!(isScalar(body) && body.value === null) && body != null) {
      report(nodePos(body, pos), `handler '${method}' must be a mapping (wire, params, returns, mode, gate, ...)`);
      return undefined;
    }
    const gate = boolValue(h.get("gate"), `gate of '${method}'`) ?? false;
    const wirePair = h.get("wire");
    const wireName = stringValue(wirePair, `wire name of '${method}'`) ?? (gate ? `HD_${method}` : `/${method}`);
    const wirePos = wirePair ? valuePos(wirePair) : pos;
    const modePair = h.get("mode");
    let mode: HandlerMode = "concurrent";
    const modeText = stringValue(modePair, `mode of '${method}'`);
    if (modeText !== undefined) {
      if (modeText === "serial" || modeText === "concurrent") mode = modeText;
      else if (modePair) report(valuePos(modePair), `mode of '${method}' must be serial or concurrent, not '${modeText}'`);
    }
    const timeoutPair = h.get("timeoutMs");
    const timeoutMs = intValue(timeoutPair, `timeoutMs of '${method}'`);
    if (timeoutMs !== undefined && timeoutMs <= 0 && timeoutPair) {
      report(valuePos(timeoutPair), `timeoutMs of '${method}' must be a positive number of milliseconds`);
    }

    const params: ParamModel[] = [];
    const paramsPair = h.get("params");
    if (paramsPair) {
      const list = paramsPair.value as Node | null;
      if (isSeq(list)) {
        for (const item of list.items) {
          const param = parseParam(item as Node, method, valuePos(paramsPair));
          if (param) params.push(param);
        }
      } else if (!(isScalar(list) && list.value === null)) {
        report(valuePos(paramsPair), `params of '${method}' must be a list (its order is the wire order), e.g. - name: string`);
      }
    }

    const requestPair = h.get("request");
    let requestParams: ParamModel[] | undefined;
    if (requestPair) {
      if (!gate) report(keyPos(requestPair), `'request' is for gate handlers; '${method}' takes params`);
      else if (paramsPair) report(keyPos(requestPair), `handler '${method}' has both params and request; keep one`);
      else {
        const text = stringValue(requestPair, `request of '${method}'`);
        const expr = text === undefined ? undefined : parseTypeExpr(text, valuePos(requestPair));
        if (expr && text !== undefined) {
          requestParams = [{ name: "request", type: expr.type, doc: "", pos: valuePos(requestPair), ...collectionOf(expr) }];
        }
      }
    }

    let result: TypeRef = { kind: "void" };
    let resultCollection: "repeated" | "map" | undefined;
    const returnsPair = h.get("returns");
    const returnsText = stringValue(returnsPair, `returns of '${method}'`);
    if (returnsText !== undefined && returnsPair) {
      const expr = parseTypeExpr(returnsText, valuePos(returnsPair));
      if (expr) {
        result = expr.type;
        if (expr.cardinality === "repeated" || expr.cardinality === "map") resultCollection = expr.cardinality;
        else if (expr.cardinality === "optional") {
          report(valuePos(returnsPair), `returns of '${method}' cannot be optional ('${returnsText}')`);
        }
      }
    }

    let handlerParams: ParamModel[] = params;
    if (gate && !requestParams) {
      // The gate delivers one JSON object, so the named params become the fields of a request message.
      const name = `${pascalCase(method)}Request`;
      const fields: FieldModel[] = params.map((p, index) => ({
        name: p.name,
        no: index + 1,
        type: p.type,
        cardinality: p.collection ?? "singular",
        ...(p.mapKey !== undefined ? { mapKey: p.mapKey } : {}),
        ...(p.invalidMapKey !== undefined ? { invalidMapKey: p.invalidMapKey } : {}),
        doc: p.doc,
        pos: p.pos,
      }));
      messages.push({
        fullName: `${pkg}.${name}`,
        package: pkg,
        name,
        doc: `Request of the \`${moduleType ?? pkg}\` gate handler \`${wireName}\`.`,
        fields,
        synthetic: true,
        pos,
      });
      handlerParams = [{ name: "request", type: typeRef(name, scope), doc: "", pos }];
    } else if (requestParams) {
      handlerParams = requestParams;
    }

    return {
      method,
      wireName,
      mode,
      gate,
      params: handlerParams,
      result,
      ...(resultCollection ? { resultCollection } : {}),
      ...(timeoutMs !== undefined && timeoutMs > 0 ? { timeoutMs } : {}),
      retrySafe: boolValue(h.get("retrySafe"), `retrySafe of '${method}'`) ?? false,
      doc: docValue(h.get("doc")),
      pos,
      wirePos,
      resultPos: returnsPair ? valuePos(returnsPair) : pos,
    };
  }

  function parseParam(item: Node, method: string, listPos: SourcePos): ParamModel | undefined {
    const pos = nodePos(item, listPos);
    if (!isMap(item)) {
      report(pos, `each param of '${method}' must be a mapping like - name: string`);
      return undefined;
    }
    const keys = item.items.map(keyName);
    let name: string;
    let typeText: string | undefined;
    let typePos: SourcePos;
    let doc = "";
    if (item.items.length === 1) {
      const pair = item.items[0] as Pair;
      name = keyName(pair);
      typeText = stringValue(pair, `type of param '${name}'`);
      typePos = valuePos(pair);
    } else if (keys.includes("name") && keys.includes("type")) {
      const p = entries(item, ["name", "type", "doc"], `a param of '${method}'`);
      name = stringValue(p.get("name"), "param name") ?? "";
      typeText = stringValue(p.get("type"), `type of param '${name}'`);
      const typePair = p.get("type") as Pair;
      typePos = valuePos(typePair);
      doc = docValue(p.get("doc"));
    } else {
      report(pos, `a param of '${method}' must be '- name: type' or have name, type and doc`);
      return undefined;
    }
    if (typeText === undefined) return undefined;
    const expr = parseTypeExpr(typeText, typePos);
    if (!expr) return undefined;
    if (expr.cardinality === "optional") {
      report(typePos, `param '${name}' of '${method}' cannot be optional ('${typeText}'); mqant params are positional`);
      return undefined;
    }
    return { name, type: expr.type, doc, pos, ...collectionOf(expr), ...mapKeyOf(expr) };
  }

  return {
    model: {
      files: [{ path, syntax: "yaml", package: pkg }],
      modules,
      messages,
      enums,
    },
    diagnostics,
  };
}

function collectionOf(expr: TypeExpr): { collection?: "repeated" | "map" } {
  return expr.cardinality === "repeated" || expr.cardinality === "map" ? { collection: expr.cardinality } : {};
}

function mapKeyOf(expr: TypeExpr): { mapKey?: ScalarKind; invalidMapKey?: string } {
  if (expr.mapKey === undefined) return {};
  return isMapKeyKind(expr.mapKey) ? { mapKey: expr.mapKey } : { invalidMapKey: expr.mapKey };
}

const MAP_KEY_KINDS: readonly string[] = ["bool", "int32", "int64", "uint32", "uint64", "string"];

export function isMapKeyKind(kind: string): kind is ScalarKind {
  return MAP_KEY_KINDS.includes(kind);
}

function typeRef(name: string, scope: string): TypeRef {
  if ((SCALAR_KINDS as readonly string[]).includes(name)) return { kind: "scalar", scalar: name as ScalarKind };
  if (name === "map") return { kind: "map" };
  if (name === "mapstr") return { kind: "mapstr" };
  if (name === "void") return { kind: "void" };
  return { kind: "ref", name, scope };
}

