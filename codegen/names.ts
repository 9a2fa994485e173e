/** Naming rules shared by the parsers, the validator and the emitters. */

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Words that cannot name a parameter, property-less binding or declaration in strict-mode ES modules, plus
 * the names generated code itself binds (`options`, `ctx`, ...) so a schema cannot shadow them.
 */
const RESERVED = new Set([
  "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else", "enum",
  "export", "extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof", "new", "null",
  "return", "super", "switch", "this", "throw", "true", "try", "typeof", "var", "void", "while", "with", "yield",
  "let", "static", "implements", "interface", "package", "private", "protected", "public", "await", "arguments",
  "eval", "undefined", "NaN", "Infinity",
]);

/** Names the generated client and server code uses next to schema params. */
const GENERATED_BINDINGS = new Set(["options", "ctx", "args", "session", "rpc", "impl", "server"]);

/**
 * Names generated files declare or import next to schema types; a message or enum may not take them.
 */
const GENERATED_DECLARATIONS = new Set([
  "field", "scalar", "defineMessage", "defineEnum", "MessageType", "EnumType", "FieldDescriptor", "FieldType",
  "ScalarKind", "ModuleDescriptor", "ModuleServer", "RpcCaller", "CallContext", "CallOptions", "Session",
  "GateClient", "GateCallOptions", "Module", "ModuleContext",
]);

export function isGeneratedDeclaration(name: string): boolean {
  return GENERATED_DECLARATIONS.has(name);
}

export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

export function isReservedWord(name: string): boolean {
  return RESERVED.has(name);
}

export function isGeneratedBinding(name: string): boolean {
  return GENERATED_BINDINGS.has(name);
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

/** A module type as a TypeScript binding (`helloworld`, `chat-room` → `chatRoom`). */
export function moduleBinding(type: string): string {
  return isIdentifier(type) ? type : camelCase(type);
}

/** Module type → file stem under the output folder. */
export function moduleFileStem(type: string): string {
  return type;
}

/** Package → file stem of its types file. */
export function packageFileStem(pkg: string): string {
  return pkg;
}
