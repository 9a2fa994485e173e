/** The `handlers:` and `pushes:` sections of a YAML schema. */
import type { FieldModel, HandlerModel, HandlerMode, MessageModel, ParamModel, PushModel, SourcePos, TypeRef } from "../../model.js";
import { pascalCase } from "../../names.js";
import type { Node, Pair, YamlReader } from "./reader.js";
import { collectionOf, mapKeyOf, parseTypeExpr, typeRef } from "./types.js";

const HANDLER_KEYS = ["wire", "doc", "mode", "gate", "params", "request", "returns", "timeoutMs", "retrySafe", "deprecated"];
const PUSH_KEYS = ["type", "topic", "doc"];

/** Where a section's handlers land: the module they belong to and the file's package. */
export interface HandlerScope {
  readonly moduleType: string;
  readonly pkg: string;
  /** Synthetic request messages of gate handlers are added here. */
  readonly messages: MessageModel[];
}

export function parseHandlers(r: YamlReader, pair: Pair, scope: HandlerScope): HandlerModel[] {
  const value = pair.value as Node | null;
  if (!r.isMap(value)) {
    r.report(r.valuePos(pair), "handlers must be a mapping of method name to its definition");
    return [];
  }
  const handlers: HandlerModel[] = [];
  for (const item of value.items) {
    const handler = parseHandler(r, item, scope);
    if (handler) handlers.push(handler);
  }
  return handlers;
}

