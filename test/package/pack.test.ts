/**
 * mqgen as another project gets it: `npm pack` (prepack builds), the tarball unpacked into a new app's
 * node_modules with mqgen's dependencies linked from this checkout (no registry), then what a user does —
 * `npx mqgen init`, generate, type-check under @tsconfig/strictest, build, run with plain node in one
 * process and split over two processes on a real nats-server. publint and arethetypeswrong run on the
 * same tarball.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { NatsServer } from "../support/nats-server.js";

const repo = resolve(import.meta.dirname, "..", "..");
const repoModules = realpathSync(join(repo, "node_modules"));
const ownPackage = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { version: string; dependencies: Record<string, string> };

let work: string;
let tarball: string;
/** Where the tarball is installed: node_modules/mqgen plus its dependencies. */
let install: string;
/** The project `mqgen init` made inside `install` (it resolves packages from its parent's node_modules). */
let app: string;
let packedFiles: string[];
const children: ChildProcess[] = [];

function run(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  // Under node's test runner this process carries NODE_TEST_CONTEXT, which would make the new project's own
  // `node --test` report to a parent runner in its binary protocol instead of printing its summary.
  const { NODE_TEST_CONTEXT: _runnerContext, ...inherited } = process.env;
  const result = spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    env: { ...inherited, NATS_URL: "", MQGEN_REGISTRY: "", npm_config_update_notifier: "false", ...env },
    timeout: 120_000,
  });
  if (result.error !== undefined) throw result.error;
  return result;
}

function ok(result: SpawnSyncReturns<string>, what: string): string {
  assert.equal(result.status, 0, `${what} exited ${result.status ?? result.signal}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** The packages `names` need at run time, found in this checkout's (hoisted) node_modules. */
function closure(names: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...names];
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (seen.has(name)) continue;
    const manifest = join(repoModules, name, "package.json");
    // A dependency that is not hoisted lives inside its dependent's own node_modules, linked with it.
    if (!existsSync(manifest)) continue;
    seen.add(name);
    const json = JSON.parse(readFileSync(manifest, "utf8")) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    queue.push(...Object.keys(json.dependencies ?? {}), ...Object.keys(json.optionalDependencies ?? {}));
  }
  return seen;
}

/** Starts `node args` in the app, collecting its output; `until` resolves once a line matches. */
function start(args: readonly string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; output: () => string; until(pattern: RegExp, ms?: number): Promise<void>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, args, {
    cwd: app,
    env: { ...process.env, NATS_URL: "", MQGEN_REGISTRY: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    for (const waiter of [...waiters]) waiter();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<number | null>((resolveExit) => child.once("exit", (code) => resolveExit(code)));
  return {
    child,
    output: () => output,
    exited,
    until: (pattern, ms = 30_000) =>
      new Promise<void>((resolveWait, reject) => {
        const check = (): void => {
          if (!pattern.test(output)) return;
          cleanup();
          resolveWait();
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${pattern} within ${ms} ms; output:\n${output}`));
        }, ms);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        void exited.then(() => {
          if (waiters.has(check)) {
            cleanup();
            if (pattern.test(output)) resolveWait();
            else reject(new Error(`exited before ${pattern}; output:\n${output}`));
          }
        });
        waiters.add(check);
        check();
      }),
  };
}

before(() => {
  work = mkdtempSync(join(tmpdir(), "mqgen-pack-"));
  // Real `npm pack`: its prepack script builds dist/ with the declarations.
  const packed = JSON.parse(ok(run("npm", ["pack", "--json", "--pack-destination", work], repo), "npm pack")) as { filename: string; files: { path: string }[] }[];
  const entry = packed[0];
  assert.ok(entry !== undefined);
  tarball = join(work, entry.filename);
  packedFiles = entry.files.map((f) => f.path);

  install = join(work, "install");
  const mqgenDir = join(install, "node_modules", "mqgen");
  mkdirSync(mqgenDir, { recursive: true });
  ok(run("tar", ["xzf", tarball, "-C", mqgenDir, "--strip-components=1"], work), "tar");
  // Only what the published dependencies need, plus the app's dev tools: a type or module that mqgen uses
  // without depending on it (say @types/ws, a devDependency here) is then missing, as for a real user.
  const needed = closure([...Object.keys(ownPackage.dependencies), "typescript", "@tsconfig/strictest", "@types/node"]);
  for (const name of needed) {
    const link = join(install, "node_modules", name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(repoModules, name), link, "dir");
  }
  mkdirSync(join(install, "node_modules", ".bin"));
  symlinkSync("../mqgen/bin/mqgen.js", join(install, "node_modules", ".bin", "mqgen"));
  symlinkSync("../typescript/bin/tsc", join(install, "node_modules", ".bin", "tsc"));
  // A CommonJS package (npm init's default), to show what require() says.
  writeFileSync(join(install, "package.json"), `${JSON.stringify({ name: "install", private: true }, null, 2)}\n`);
  app = join(install, "my-app");
});

