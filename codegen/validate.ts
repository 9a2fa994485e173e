/**
 * Semantic checks over the whole model at once: every problem that would otherwise surface as a confusing
 * compile error in generated code or a failed call at run time is reported as `file:line:col: message`,
 * all of them in one run. Also resolves type references (the only mutation of the model).
 */
import type {
  Diagnostic,
  EnumModel,
  HandlerModel,
  MessageModel,
  ModuleModel,
  SchemaModel,
  SourcePos,
  TypeRef,
} from "./model.js";
import { compareDiagnostics } from "./model.js";
import { validateEvents } from "./validate-events.js";
import { isIdentifier, MAX_FILE_STEM, moduleBinding, moduleFileStem, packageFileStem, pascalCase, safeIdentifier } from "./names.js";

const MODULE_TYPE = /^[A-Za-z][A-Za-z0-9_-]*$/;
const MAX_FIELD_NUMBER = 536_870_911;
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;
/** Scalars the gate can carry inside its JSON envelope without losing precision or meaning. */
const GATE_RESULT_SCALARS = new Set(["string", "bool", "int32", "uint32", "float", "double"]);

export function validateModel(model: SchemaModel): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const report = (pos: SourcePos, message: string): void => {
    diagnostics.push({ file: pos.file, line: pos.line, col: pos.col, message });
  };
  const at = (pos: SourcePos): string => `${pos.file}:${pos.line}:${pos.col}`;

  const types = new Map<string, MessageModel | EnumModel>();
  const messages = new Map<string, MessageModel>();
  const enums = new Map<string, EnumModel>();
  for (const declared of [...model.messages, ...model.enums]) {
    const previous = types.get(declared.fullName);
    if (previous) {
      const synthetic = [previous, declared].find((d) => "synthetic" in d && d.synthetic);
      const written = [previous, declared].find((d) => d !== synthetic);
      if (synthetic && written) {
        report(written.pos, `message '${written.name}' has the name mqgen gives the request of the gate handler at ${at(synthetic.pos)}; rename it, or use it as that handler's request: ${written.name}`);
      } else {
        report(declared.pos, `duplicate type '${declared.fullName}' (first declared at ${at(previous.pos)})`);
      }
      continue;
    }
    types.set(declared.fullName, declared);
    if ("fields" in declared) messages.set(declared.fullName, declared);
    else enums.set(declared.fullName, declared);
  }

  const resolve = (ref: TypeRef, pos: SourcePos): void => {
    if (ref.kind !== "ref") return;
    const name = ref.name.replace(/^\./, "");
    const found = types.get(`${ref.scope}.${name}`) ?? types.get(name);
    if (!found) {
      if (name.startsWith("google.protobuf.")) {
        report(pos, `well-known type '${name}' is not supported (Timestamp, Duration, Empty, the wrappers, Struct, Value, ListValue, FieldMask and Any are, imported from a .proto); declare a message of your own`);
      } else {
        report(pos, `unknown type '${ref.name}'`);
      }
      return;
    }
    ref.resolved = { target: "fields" in found ? "message" : "enum", fullName: found.fullName };
  };

  // A package names a generated file; one too long for a file system is refused here, not by a write error.
  const stemReported = new Set<string>();
  for (const declared of [...model.messages, ...model.enums]) {
    const stem = packageFileStem(declared.package);
    if (stem.length > MAX_FILE_STEM && !stemReported.has(stem)) {
      stemReported.add(stem);
      report(declared.pos, `package '${declared.package.slice(0, 40)}…' is ${stem.length} characters long; it names a generated file, so at most ${MAX_FILE_STEM}`);
    }
  }

  // Generated declarations share one namespace per package: `Foo`, and `FooType` for an enum `Foo`. Names
  // that cannot be declared as written (`Promise`, `delete`, `field`) are escaped (`Promise$`), not refused.
  const declaredNames = new Map<string, SourcePos>();
  for (const declared of [...model.messages, ...model.enums]) {
    if (!isIdentifier(declared.name)) {
      report(declared.pos, `'${declared.name}' is not a valid type name`);
      continue;
    }
    const local = safeIdentifier(declared.name);
    const names = "fields" in declared ? [local] : [local, `${local}Type`];
    for (const name of names) {
      const key = `${declared.package}\u0000${name}`;
      const previous = declaredNames.get(key);
      if (previous && types.get(declared.fullName) === declared) {
        report(declared.pos, `'${name}' clashes with a declaration at ${at(previous)} in package '${declared.package}'`);
      } else declaredNames.set(key, declared.pos);
    }
  }

  for (const message of model.messages) {
    const names = new Map<string, SourcePos>();
    const numbers = new Map<number, string>();
    for (const field of message.fields) {
      const where = message.synthetic ? `param '${field.name}'` : `field '${field.name}'`;
      if (!isIdentifier(field.name)) {
        report(field.pos, `${where} of ${message.name}: '${field.name}' is not a valid identifier`);
      }
      const previous = names.get(field.name);
      if (previous) report(field.pos, `duplicate ${where} in ${message.name} (first at ${at(previous)})`);
      else names.set(field.name, field.pos);
      if (!message.synthetic) {
        if (field.no < 1 || field.no > MAX_FIELD_NUMBER) {
          report(field.pos, `field number ${field.no} of '${field.name}' is out of range 1..${MAX_FIELD_NUMBER}`);
        } else if (field.no >= 19000 && field.no <= 19999) {
          report(field.pos, `field number ${field.no} of '${field.name}' is in the range 19000-19999 reserved by protobuf`);
        }
        const owner = numbers.get(field.no);
        if (owner !== undefined && owner !== field.name) {
          report(field.pos, `field number ${field.no} of '${field.name}' is already used by '${owner}' in ${message.name}`);
        } else numbers.set(field.no, field.name);
      }
      if (field.invalidMapKey !== undefined) {
        report(field.pos, `${where}: map key type '${field.invalidMapKey}' cannot be a key (use string, bool or an integer type)`);
      }
      resolve(field.type, field.pos);
    }
  }

  // Enum values are siblings of their enum (C++ scoping, as protoc has it): unique in the enclosing scope.
  const siblings = new Map<string, { pos: SourcePos; enumName: string }>();
  for (const e of model.enums) {
    const first = e.values[0];
    if (!first) report(e.pos, `enum '${e.name}' has no values`);
    else if (first.number !== 0) {
      report(first.pos, `the first value of enum '${e.name}' must be 0 (proto3), not ${first.number}`);
    }
    const scope = e.fullName.slice(0, Math.max(e.fullName.lastIndexOf("."), 0));
    const names = new Map<string, SourcePos>();
    const numbers = new Map<number, string>();
    let aliased = false;
    for (const value of e.values) {
      if (!isIdentifier(value.name)) report(value.pos, `enum value '${value.name}' is not a valid identifier`);
      if (!Number.isInteger(value.number) || value.number < INT32_MIN || value.number > INT32_MAX) {
        report(value.pos, `enum value ${value.name} = ${value.number} is out of range: enum values are int32 (${INT32_MIN}..${INT32_MAX})`);
      }
      const previous = names.get(value.name);
      if (previous) report(value.pos, `duplicate enum value '${value.name}' in ${e.name} (first at ${at(previous)})`);
      else {
        names.set(value.name, value.pos);
        const key = `${scope}\u0000${value.name}`;
        const sibling = siblings.get(key);
        if (sibling !== undefined && sibling.enumName !== e.fullName) {
          report(value.pos, `"${value.name}" is already defined in "${scope}" by enum ${sibling.enumName} (at ${at(sibling.pos)}); enum values are siblings of their enum (C++ scoping), so "${value.name}" must be unique within "${scope}", not just within "${e.name}"`);
        } else siblings.set(key, { pos: value.pos, enumName: e.fullName });
      }
      const owner = numbers.get(value.number);
      if (owner !== undefined) {
        aliased = true;
        if (!e.allowAlias) {
          report(value.pos, `"${value.name}" uses the same enum value as "${owner}" (${value.number}); if this is intended, set 'option allow_alias = true;' on enum ${e.name}`);
        }
      } else numbers.set(value.number, value.name);
    }
    if (e.allowAlias && !aliased) report(e.pos, `enum ${e.name} declares 'option allow_alias = true;' but has no aliasing values`);
  }

  const typesByPackage = new Map<string, (MessageModel | EnumModel)[]>();
  for (const declared of [...model.messages, ...model.enums]) {
    const list = typesByPackage.get(declared.package) ?? [];
    list.push(declared);
    typesByPackage.set(declared.package, list);
  }
  const moduleTypes = new Map<string, ModuleModel>();
  for (const module of model.modules) {
    if (!MODULE_TYPE.test(module.type)) {
      report(module.pos, `module type '${module.type}' must start with a letter and contain only letters, digits, '_' and '-'`);
    } else if (moduleFileStem(module.type).length > MAX_FILE_STEM) {
      report(module.pos, `module type '${module.type.slice(0, 40)}…' is ${module.type.length} characters long; it names a generated file, so at most ${MAX_FILE_STEM}`);
    }
    const previous = moduleTypes.get(module.type);
    if (previous) report(module.pos, `duplicate module type '${module.type}' (first declared at ${at(previous.pos)})`);
    else moduleTypes.set(module.type, module);
    if (module.version.trim() === "") report(module.pos, `module '${module.type}' needs a version`);
    const pascal = pascalCase(module.type);
    const generated = new Set([moduleBinding(module.type), `${pascal}Client`, `${pascal}Handlers`, `register${pascal}`, `${pascal}GateClient`]);
    // Only modules with events get the class, so a type of that name elsewhere stays valid.
    if (module.events.length > 0) generated.add(`${pascal}Events`);
    for (const declared of typesByPackage.get(module.package) ?? []) {
      if (generated.has(safeIdentifier(declared.name))) {
        report(declared.pos, `'${declared.name}' clashes with a name generated for module '${module.type}'; rename the type`);
      }
    }
    validateHandlers(module);
    const pushNames = new Map<string, SourcePos>();
    const topics = new Map<string, string>();
    for (const push of module.pushes) {
      if (!isIdentifier(push.name)) {
        report(push.pos, `push name '${push.name}' is not a valid identifier`);
      }
      const previous = pushNames.get(push.name);
      if (previous) report(push.pos, `duplicate push '${push.name}' (first at ${at(previous)})`);
      else pushNames.set(push.name, push.pos);
      if (push.topic.trim() === "") report(push.pos, `push '${push.name}' needs a topic`);
      const owner = topics.get(push.topic);
      if (owner !== undefined) report(push.pos, `push '${push.name}' uses topic '${push.topic}' of push '${owner}'`);
      else topics.set(push.topic, push.name);
      resolve(push.type, push.pos);
      if (push.type.kind !== "ref" || (push.type.resolved && push.type.resolved.target !== "message")) {
        report(push.pos, `push '${push.name}' must carry a message`);
      }
    }
  }

  validateEvents(model.modules, { report, resolve, at });

  function validateHandlers(module: ModuleModel): void {
    const methods = new Map<string, HandlerModel>();
    const wires = new Map<string, string>();
    for (const handler of module.handlers) {
      const previous = methods.get(handler.method);
      if (!isIdentifier(handler.method)) report(handler.pos, `handler name '${handler.method}' is not a valid identifier`);
      if (previous && previous.schemaName !== handler.schemaName) {
        report(handler.pos, `handlers '${previous.schemaName}' (at ${at(previous.pos)}) and '${handler.schemaName}' of module '${module.type}' both become method '${handler.method}'; rename one`);
      } else if (previous) report(handler.pos, `duplicate handler '${handler.method}' in module '${module.type}' (first at ${at(previous.pos)})`);
      else methods.set(handler.method, handler);
      const owner = wires.get(handler.wireName);
      if (owner !== undefined && owner !== handler.method) {
        report(handler.wirePos, `wire name '${handler.wireName}' of '${handler.method}' is already used by '${owner}' in module '${module.type}'`);
      } else wires.set(handler.wireName, handler.method);
      if (handler.wireName === "" || /\s/.test(handler.wireName)) {
        report(handler.wirePos, `wire name '${handler.wireName}' of '${handler.method}' must be non-empty without spaces`);
      }
      if (handler.gate && !handler.wireName.startsWith("HD_")) {
        report(handler.wirePos, `gate handler '${handler.method}' must have a wire name starting with HD_ (mqant routes only HD_ handlers from clients), not '${handler.wireName}'`);
      } else if (!handler.gate && handler.wireName.startsWith("HD_")) {
        report(handler.wirePos, `wire name '${handler.wireName}' starts with HD_ but '${handler.method}' is not a gate handler; set gate: true or rename it`);
      }
      validateSignature(handler);
    }
    // Every handler also gets a fire-and-forget method `<name>NR` on the typed client.
    for (const handler of module.handlers) {
      const nr = module.handlers.find((h) => h.method === `${handler.method}NR`);
      if (nr !== undefined) report(nr.pos, `handler name '${nr.method}' collides with the fire-and-forget method generated for '${handler.method}'`);
    }
  }

  function validateSignature(handler: HandlerModel): void {
    const names = new Map<string, SourcePos>();
    for (const param of handler.params) {
      if (!isIdentifier(param.name)) {
        report(param.pos, `param '${param.name}' of '${handler.method}' is not a valid identifier`);
      }
      const previous = names.get(param.name);
      if (previous) report(param.pos, `duplicate param '${param.name}' of '${handler.method}' (first at ${at(previous)})`);
      else names.set(param.name, param.pos);
      resolve(param.type, param.pos);
      if (param.collection) {
        report(param.pos, `param '${param.name}' of '${handler.method}' is a ${param.collection === "map" ? "map" : "list"}; mqant has no such argument type, wrap it in a message`);
      } else if (param.type.kind === "void") {
        report(param.pos, `param '${param.name}' of '${handler.method}' cannot be void`);
      } else if (handler.gate && !(param.type.kind === "ref" && (param.type.resolved === undefined || param.type.resolved.target === "message"))) {
        report(param.pos, `the request of gate handler '${handler.method}' must be a message (it travels as one JSON object)`);
      }
    }
    const resultPos = handler.resultPos;
    resolve(handler.result, resultPos);
    if (handler.resultCollection) {
      report(resultPos, `result of '${handler.method}' is a ${handler.resultCollection === "map" ? "map" : "list"}; mqant has no such result type, wrap it in a message`);
    } else if (handler.gate) {
      const r = handler.result;
      const ok = r.kind === "void" || r.kind === "ref" || (r.kind === "scalar" && GATE_RESULT_SCALARS.has(r.scalar));
      if (!ok) {
        report(resultPos, `result of gate handler '${handler.method}' must be a message, void or one of ${[...GATE_RESULT_SCALARS].join(", ")} (it travels inside the gate's JSON reply)`);
      }
    }
  }

  return diagnostics.sort(compareDiagnostics);
}
