// Skeleton sync: starter files for new modules, method stubs for new handlers, user code left byte for byte.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { generate } from "../../codegen/index.js";
import type { SchemaSource } from "../../codegen/index.js";
import { syncSkeletons } from "../../codegen/sync/skeleton.js";

const V1 = `module: greeter
version: 1.0.0
doc: Greets people.
handlers:
  hello:
    params:
      - name: string
    returns: string
`;

const V2 = `${V1}  farewell:
    gate: true
    params:
      - name: string
      - polite: bool
    returns: Parting
messages:
  Parting:
    fields:
      text: string
`;

function modelOf(text: string): ReturnType<typeof generate>["model"] {
  const sources: SchemaSource[] = [{ path: "schemas/greeter.yaml", text }];
  const result = generate({ schemaDir: "schemas", sources });
  assert.deepEqual(result.diagnostics, []);
  return result.model;
}

test("a new module gets a starter implementation that registers itself", () => {
  const dir = mkdtempSync(join(tmpdir(), "mqgen-skeleton-"));
  try {
    const written = syncSkeletons(modelOf(V1), { implDir: join(dir, "src"), outDir: join(dir, "generated") });
    const path = join(dir, "src", "greeter.module.ts");
    assert.deepEqual(written, [path]);
    assert.equal(
      readFileSync(path, "utf8"),
      `import type { CallContext, Module, ModuleContext } from "mqgen/runtime";
import { registerGreeter } from "../generated/greeter.js";
import type { GreeterHandlers } from "../generated/greeter.js";

/** Greets people. */
export class GreeterModule implements Module, GreeterHandlers {
  readonly type = "greeter";
  readonly version = "1.0.0";

  onInit(ctx: ModuleContext): void {
    registerGreeter(ctx.server, this);
  }

  hello(_name: string, _ctx: CallContext): string {
    throw new Error("not implemented: greeter.hello");
  }
}
`,
    );
    // Re-running with the same schema changes nothing.
    assert.deepEqual(syncSkeletons(modelOf(V1), { implDir: join(dir, "src"), outDir: join(dir, "generated") }), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const USER_CODE = `// My greeter. Formatting below is deliberately unusual.
import type {CallContext, Module, ModuleContext} from "mqgen/runtime";
import { registerGreeter, type GreeterHandlers } from "../generated/greeter.js";

const greeting   =   "hi";

export class GreeterModule implements Module, GreeterHandlers {
  readonly type = "greeter";
  readonly version = "1.0.0";
  private count = 0;

  onInit(ctx: ModuleContext): void { registerGreeter(ctx.server, this); }

  /* keep this comment */
  hello(name: string, _ctx: CallContext): string {
    this.count++;
    return \`\${greeting} \${name} #\${this.count}\`;
  }
}

export const after = 1; // code after the class stays too
`;

test("a handler added to the schema adds only its method stub (and imports) to the user's class", () => {
  const dir = mkdtempSync(join(tmpdir(), "mqgen-skeleton-"));
  try {
    const path = join(dir, "src", "greeter.module.ts");
    syncSkeletons(modelOf(V1), { implDir: join(dir, "src"), outDir: join(dir, "generated") });
    writeFileSync(path, USER_CODE);
    const written = syncSkeletons(modelOf(V2), { implDir: join(dir, "src"), outDir: join(dir, "generated") });
    assert.deepEqual(written, [path]);
    const updated = readFileSync(path, "utf8");
    const insertedImports = `\nimport type { Session } from "mqgen/runtime";\nimport type { FarewellRequest, Parting } from "../generated/greeter.js";`;
    const stub = `
  farewell(_session: Session, _request: FarewellRequest, _ctx: CallContext): Parting {
    throw new Error("not implemented: greeter.farewell");
  }
`;
    const importsEnd = USER_CODE.indexOf('"../generated/greeter.js";') + '"../generated/greeter.js";'.length;
    const classEnd = USER_CODE.indexOf("}\n\nexport const after");
    const expected =
      USER_CODE.slice(0, importsEnd) + insertedImports + USER_CODE.slice(importsEnd, classEnd) + stub + USER_CODE.slice(classEnd);
    assert.equal(updated, expected);
    // Removing exactly the inserted text gives back the user's file byte for byte.
    assert.equal(updated.replace(insertedImports, "").replace(stub, ""), USER_CODE);
    // Once present, the method is never touched again, whatever its body.
    writeFileSync(path, updated.replace('throw new Error("not implemented: greeter.farewell");', "return { text: `bye ${request.text}` };"));
    const before = readFileSync(path, "utf8");
    assert.deepEqual(syncSkeletons(modelOf(V2), { implDir: join(dir, "src"), outDir: join(dir, "generated") }), []);
    assert.equal(readFileSync(path, "utf8"), before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a file without the module's class is left alone", () => {
  const dir = mkdtempSync(join(tmpdir(), "mqgen-skeleton-"));
  try {
    const path = join(dir, "src", "greeter.module.ts");
    syncSkeletons(modelOf(V1), { implDir: join(dir, "src"), outDir: join(dir, "generated") });
    const unrelated = "export const nothingHere = true;\n";
    writeFileSync(path, unrelated);
    const skipped: string[] = [];
    const options = { implDir: join(dir, "src"), outDir: join(dir, "generated"), onSkip: (p: string, why: string) => skipped.push(`${p}: ${why}`) };
    assert.deepEqual(syncSkeletons(modelOf(V2), options), []);
    assert.deepEqual(skipped, [`${path}: no class implementing GreeterHandlers or named GreeterModule; not updated`]);
    assert.equal(readFileSync(path, "utf8"), unrelated);
    assert.ok(existsSync(path));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
