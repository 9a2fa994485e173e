/**
 * Naming rules shared by the parsers, the validator and the emitters. Schema names are escaped, never
 * refused (protobuf-es' `safeIdentifier` / `safeObjectProperty` are the model): a name that cannot be used as
 * it is gets a `$` suffix, which no .proto identifier can contain, so an escaped name never meets a written one
 * from a .proto file. The wire keeps the name as written; only the TypeScript side changes.
 */

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Names that cannot be a binding or declaration in a strict-mode ES module or a TypeScript type position,
 * plus the globals and utility types generated code refers to, so a schema type cannot shadow them.
 */
const RESERVED_IDENTIFIERS = new Set([
  // ECMAScript keywords and strict-mode reserved words
  "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else", "enum",
  "export", "extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof", "new", "null",
  "return", "super", "switch", "this", "throw", "true", "try", "typeof", "var", "void", "while", "with", "yield",
  "let", "static", "implements", "interface", "package", "private", "protected", "public", "await", "arguments",
  "eval", "undefined", "NaN", "Infinity",
  // TypeScript names that cannot declare a type
  "any", "bigint", "boolean", "never", "number", "object", "string", "symbol", "unknown", "type",
  // globals and types the generated files use
  "globalThis", "Object", "Array", "Uint8Array", "Promise", "Record", "Readonly", "Partial", "Error", "JSON",
  "TextDecoder", "Symbol", "BigInt",
]);

/** Bindings the generated client and server code declares next to schema params. */
const GENERATED_BINDINGS = new Set(["options", "ctx", "args", "session", "rpc", "impl", "server"]);

/** Names generated files declare or import next to schema types. */
const GENERATED_DECLARATIONS = new Set([
  "field", "scalar", "defineMessage", "defineEnum", "MessageType", "EnumType", "FieldDescriptor", "FieldType",
  "ScalarKind", "ModuleDescriptor", "HandlerDescriptor", "PushDescriptor", "ModuleServer", "RpcCaller", "CallContext",
  "CallOptions", "Session", "GateClient", "GateCallOptions", "Module", "ModuleContext",
]);

/**
 * Property and method names that would mean something else on a plain object or a class: everything
 * `Object.prototype` has (a message without the field would read the inherited one, `__proto__` would set the
 * prototype), `constructor` (a class's constructor), `then` (makes a client or message a thenable, so `await`
 * on it never settles), `toJSON` (JSON.stringify would call it) and `new` (in an interface, `new(…)` is a
 * construct signature, not a method).
 */
const RESERVED_PROPERTIES = new Set([
  "constructor", "__proto__", "__defineGetter__", "__defineSetter__", "__lookupGetter__", "__lookupSetter__",
  "hasOwnProperty", "isPrototypeOf", "propertyIsEnumerable", "toLocaleString", "toString", "valueOf", "then", "new",
  "toJSON",
]);

export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/** A declaration (message, enum, module binding): reserved words and the names generated code uses get `$`. */
export function safeIdentifier(name: string): string {
  return RESERVED_IDENTIFIERS.has(name) || GENERATED_DECLARATIONS.has(name) ? `${name}$` : name;
}

/** A parameter binding next to the generated code's own (`ctx`, `options`, …) and the module's binding. */
export function safeParam(name: string, moduleBinding: string): string {
  return RESERVED_IDENTIFIERS.has(name) || GENERATED_BINDINGS.has(name) || name === moduleBinding ? `${name}$` : name;
}

/** An object property or class member (handler method, field, enum value, push). */
export function safeProperty(name: string): string {
  return RESERVED_PROPERTIES.has(name) ? `${name}$` : name;
}

function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0);
}

/** `say_hi` / `say-hi` / `sayHi` → `SayHi`. */
export function pascalCase(name: string): string {
  return words(name)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
}

/** `SayHi` / `say_hi` → `sayHi`; keeps an already camel-cased name unchanged. */
export function camelCase(name: string): string {
  const pascal = pascalCase(name);
  return pascal.charAt(0).toLowerCase() + pascal.slice(1);
}

/** A module type as a TypeScript binding (`helloworld`, `chat-room` → `chatRoom`, `delete` → `delete$`). */
export function moduleBinding(type: string): string {
  return safeIdentifier(isIdentifier(type) ? type : camelCase(type));
}

/** Longest file stem mqgen writes; most file systems allow 255 bytes per name, and `.types.ts` must fit. */
export const MAX_FILE_STEM = 200;

/** Module type → file stem under the output folder (the validator keeps it to letters, digits, `_`, `-`). */
export function moduleFileStem(type: string): string {
  return type;
}

/**
 * Package → file stem of its types file. Packages are dotted identifiers (checked by the validator), so the
 * stem never holds a path separator or `..`; the types of files without a package go to `no-package`, which
 * no package can be called (`-` is not an identifier character).
 */
export function packageFileStem(pkg: string): string {
  return pkg === "" ? "no-package" : pkg;
}

/** A dotted package name as protoc allows it: `game`, `game.v1`, `_x.y2`. */
export function isPackageName(pkg: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(pkg);
}

/**
 * One string-literal escaper for everything emitted: JSON's escaping is a valid JavaScript string literal
 * (quotes, backslashes, control characters, lone surrogates), and U+2028/U+2029 are escaped too so the
 * output reads the same in every editor.
 */
export function stringLiteral(value: string): string {
  return JSON.stringify(value).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** Text for a `//` or `/** *\/` comment: control characters (a newline would end a line comment) shown escaped. */
export function commentText(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`).replace(/\*\//g, "*\\/");
}
