/**
 * Skeleton sync: keeps hand-written module implementations in step with the schema. A module without an
 * implementation file gets a starter file; an existing class gets a method stub for each handler it lacks.
 * ts-morph is used only to read the user's code (find the class, its members, its imports); changes are
 * text insertions at positions it reports, so every byte the user wrote stays as it was.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { Project } from "ts-morph";
import type { ClassDeclaration, SourceFile } from "ts-morph";
import type { HandlerModel, ModuleModel, SchemaModel, TypeRef } from "../model.js";
import { compareStrings } from "../model.js";
import { moduleNames } from "../emit/index.js";
import type { ModuleNames } from "../emit/index.js";
import { builtinTsType, jsdoc, wrapList } from "../emit/naming.js";
import { packageFileStem, safeIdentifier, safeParam, safeProperty, stringLiteral } from "../names.js";
import { indexTypes } from "../types-index.js";
import type { TypeIndex } from "../types-index.js";

export interface SyncOptions {
  /** Folder of the implementation files (`<module>.module.ts`). */
  readonly implDir: string;
  /** Folder of the generated code, imported by relative path. */
  readonly outDir: string;
  /** Told about an implementation file that exists but has no class to update. */
  readonly onSkip?: (path: string, reason: string) => void;
}

/** Needed type names, by the module specifier they are imported from. */
export interface Needs {
  readonly runtimeTypes: Set<string>;
  /** specifier → names; the module's own package comes from its module file, others from their types file. */
  readonly generatedTypes: Map<string, Set<string>>;
  /** The import specifier of a package's declarations, seen from the implementation file. */
  readonly specifierOf: (pkg: string) => string;
}

function need(needs: Needs, specifier: string, name: string): void {
  const names = needs.generatedTypes.get(specifier) ?? new Set<string>();
  names.add(name);
  needs.generatedTypes.set(specifier, names);
}

function typeName(ref: TypeRef, index: TypeIndex, needs: Needs): string {
  if (ref.kind !== "ref") return builtinTsType(ref);
  const fullName = ref.resolved?.fullName ?? ref.name;
  const decl = index.messages.get(fullName) ?? index.enums.get(fullName);
  const name = safeIdentifier(decl?.name ?? fullName);
  need(needs, needs.specifierOf(decl?.package ?? ""), name);
  return name;
}

/**
 * The method stub for one handler, indented for a class body, without surrounding blank lines. The stub
 * uses none of its parameters, so they start with `_` (clean under `noUnusedParameters`).
 */
function methodStub(module: ModuleModel, handler: HandlerModel, index: TypeIndex, needs: Needs): string {
  const params: string[] = [];
  if (handler.gate) {
    needs.runtimeTypes.add("Session");
    params.push("_session: Session");
  }
  const binding = moduleNames(module).binding;
  for (const p of handler.params) params.push(`_${safeParam(p.name, binding)}: ${typeName(p.type, index, needs)}`);
  needs.runtimeTypes.add("CallContext");
  params.push("_ctx: CallContext");
  const result = typeName(handler.result, index, needs);
  return [
    wrapList("  ", safeProperty(handler.method), params, `: ${result} {`),
    `    throw new Error(${stringLiteral(`not implemented: ${module.type}.${handler.method}`)});`,
    "  }",
  ].join("\n");
}

function fileSpecifier(implDir: string, outDir: string, file: string): string {
  const rel = relative(implDir, join(outDir, file)).split(sep).join("/");
  return rel.startsWith(".") ? rel : `./${rel}`;
}

function needsFor(module: ModuleModel, options: SyncOptions, moduleSpecifier: string): Needs {
  return {
    runtimeTypes: new Set(),
    generatedTypes: new Map(),
    specifierOf: (pkg) =>
      pkg === module.package ? moduleSpecifier : fileSpecifier(options.implDir, options.outDir, `${packageFileStem(pkg)}.types.js`),
  };
}

function importLines(needs: Needs, imported: ReadonlySet<string> = new Set()): string[] {
  const lines: string[] = [];
  const runtime = [...needs.runtimeTypes].filter((n) => !imported.has(n));
  if (runtime.length > 0) lines.push(`import type { ${sortedList(runtime)} } from "mqgen/runtime";`);
  for (const specifier of [...needs.generatedTypes.keys()].sort(compareStrings)) {
    const names = [...(needs.generatedTypes.get(specifier) as Set<string>)].filter((n) => !imported.has(n));
    if (names.length > 0) lines.push(`import type { ${sortedList(names)} } from "${specifier}";`);
  }
  return lines;
}

function sortedList(names: Iterable<string>): string {
  return [...names].sort(compareStrings).join(", ");
}