after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once("exit", r)) : undefined)));
  rmSync(work, { recursive: true, force: true });
});

test("the tarball holds dist with declarations, the bin, proto, README and LICENSE, and no sources or tests", () => {
  for (const path of ["package.json", "README.md", "LICENSE", "bin/mqgen.js", "cjs/esm-only.cjs", "proto/mqgen/options.proto", "dist/runtime/index.js", "dist/runtime/index.d.ts", "dist/runtime/gate/client/index.d.ts", "dist/codegen/cli/main.js"]) {
    assert.ok(packedFiles.includes(path), `${path} is packed`);
  }
  const stray = packedFiles.filter(
    (p) => !/^(package\.json|README\.md|LICENSE|bin\/mqgen\.js|cjs\/esm-only\.d?\.?cjs|cjs\/esm-only\.d\.cts|proto\/.+\.proto|dist\/(runtime|codegen)\/.+\.(js|d\.ts))$/.test(p),
  );
  assert.deepEqual(stray, []);
  assert.match(readFileSync(join(install, "node_modules", "mqgen", "LICENSE"), "utf8"), /Apache License\s+Version 2\.0/);
});

test("publint and arethetypeswrong report nothing on the tarball", () => {
  const publint = ok(run(process.execPath, [join(repoModules, "publint", "src", "cli.js"), tarball, "--strict"], work), "publint");
  assert.match(publint, /All good!/);
  const attw = run(process.execPath, [join(repoModules, "@arethetypeswrong", "cli", "dist", "index.js"), tarball, "--format", "json"], work);
  const report = JSON.parse(attw.stdout) as { analysis: { problems: unknown[] } };
  assert.deepEqual(report.analysis.problems, [], attw.stdout);
  assert.equal(attw.status, 0, attw.stderr);
});

test("npx mqgen: --version, --help once, and the bin runs without tsx", () => {
  assert.ok(!existsSync(join(install, "node_modules", "tsx")), "tsx is not installed next to the package");
  assert.equal(ok(run("npx", ["--no-install", "mqgen", "--version"], install), "mqgen --version").trim(), ownPackage.version);
  const help = ok(run("npx", ["--no-install", "mqgen", "--help"], install), "mqgen --help");
  assert.equal(help.match(/^Exit codes:/gm)?.length, 1, help);
  assert.equal(help.match(/^Usage: mqgen \[schemas\/\]/gm)?.length, 1, help);
  assert.match(help, /^ {2}init {2,}start a project/m);
});

test("the installed CLI generates from a .proto schema that imports mqgen/options.proto (shipped in proto/)", () => {
  const dir = join(install, "proto-schema");
  mkdirSync(join(dir, "schemas"), { recursive: true });
  copyFileSync(join(repo, "schemas", "rpctest.proto"), join(dir, "schemas", "rpctest.proto"));
  const out = ok(run("npx", ["--no-install", "mqgen", "schemas", "-o", "generated"], dir), "mqgen on rpctest.proto");
  assert.match(out, /written/);
  assert.match(readFileSync(join(dir, "generated", "rpctest.ts"), "utf8"), /wireName: "\/test\/proto"/);
});

