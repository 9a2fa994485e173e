/** YAML type expressions: `string`, `Foo`, `pkg.Foo`, `Foo[]`, `string?`, `map<string, Foo>`. */
import type { Cardinality, ScalarKind, SourcePos, TypeRef } from "../../model.js";
import { isMapKeyKind, SCALAR_KINDS } from "../../model.js";
import type { YamlReader } from "./reader.js";

export interface TypeExpr {
  readonly type: TypeRef;
  readonly cardinality: Cardinality;
  readonly mapKey?: string;
}

const TYPE_EXPR = /^(?:map<\s*([A-Za-z0-9_.]+)\s*,\s*([A-Za-z0-9_.]+)\s*>|([A-Za-z_][A-Za-z0-9_.]*)(\[\]|\?)?)$/;

export function parseTypeExpr(reader: YamlReader, text: string, pos: SourcePos, scope: string): TypeExpr | undefined {
  const match = TYPE_EXPR.exec(text.trim());
  if (!match) {
    reader.report(pos, `cannot parse type '${text}' (expected e.g. string, Foo, pkg.Foo, Foo[], string?, map<string, Foo>)`);
    return undefined;
  }
  if (match[1] !== undefined && match[2] !== undefined) {
    return { type: typeRef(match[2], scope), cardinality: "map", mapKey: match[1] };
  }
  const suffix = match[4];
  return {
    type: typeRef(match[3] ?? "", scope),
    cardinality: suffix === "[]" ? "repeated" : suffix === "?" ? "optional" : "singular",
  };
}

export function typeRef(name: string, scope: string): TypeRef {
  if ((SCALAR_KINDS as readonly string[]).includes(name)) return { kind: "scalar", scalar: name as ScalarKind };
  if (name === "map") return { kind: "map" };
  if (name === "mapstr") return { kind: "mapstr" };
  if (name === "void") return { kind: "void" };
  return { kind: "ref", name, scope };
}

export function collectionOf(expr: TypeExpr): { collection?: "repeated" | "map" } {
  return expr.cardinality === "repeated" || expr.cardinality === "map" ? { collection: expr.cardinality } : {};
}

export function mapKeyOf(expr: TypeExpr): { mapKey?: ScalarKind; invalidMapKey?: string } {
  if (expr.mapKey === undefined) return {};
  return isMapKeyKind(expr.mapKey) ? { mapKey: expr.mapKey } : { invalidMapKey: expr.mapKey };
}