function starterFile(module: ModuleModel, index: TypeIndex, names: ModuleNames, needs: Needs, specifier: string): string {
  needs.runtimeTypes.add("Module");
  needs.runtimeTypes.add("ModuleContext");
  need(needs, specifier, names.handlersInterface);
  const methods = module.handlers.map((h) => methodStub(module, h, index, needs));
  const types = importLines(needs);
  const doc = jsdoc(module.doc, "");
  const lines = [
    types[0] as string,
    `import { ${names.registerFunction} } from "${specifier}";`,
    ...types.slice(1),
    "",
    `${doc}export class ${names.moduleClass} implements Module, ${names.handlersInterface} {`,
    `  readonly type = ${stringLiteral(module.type)};`,
    `  readonly version = ${stringLiteral(module.version)};`,
    "",
    "  onInit(ctx: ModuleContext): void {",
    `    ${names.registerFunction}(ctx.server, this);`,
    "  }",
    ...methods.flatMap((m) => ["", m]),
    "}",
    "",
  ];
  return lines.join("\n");
}

function findClass(file: SourceFile, names: ModuleNames): ClassDeclaration | undefined {
  const classes = file.getClasses();
  return (
    classes.find((c) => c.getImplements().some((i) => i.getExpression().getText() === names.handlersInterface)) ??
    classes.find((c) => c.getName() === names.moduleClass)
  );
}

function hasModuleClass(text: string, names: ModuleNames, project: Project): boolean {
  return findClass(project.createSourceFile(`/impl/${names.file}.check.ts`, text, { overwrite: true }), names) !== undefined;
}

interface Insertion {
  readonly at: number;
  readonly text: string;
}

/** Adds stubs for missing handlers; returns the new text, or undefined when nothing was missing. */
export function addMissingMethods(
  text: string,
  module: ModuleModel,
  index: TypeIndex,
  names: ModuleNames,
  needs: Needs,
  project: Project = new Project({ useInMemoryFileSystem: true }),
): string | undefined {
  const file = project.createSourceFile(`/impl/${names.file}.module.ts`, text, { overwrite: true });
  const cls = findClass(file, names);
  if (!cls) return undefined;
  const existing = new Set(cls.getMembers().flatMap((m) => ("getName" in m && typeof m.getName === "function" ? [String(m.getName())] : [])));
  const missing = module.handlers.filter((h) => !existing.has(safeProperty(h.method)));
  if (missing.length === 0) return undefined;
  const stubs = missing.map((h) => methodStub(module, h, index, needs));

  const insertions: Insertion[] = [];
  const closing = cls.getEnd() - 1;
  const lineStart = text.lastIndexOf("\n", closing - 1) + 1;
  const onOwnLine = text.slice(lineStart, closing).trim() === "";
  const body = stubs.map((s) => `\n${s}\n`).join("");
  insertions.push(onOwnLine ? { at: lineStart, text: body } : { at: closing, text: `${body}` });

  const imported = new Set<string>();
  for (const decl of file.getImportDeclarations()) {
    for (const named of decl.getNamedImports()) imported.add(named.getAliasNode()?.getText() ?? named.getName());
  }
  const newImports = importLines(needs, imported);
  if (newImports.length > 0) {
    const imports = file.getImportDeclarations();
    const last = imports[imports.length - 1];
    if (last) {
      const end = last.getEnd();
      insertions.push({ at: end, text: `\n${newImports.join("\n")}` });
    } else {
      insertions.push({ at: 0, text: `${newImports.join("\n")}\n\n` });
    }
  }
  let out = text;
  for (const ins of insertions.sort((a, b) => b.at - a.at)) out = out.slice(0, ins.at) + ins.text + out.slice(ins.at);
  return out;
}

/** Creates or updates `<implDir>/<module>.module.ts` for every module; returns the files it wrote. */
export function syncSkeletons(model: SchemaModel, options: SyncOptions): string[] {
  const index = indexTypes(model);
  const project = new Project({ useInMemoryFileSystem: true });
  const written: string[] = [];
  for (const module of model.modules) {
    const names = moduleNames(module);
    const path = join(options.implDir, `${names.file}.module.ts`);
    const specifier = fileSpecifier(options.implDir, options.outDir, `${names.file}.js`);
    const needs = needsFor(module, options, specifier);
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, starterFile(module, index, names, needs, specifier));
      written.push(path);
      continue;
    }
    const text = readFileSync(path, "utf8");
    const updated = addMissingMethods(text, module, index, names, needs, project);
    if (updated === undefined && !hasModuleClass(text, names, project)) {
      options.onSkip?.(path, `no class implementing ${names.handlersInterface} or named ${names.moduleClass}; not updated`);
    }
    if (updated !== undefined && updated !== text) {
      writeFileSync(path, updated);
      written.push(path);
    }
  }
  return written;
}