test("importing mqgen/runtime loads no codegen dependency; require() says mqgen is ESM-only", () => {
  // Every module the import resolves, ESM (resolve hook) and CommonJS (require.cache).
  const hooks = join(install, "record-hooks.mjs");
  writeFileSync(
    hooks,
    `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.RECORD_FILE, result.url + "\\n");
  return result;
}
`,
  );
  const record = join(install, "loaded.txt");
  const script = `import { register, createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { appendFileSync } from "node:fs";
register(pathToFileURL(${JSON.stringify(hooks)}));
const runtime = await import("mqgen/runtime");
if (typeof runtime.createApp !== "function") throw new Error("no createApp");
const require = createRequire(import.meta.url);
appendFileSync(process.env.RECORD_FILE, Object.keys(require.cache).join("\\n") + "\\n");
`;
  ok(run(process.execPath, ["--input-type=module", "-e", script], install, { RECORD_FILE: record }), "import mqgen/runtime");
  const loaded = readFileSync(record, "utf8").split("\n").filter((l) => l !== "");
  assert.ok(loaded.some((l) => l.includes("/node_modules/mqgen/dist/runtime/index.js")), "the runtime was loaded from the tarball");
  assert.ok(loaded.some((l) => /\/nats\//.test(l)), "its own dependencies were recorded");
  const codegen = loaded.filter((l) => /\/(ts-morph|handlebars|yaml|@ts-morph)\/|\/protobufjs\/src\/parse|\/mqgen\/dist\/codegen\//.test(l));
  assert.deepEqual(codegen, []);

  const required = run(process.execPath, ["-e", 'require("mqgen/runtime")'], install);
  assert.equal(required.status, 1);
  assert.match(required.stderr, /mqgen is ESM-only; use import \/ "type": "module"/);
  assert.match(required.stderr, /ERR_MQGEN_ESM_ONLY/);
});

/** A folder of `install` with its own package.json and tsconfig (strictest, ES2022, NodeNext) and `files`; tsc's error lines. */
function typeCheck(name: string, compilerOptions: Record<string, unknown>, files: Readonly<Record<string, string>>): { errors: string[]; output: string; listed: string[] } {
  const dir = join(install, name);
  mkdirSync(dir, { recursive: true });
  // An ES module package: from CommonJS, "mqgen/runtime" resolves to the ESM-only stub's declarations.
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module" }));
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      extends: "@tsconfig/strictest/tsconfig.json",
      compilerOptions: { target: "ES2022", lib: ["ES2022"], module: "NodeNext", moduleResolution: "NodeNext", types: ["node"], noEmit: true, ...compilerOptions },
      include: Object.keys(files),
    }),
  );
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  const tsc = join(repoModules, "typescript", "bin", "tsc");
  const result = run(process.execPath, [tsc, "-p", "tsconfig.json"], dir);
  const listed = run(process.execPath, [tsc, "-p", "tsconfig.json", "--listFilesOnly"], dir).stdout.split("\n").filter((l) => l.trim() !== "");
  return { errors: result.stdout.split("\n").filter((l) => /error TS\d+/.test(l)), output: result.stdout, listed };
}

