/** The `messages:` and `enums:` sections of a YAML schema. */
import type { EnumModel, EnumValueModel, FieldModel, MessageModel, ReservedModel, SourcePos } from "../../model.js";
import type { Node, YAMLMap, YamlReader } from "./reader.js";
import { mapKeyOf, parseTypeExpr } from "./types.js";

const FIELD_KEYS = ["type", "no", "doc", "deprecated", "oneof"];
const ENUM_KEYS = ["doc", "values"];
const MESSAGE_KEYS = ["doc", "fields", "reserved", "deprecated"];
const MAX_FIELD_NUMBER = 536_870_911;

function parseFields(r: YamlReader, map: YAMLMap, scope: string): FieldModel[] {
  const fields: FieldModel[] = [];
  map.items.forEach((pair, index) => {
    const name = r.keyName(pair);
    const pos = r.keyPos(pair);
    const value = pair.value as Node | null;
    let typeText: string | undefined;
    let typePos = r.valuePos(pair);
    let no = index + 1;
    let doc = "";
    let deprecated: boolean | undefined;
    let oneof: string | undefined;
    if (r.isScalar(value) && typeof value.value === "string") {
      typeText = value.value;
    } else if (r.isMap(value)) {
      const f = r.entries(value, FIELD_KEYS, `field '${name}'`);
      typeText = r.stringValue(f.get("type"), `type of field '${name}'`);
      const typePair = f.get("type");
      if (typePair) typePos = r.valuePos(typePair);
      else r.report(pos, `field '${name}' has no type`);
      no = r.intValue(f.get("no"), `field number of '${name}'`) ?? no;
      doc = r.docValue(f.get("doc"));
      deprecated = r.boolValue(f.get("deprecated"), `deprecated of field '${name}'`);
      const oneofPair = f.get("oneof");
      oneof = r.stringValue(oneofPair, `oneof of field '${name}'`);
      if (oneofPair && oneof !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(oneof)) {
        r.report(r.valuePos(oneofPair), `oneof '${oneof}' of field '${name}' must be an identifier`);
        oneof = undefined;
      }
    } else {
      r.report(typePos, `field '${name}' must be a type (e.g. string) or a mapping with type, no, doc`);
    }
    if (typeText === undefined) return;
    const expr = parseTypeExpr(r, typeText, typePos, scope);
    if (!expr) return;
    if (expr.type.kind === "map" || expr.type.kind === "mapstr" || expr.type.kind === "void") {
      r.report(typePos, `field '${name}': '${typeText}' is only valid as a handler param or result; use map<string, T>`);
      return;
    }
    if (oneof !== undefined && expr.cardinality !== "singular" && expr.cardinality !== "optional") {
      r.report(typePos, `field '${name}' of oneof '${oneof}' must be a single value, not '${typeText}' (as in protobuf)`);
      return;
    }
    fields.push({
      name,
      no,
      type: expr.type,
      // A member of a oneof has presence, as in protobuf.
      cardinality: oneof !== undefined ? "optional" : expr.cardinality,
      ...(oneof !== undefined ? { oneof } : {}),
      ...(deprecated ? { deprecated } : {}),
      doc,
      pos,
      ...mapKeyOf(expr),
    });
  });
  // A oneof is one property of the message, so it may not share a field's name.
  const clashing = new Set<string>();
  for (const field of fields) {
    if (field.oneof !== undefined && !clashing.has(field.oneof) && fields.some((other) => other.name === field.oneof)) {
      clashing.add(field.oneof);
      r.report(field.pos, `oneof '${field.oneof}' of field '${field.name}' has the name of a field of the same message`);
    }
  }
  return fields;
}

/**
 * `reserved: [2, "9-11", old_name]` keeps numbers and names of deleted fields from being reused (carried in
 * the model for `mqgen breaking`); a field that uses one is an error here, as protoc makes it for .proto.
 */
