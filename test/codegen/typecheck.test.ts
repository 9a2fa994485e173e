// The generated code type-checks under strict, and its types reject wrong calls and wrong implementations:
// every `@ts-expect-error` below must be used, or tsc fails.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { generate } from "../../codegen/index.js";
import { syncSkeletons } from "../../codegen/sync/skeleton.js";

const ROOT = resolve(".");

const NEGATIVE = `import type { CallContext, ModuleServer, RpcCaller } from "mqgen/runtime";
import { HelloworldClient, helloworld as helloworldDescriptor } from "./generated/helloworld.js";
import type { HelloworldHandlers } from "./generated/helloworld.js";
import { ChatGateClient, SayRequest } from "./generated/chat.gate.js";

declare const rpc: RpcCaller;
const helloworld = new HelloworldClient(rpc);

// @ts-expect-error sayHi takes a string name
void helloworld.sayHi(42);
// @ts-expect-error the reply is a string, not a number
export const wrongReply: Promise<number> = helloworld.sayHi("mqant");
export const reply: Promise<string> = helloworld.sayHi("mqant", { timeout: 500, signal: AbortSignal.timeout(1000) });

// The descriptor carries the handler's types into the runtime's typed calls and registrations.
const sayHi = helloworldDescriptor.handlers.sayHi;
export const typedReply: Promise<string> = rpc.callHandler(helloworldDescriptor, sayHi, ["mqant"]);
// @ts-expect-error the descriptor takes a string name
void rpc.callHandler(helloworldDescriptor, sayHi, [42]);
// @ts-expect-error the descriptor takes exactly one argument
void rpc.callHandlerNR(helloworldDescriptor, sayHi, ["a", "b"]);
declare const server: ModuleServer;
server.registerHandler(helloworldDescriptor, sayHi, (args) => args[0].toUpperCase());
// @ts-expect-error a handler registered through the descriptor answers a string
server.registerHandler(helloworldDescriptor, sayHi, (args) => args[0].length);

export class WrongReturn implements HelloworldHandlers {
  // @ts-expect-error an implementation must return a string (or a promise of one)
  sayHi(name: string, ctx: CallContext): number {
    return name.length + ctx.deadline;
  }
}

export const asyncImpl: HelloworldHandlers = {
  sayHi: async (name) => \`hi \${name}\`,
};

declare const gateClient: ChatGateClient;
export const said = gateClient.say({ text: "hello" });
// @ts-expect-error the request needs its text
void gateClient.say({});
// @ts-expect-error a push listener receives a ChatMessage
gateClient.onMessage((push: { nope: string }) => push);
export const request: SayRequest = { text: "x" };
`;

test("generated code (examples and kitchen sink), starter implementations and a negative-type file pass tsc --noEmit under strict", () => {
  const dir = mkdtempSync(join(tmpdir(), "mqgen-typecheck-"));
  try {
    const write = (folder: string, files: Map<string, string>): void => {
      mkdirSync(join(dir, folder), { recursive: true });
      for (const [path, text] of files) writeFileSync(join(dir, folder, path), text);
    };
    const examples = generate({ schemaDir: "schemas" });
    const kitchen = generate({ schemaDir: "test/fixtures/codegen/kitchen" });
    assert.deepEqual([...examples.diagnostics, ...kitchen.diagnostics], []);
    write("generated", examples.files);
    write("kitchen", kitchen.files);
    const starters = syncSkeletons(examples.model, { implDir: join(dir, "impl"), outDir: join(dir, "generated") });
    assert.equal(starters.length, 3);
    syncSkeletons(kitchen.model, { implDir: join(dir, "kitchen-impl"), outDir: join(dir, "kitchen") });
    writeFileSync(join(dir, "negative.ts"), NEGATIVE);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          lib: ["ES2023", "DOM"],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          isolatedModules: true,
          verbatimModuleSyntax: true,
          types: ["node"],
          typeRoots: [join(ROOT, "node_modules/@types")],
          paths: {
            "mqgen/runtime": [join(ROOT, "runtime/index.ts")],
            "mqgen/gate-client": [join(ROOT, "runtime/gate/client/index.ts")],
          },
        },
        include: ["**/*.ts"],
      }),
    );
    const tsc = spawnSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", dir], {
      encoding: "utf8",
    });
    assert.equal(tsc.status, 0, `tsc failed:\n${tsc.stdout}${tsc.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("generated code and starter implementations compile under @tsconfig/strictest with lib and target ES2022", () => {
  const dir = mkdtempSync(join(tmpdir(), "mqgen-strictest-"));
  try {
    for (const [folder, schemaDir] of [
      ["examples", "schemas"],
      ["kitchen", "test/fixtures/codegen/kitchen"],
      ["hostile", "test/fixtures/codegen/hostile"],
      ["game", "test/fixtures/codegen/game"],
      ["differential", "test/fixtures/codegen/differential"],
      ["yaml-wkt", "test/fixtures/codegen/yaml-wkt"],
      ["events", "test/model/fixtures/events/schemas"],
    ] as const) {
      const result = generate({ schemaDir });
      assert.deepEqual(result.diagnostics, [], schemaDir);
      mkdirSync(join(dir, folder), { recursive: true });
      for (const [path, text] of result.files) writeFileSync(join(dir, folder, path), text);
      syncSkeletons(result.model, { implDir: join(dir, `${folder}-impl`), outDir: join(dir, folder) });
    }
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        extends: join(ROOT, "node_modules/@tsconfig/strictest/tsconfig.json"),
        compilerOptions: {
          target: "ES2022",
          lib: ["ES2022"],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          noEmit: true,
          verbatimModuleSyntax: true,
          types: ["node"],
          typeRoots: [join(ROOT, "node_modules/@types")],
          paths: {
            "mqgen/runtime": [join(ROOT, "runtime/index.ts")],
            "mqgen/gate-client": [join(ROOT, "runtime/gate/client/index.ts")],
          },
        },
        include: ["**/*.ts"],
      }),
    );
    writeFileSync(join(dir, "probe.ts"), "export const probe: number = undefined as unknown as number | undefined;\n");
    const tsc = spawnSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "--noEmit", "--pretty", "false", "-p", "."], {
      encoding: "utf8",
      cwd: dir,
    });
    const output = `${tsc.stdout}${tsc.stderr}`;
    // tsc runs in the temp folder, so its files print as relative paths and the runtime's (brought in through
    // `paths`; its strictness is the published .d.ts's concern) as paths outside it.
    const errors = output.split("\n").filter((line) => /^[^\s].*\(\d+,\d+\): error TS/.test(line));
    const ours = errors.filter((line) => !line.startsWith("../") && !line.startsWith("/"));
    // The probe proves errors in this folder are seen; nothing else of ours may fail.
    assert.deepEqual(ours.filter((line) => line.startsWith("probe.ts")).length, 1, output);
    assert.deepEqual(ours.filter((line) => !line.startsWith("probe.ts")), []);

  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