function parseHandler(r: YamlReader, pair: Pair, scope: HandlerScope): HandlerModel | undefined {
  const method = r.keyName(pair);
  const pos = r.keyPos(pair);
  const body = pair.value as Node | null;
  let h = new Map<string, Pair>();
  if (r.isMap(body)) h = r.entries(body, HANDLER_KEYS, `handler '${method}'`);
  else if (!r.isEmpty(body)) {
    r.report(r.nodePos(body, pos), `handler '${method}' must be a mapping (wire, params, returns, mode, gate, ...)`);
    return undefined;
  }
  const { pkg } = scope;
  const gate = r.boolValue(h.get("gate"), `gate of '${method}'`) ?? false;
  const wirePair = h.get("wire");
  const wireName = r.stringValue(wirePair, `wire name of '${method}'`) ?? (gate ? `HD_${method}` : `/${method}`);
  const wirePos = wirePair ? r.valuePos(wirePair) : pos;
  const modePair = h.get("mode");
  let mode: HandlerMode = "concurrent";
  const modeText = r.stringValue(modePair, `mode of '${method}'`);
  if (modeText !== undefined) {
    if (modeText === "serial" || modeText === "concurrent") mode = modeText;
    else if (modePair) r.report(r.valuePos(modePair), `mode of '${method}' must be serial or concurrent, not '${modeText}'`);
  }
  const timeoutPair = h.get("timeoutMs");
  const timeoutMs = r.intValue(timeoutPair, `timeoutMs of '${method}'`);
  if (timeoutMs !== undefined && timeoutMs <= 0 && timeoutPair) {
    r.report(r.valuePos(timeoutPair), `timeoutMs of '${method}' must be a positive number of milliseconds`);
  }

  const params: ParamModel[] = [];
  const paramsPair = h.get("params");
  if (paramsPair) {
    const list = paramsPair.value as Node | null;
    if (r.isSeq(list)) {
      for (const item of list.items) {
        const param = parseParam(r, item as Node, method, r.valuePos(paramsPair), pkg);
        if (param) params.push(param);
      }
    } else if (!(r.isScalar(list) && list.value === null)) {
      r.report(r.valuePos(paramsPair), `params of '${method}' must be a list (its order is the wire order), e.g. - name: string`);
    }
  }

  const requestPair = h.get("request");
  let requestParams: ParamModel[] | undefined;
  if (requestPair) {
    if (!gate) r.report(r.keyPos(requestPair), `'request' is for gate handlers; '${method}' takes params`);
    else if (paramsPair) r.report(r.keyPos(requestPair), `handler '${method}' has both params and request; keep one`);
    else {
      const text = r.stringValue(requestPair, `request of '${method}'`);
      const expr = text === undefined ? undefined : parseTypeExpr(r, text, r.valuePos(requestPair), pkg);
      if (expr) requestParams = [{ name: "request", type: expr.type, doc: "", pos: r.valuePos(requestPair), ...collectionOf(expr) }];
    }
  }

  let result: TypeRef = { kind: "void" };
  let resultCollection: "repeated" | "map" | undefined;
  const returnsPair = h.get("returns");
  const returnsText = r.stringValue(returnsPair, `returns of '${method}'`);
  if (returnsText !== undefined && returnsPair) {
    const expr = parseTypeExpr(r, returnsText, r.valuePos(returnsPair), pkg);
    if (expr) {
      result = expr.type;
      if (expr.cardinality === "repeated" || expr.cardinality === "map") resultCollection = expr.cardinality;
      else if (expr.cardinality === "optional") {
        r.report(r.valuePos(returnsPair), `returns of '${method}' cannot be optional ('${returnsText}')`);
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
    scope.messages.push({
      fullName: `${pkg}.${name}`,
      package: pkg,
      name,
      doc: `Request of the \`${scope.moduleType}\` gate handler \`${wireName}\`.`,
      fields,
      synthetic: true,
      pos,
    });
    handlerParams = [{ name: "request", type: typeRef(name, pkg), doc: "", pos }];
  } else if (requestParams) {
    handlerParams = requestParams;
  }
  const deprecated = r.boolValue(h.get("deprecated"), `deprecated of '${method}'`);

  return {
    method,
    schemaName: method,
    wireName,
    mode,
    gate,
    params: handlerParams,
    result,
    ...(resultCollection ? { resultCollection } : {}),
    ...(timeoutMs !== undefined && timeoutMs > 0 ? { timeoutMs } : {}),
    retrySafe: r.boolValue(h.get("retrySafe"), `retrySafe of '${method}'`) ?? false,
    doc: r.docValue(h.get("doc")),
    pos,
    wirePos,
    resultPos: returnsPair ? r.valuePos(returnsPair) : pos,
    ...(deprecated ? { deprecated } : {}),
  };
}

function parseParam(r: YamlReader, item: Node, method: string, listPos: SourcePos, pkg: string): ParamModel | undefined {
  const pos = r.nodePos(item, listPos);
  if (!r.isMap(item)) {
    r.report(pos, `each param of '${method}' must be a mapping like - name: string`);
    return undefined;
  }
  const keys = item.items.map((p) => r.keyName(p));
  let name: string;
  let typeText: string | undefined;
  let typePos: SourcePos;
  let doc = "";
  if (item.items.length === 1) {
    const pair = item.items[0] as Pair;
    name = r.keyName(pair);
    typeText = r.stringValue(pair, `type of param '${name}'`);
    typePos = r.valuePos(pair);
  } else if (keys.includes("name") && keys.includes("type")) {
    const p = r.entries(item, ["name", "type", "doc"], `a param of '${method}'`);
    name = r.stringValue(p.get("name"), "param name") ?? "";
    typeText = r.stringValue(p.get("type"), `type of param '${name}'`);
    typePos = r.valuePos(p.get("type") as Pair);
    doc = r.docValue(p.get("doc"));
  } else {
    r.report(pos, `a param of '${method}' must be '- name: type' or have name, type and doc`);
    return undefined;
  }
  if (typeText === undefined) return undefined;
  const expr = parseTypeExpr(r, typeText, typePos, pkg);
  if (!expr) return undefined;
  if (expr.cardinality === "optional") {
    r.report(typePos, `param '${name}' of '${method}' cannot be optional ('${typeText}'); mqant params are positional`);
    return undefined;
  }
  return { name, type: expr.type, doc, pos, ...collectionOf(expr), ...mapKeyOf(expr) };
}

export function parsePushes(r: YamlReader, pair: Pair, moduleType: string, pkg: string): PushModel[] {
  const value = pair.value as Node | null;
  if (!r.isMap(value)) {
    r.report(r.valuePos(pair), "pushes must be a mapping of push name to its message type");
    return [];
  }
  const pushes: PushModel[] = [];
  for (const item of value.items) {
    const name = r.keyName(item);
    const pos = r.keyPos(item);
    const body = item.value as Node | null;
    let typeText: string | undefined;
    let typePos = r.valuePos(item);
    let topic = `${moduleType}/${name}`;
    let doc = "";
    if (r.isScalar(body) && typeof body.value === "string") {
      typeText = body.value;
    } else if (r.isMap(body)) {
      const p = r.entries(body, PUSH_KEYS, `push '${name}'`);
      typeText = r.stringValue(p.get("type"), `type of push '${name}'`);
      const typePair = p.get("type");
      if (typePair) typePos = r.valuePos(typePair);
      else r.report(pos, `push '${name}' has no type`);
      topic = r.stringValue(p.get("topic"), `topic of push '${name}'`) ?? topic;
      doc = r.docValue(p.get("doc"));
    } else {
      r.report(typePos, `push '${name}' must be a message type or a mapping with type, topic, doc`);
    }
    if (typeText === undefined) continue;
    const expr = parseTypeExpr(r, typeText, typePos, pkg);
    if (!expr) continue;
    if (expr.cardinality !== "singular") {
      r.report(typePos, `push '${name}' must carry one message, not '${typeText}'`);
      continue;
    }
    pushes.push({ name, topic, type: expr.type, doc, pos });
  }
  return pushes;
}