function parseReserved(r: YamlReader, node: Node, message: string, at: SourcePos, fields: readonly FieldModel[]): ReservedModel | undefined {
  if (!r.isSeq(node)) {
    r.report(r.nodePos(node, at), `reserved of message '${message}' must be a list of field numbers, "from-to" ranges and names`);
    return undefined;
  }
  const numbers: [number, number][] = [];
  const names: string[] = [];
  for (const item of node.items) {
    const itemNode = item as Node;
    const value = r.isScalar(itemNode) ? itemNode.value : undefined;
    const range = typeof value === "string" ? /^\s*(\d+)\s*(?:-|to)\s*(\d+|max)\s*$/.exec(value) : null;
    if (typeof value === "number" && Number.isInteger(value) && value >= 1) numbers.push([value, value]);
    else if (range !== null && (range[2] === "max" || Number(range[1]) <= Number(range[2]))) {
      numbers.push([Number(range[1]), range[2] === "max" ? MAX_FIELD_NUMBER : Number(range[2])]);
    } else if (typeof value === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) names.push(value);
    else r.report(r.nodePos(itemNode, at), `reserved entry of message '${message}' must be a field number, a "from-to" range or a name`);
  }
  for (const field of fields) {
    if (numbers.some(([from, to]) => field.no >= from && field.no <= to)) {
      r.report(field.pos, `field '${field.name}' of message '${message}' uses reserved number ${field.no}`);
    }
    if (names.includes(field.name)) r.report(field.pos, `field name '${field.name}' of message '${message}' is reserved`);
  }
  return numbers.length > 0 || names.length > 0 ? { numbers, names } : undefined;
}

export function parseMessages(r: YamlReader, section: Node | null, sectionPos: SourcePos, pkg: string): MessageModel[] {
  const messages: MessageModel[] = [];
  if (!r.isMap(section)) {
    r.report(r.nodePos(section, sectionPos), "messages must be a mapping of message name to its definition");
    return messages;
  }
  for (const pair of section.items) {
    const name = r.keyName(pair);
    const pos = r.keyPos(pair);
    const body = pair.value as Node | null;
    let fields: FieldModel[] = [];
    let doc = "";
    let reserved: ReservedModel | undefined;
    let deprecated: boolean | undefined;
    if (r.isMap(body)) {
      const m = r.entries(body, MESSAGE_KEYS, `message '${name}'`);
      doc = r.docValue(m.get("doc"));
      deprecated = r.boolValue(m.get("deprecated"), `deprecated of message '${name}'`);
      const fieldsNode = m.get("fields")?.value as Node | null | undefined;
      if (r.isMap(fieldsNode)) fields = parseFields(r, fieldsNode, pkg);
      else if (!r.isEmpty(fieldsNode)) r.report(r.nodePos(fieldsNode, pos), `fields of message '${name}' must be a mapping of name: type`);
      const reservedNode = m.get("reserved")?.value as Node | null | undefined;
      if (reservedNode != null) reserved = parseReserved(r, reservedNode, name, pos, fields);
    } else if (!r.isEmpty(body)) {
      r.report(r.nodePos(body, pos), `message '${name}' must be a mapping with doc and fields`);
    }
    messages.push({
      fullName: `${pkg}.${name}`,
      package: pkg,
      name,
      doc,
      fields,
      synthetic: false,
      ...(reserved ? { reserved } : {}),
      ...(deprecated ? { deprecated } : {}),
      pos,
    });
  }
  return messages;
}

export function parseEnums(r: YamlReader, section: Node | null, sectionPos: SourcePos, pkg: string): EnumModel[] {
  const enums: EnumModel[] = [];
  if (!r.isMap(section)) {
    r.report(r.nodePos(section, sectionPos), "enums must be a mapping of enum name to its values");
    return enums;
  }
  for (const pair of section.items) {
    const name = r.keyName(pair);
    const pos = r.keyPos(pair);
    const body = pair.value as Node | null;
    const values: EnumValueModel[] = [];
    let doc = "";
    if (r.isSeq(body)) {
      body.items.forEach((item, index) => {
        const itemNode = item as Node;
        if (r.isScalar(itemNode) && typeof itemNode.value === "string") {
          values.push({ name: itemNode.value, number: index, doc: "", pos: r.nodePos(itemNode, pos) });
        } else {
          r.report(r.nodePos(itemNode, pos), `values of enum '${name}' must be names`);
        }
      });
    } else if (r.isMap(body)) {
      const e = r.entries(body, ENUM_KEYS, `enum '${name}'`);
      doc = r.docValue(e.get("doc"));
      const valuesNode = e.get("values")?.value as Node | null | undefined;
      if (r.isMap(valuesNode)) {
        for (const v of valuesNode.items) {
          const number = r.intValue(v, `value of ${name}.${r.keyName(v)}`);
          if (number !== undefined) values.push({ name: r.keyName(v), number, doc: "", pos: r.keyPos(v) });
        }
      } else {
        r.report(pos, `enum '${name}' needs values: a mapping of NAME: number`);
      }
    } else {
      r.report(r.nodePos(body, pos), `enum '${name}' must be a list of names or a mapping with doc and values`);
    }
    enums.push({ fullName: `${pkg}.${name}`, package: pkg, name, doc, values, pos });
  }
  return enums;
}