test("the published declarations compile under @tsconfig/strictest with skipLibCheck off and lib ES2022, and bring in neither nats.js' nor OpenTelemetry's", () => {
  const { errors, output, listed } = typeCheck(
    "declarations",
    { skipLibCheck: false },
    {
      "check.ts": `import * as runtime from "mqgen/runtime";
import * as gateClient from "mqgen/gate-client";
import { createApp, connectNats, traceSpanOf, type App, type AppOptions, type Module, type NatsConnection } from "mqgen/runtime";
const options: AppOptions = { parseFlags: false, env: {} };
const app: App = createApp(options);
const module: Module = {
  type: "m",
  version: "1.0.0",
  onInit(ctx) {
    ctx.log.info({ node: ctx.nodeId }, "started %s", "m");
    ctx.log.child({ part: "x" }).warn("careful");
  },
};
export async function connected(): Promise<string> {
  const nc: NatsConnection = await connectNats({ servers: "nats://127.0.0.1:4222" });
  const again = createApp({ nats: nc, parseFlags: false, env: {} });
  const reply = await nc.request("x", "ping", { timeout: 1_000 });
  return \`\${again.nats?.getServer() ?? ""} \${reply.string()}\`;
}
export const used = [runtime, gateClient, app, module, traceSpanOf()];
`,
    },
  );
  assert.deepEqual(errors, [], output);
  // nats 2.29's own declarations fail exactOptionalPropertyTypes and name TextEncoder without the DOM lib,
  // OpenTelemetry's are some 47 files and pino's 5: the public types name none of them, only structural
  // stand-ins.
  assert.deepEqual(listed.filter((l) => /\/node_modules\/(nats|pino|@opentelemetry\/[^/]+)\//.test(l)), []);
});

test("a user's own nats.js connection, OpenTelemetry spans (API and SDK) and pino logger are accepted by the public types", () => {
  // The user's program imports nats.js and an OpenTelemetry SDK itself (and so checks their declarations
  // under its own skipLibCheck; nats' fail strictest, which is why mqgen's types no longer name them).
  const dir = join(install, "user-objects");
  for (const name of closure(["@opentelemetry/sdk-trace-base"])) {
    if (existsSync(join(install, "node_modules", name))) continue;
    const link = join(dir, "node_modules", name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(repoModules, name), link, "dir");
  }
  const { errors, output } = typeCheck(
    "user-objects",
    { skipLibCheck: true },
    {
      "check.ts": `import { connect, type NatsConnection as NatsJsConnection } from "nats";
import { trace, type Span } from "@opentelemetry/api";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { pino } from "pino";
import { NatsKvRegistry, createApp, traceSpanOf, type App, type Logger, type TraceSpan } from "mqgen/runtime";

export async function withOwnConnection(): Promise<App> {
  const nc: NatsJsConnection = await connect({ servers: "nats://127.0.0.1:4222" });
  const registry = new NatsKvRegistry({ connection: nc, bucket: "mine" });
  const app = createApp({ nats: nc, registry, parseFlags: false, env: {} });
  const sub = app.nats?.subscribe("greet", { queue: "q" });
  if (sub !== undefined) for await (const msg of sub) msg.respond(\`hi \${msg.string()} \${msg.data.length}\`);
  return app;
}

const sdkSpan = new BasicTracerProvider().getTracer("user").startSpan("work");
const apiSpan: Span = trace.wrapSpanContext({ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: 1 });
export const args: TraceSpan[] = [traceSpanOf(sdkSpan), traceSpanOf(apiSpan), traceSpanOf(trace.getActiveSpan())];
export const log: Logger = pino({ level: "warn" }).child({ app: "mine" });
`,
    },
  );
  assert.deepEqual(errors, [], output);
});

test("npx mqgen init writes an ESM project on @tsconfig/strictest, and refuses to write into it again", () => {
  const init = ok(run("npx", ["--no-install", "mqgen", "init", "my-app"], install), "mqgen init");
  assert.match(init, /Next: cd my-app && npm install && npm start/);
  const pkg = JSON.parse(readFileSync(join(app, "package.json"), "utf8")) as { type: string; scripts: Record<string, string>; dependencies: Record<string, string> };
  assert.equal(pkg.type, "module");
  assert.deepEqual(Object.keys(pkg.scripts).sort(), ["build", "generate", "start", "test"]);
  assert.equal(pkg.dependencies["mqgen"], `^${ownPackage.version}`);
  assert.match(readFileSync(join(app, "tsconfig.json"), "utf8"), /"extends": "@tsconfig\/strictest\/tsconfig.json"/);
  // A second init into the same folder is refused unless forced.
  const again = run("npx", ["--no-install", "mqgen", "init", "my-app"], install);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /^mqgen init: my-app is not empty \(\d+ entries\); use --force/);

});

test("npm test in the new project: generate, type-check under @tsconfig/strictest, build, its node:test test passes", () => {
  // npm test = generate + tsc (strictest) + node --test.
  const tested = run("npm", ["test"], app);
  assert.equal(tested.status, 0, `npm test in the new project failed:\n${tested.stdout}\n${tested.stderr}`);
  assert.match(tested.stdout, /# pass 1/);
  assert.match(tested.stdout, /# fail 0/);
});

test("the built project runs with plain node in one process", async () => {
  // tsc writes dist/ even when it reports type errors, so this runs whatever the previous test found.
  assert.ok(existsSync(join(app, "dist", "main.js")), "built by the previous test");
  const inProcess = start(["dist/main.js"]);
  await inProcess.until(/greeter answered: hello, mqgen/);
  // Logged after the startup hooks, so after the greeting.
  await inProcess.until(/app started: process development, modules greeter@[0-9a-f]{16} \(in process, no NATS\)/);
  inProcess.child.kill("SIGTERM");
  assert.equal(await inProcess.exited, 0, inProcess.output());
});

test("the new project split over two processes on a real nats-server, with --nats and -pid", async () => {
  assert.ok(existsSync(join(app, "dist", "main.js")), "built by the previous test");
  const nats = await NatsServer.start({ jetstream: true });
  try {
    const backend = start(["dist/main.js", "--nats", nats.url, "-pid", "backend"]);
    await backend.until(/app started: process backend, modules greeter@/);
    // The client process takes NATS from the environment this time.
    const hello = run(process.execPath, ["dist/hello.js"], app, { NATS_URL: nats.url, HELLO_NAME: "split" });
    assert.equal(hello.status, 0, hello.stderr);
    assert.equal(hello.stdout, "hello, split\n");
    const flagged = run(process.execPath, ["dist/hello.js", "--nats", nats.url], app);
    assert.equal(flagged.stdout, "hello, world\n", flagged.stderr);
    backend.child.kill("SIGTERM");
    assert.equal(await backend.exited, 0, backend.output());
    assert.match(backend.output(), /registry: nats-kv \(default with NATS\), NATS from --nats/);
  } finally {
    await nats.dispose();
  }
});
