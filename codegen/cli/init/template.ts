/**
 * The project `mqgen init` writes: one module from one schema, its implementation, an app entry point, a
 * client script, server.json and a node:test test. Kept as strings in code so the published CLI needs no
 * template files next to it.
 */

export interface TemplateInput {
  /** npm package name of the new project. */
  readonly name: string;
  /** Version range of mqgen the project depends on. */
  readonly mqgenRange: string;
  /** Version ranges of the dev tools, as mqgen itself is tested with. */
  readonly typescriptRange: string;
  readonly strictestRange: string;
  readonly nodeTypesRange: string;
}

/** The generated module's folder, relative to the project. */
export const GENERATED_DIR = "src/generated";
export const SCHEMA_DIR = "schemas";
export const IMPL_DIR = "src";

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Relative path → content, in the order they are written. */
export function templateFiles(input: TemplateInput): Map<string, string> {
  const files = new Map<string, string>();
  files.set(
    "package.json",
    json({
      name: input.name,
      version: "0.1.0",
      private: true,
      // mqgen is ESM-only, and so are the apps built on it (top-level await in src/main.ts).
      type: "module",
      scripts: {
        generate: `mqgen ${SCHEMA_DIR}/ -o ${GENERATED_DIR}/ --impl ${IMPL_DIR}/`,
        build: "npm run generate && tsc -p tsconfig.json",
        start: "npm run build && node dist/main.js",
        test: "npm run build && node --test dist/greeter.test.js",
      },
      dependencies: { mqgen: input.mqgenRange },
      devDependencies: {
        "@tsconfig/strictest": input.strictestRange,
        "@types/node": input.nodeTypesRange,
        typescript: input.typescriptRange,
      },
      engines: { node: ">=20" },
    }),
  );
  files.set(
    "tsconfig.json",
    `{
  // The strictest settings TypeScript has; mqgen's declarations and generated code compile under them.
  "extends": "@tsconfig/strictest/tsconfig.json",
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2022"],
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "verbatimModuleSyntax": true,
    "types": ["node"],
    "rootDir": "src",
    "outDir": "dist",
    "sourceMap": true
  },
  "include": ["src"]
}
`,
  );
  files.set(".gitignore", "node_modules/\ndist/\n");
  files.set(
    `${SCHEMA_DIR}/greeter.yaml`,
    `# One module with one handler. \`npm run generate\` turns it into ${GENERATED_DIR}/greeter.ts: the typed
# client (GreeterClient), the handler interface (GreeterHandlers) and registerGreeter. Add a handler here and
# the next generate also adds its method stub to ${IMPL_DIR}/greeter.module.ts.
module: greeter
version: 1.0.0
doc: Greets whoever calls it.
handlers:
  sayHi:
    doc: Returns "hello, " followed by the name.
    params:
      - name: string
    returns: string
    retrySafe: true          # may be retried on another node if its node vanished
`,
  );
  files.set(
    `${IMPL_DIR}/greeter.module.ts`,
    `/** The greeter module: the implementation of schemas/greeter.yaml. */
import type { CallContext, Module, ModuleContext } from "mqgen/runtime";
import { registerGreeter, type GreeterHandlers } from "./generated/greeter.js";

export class GreeterModule implements Module, GreeterHandlers {
  readonly type = "greeter";
  readonly version = "1.0.0";

  onInit(ctx: ModuleContext): void {
    registerGreeter(ctx.server, this);
  }

  sayHi(name: string, _ctx: CallContext): string {
    return \`hello, \${name}\`;
  }
}
`,
  );
  files.set(
    `${IMPL_DIR}/main.ts`,
    `/**
 * The app. \`npm start\` runs it in one process with no NATS. Split over NATS (the nats-server needs
 * JetStream for the default NATS KV registry: \`nats-server -js\`):
 *
 *   node dist/main.js --nats nats://127.0.0.1:4222 -pid backend     # runs the greeter
 *   node dist/hello.js --nats nats://127.0.0.1:4222                 # calls it from another process
 *
 * createApp reads -pid -wd -log, --nats (or NATS_URL) and --registry (or MQGEN_REGISTRY) itself.
 */
import { fileURLToPath } from "node:url";
import { createApp } from "mqgen/runtime";
import { GreeterClient } from "./generated/greeter.js";
import { GreeterModule } from "./greeter.module.js";

const app = createApp({ configPath: fileURLToPath(new URL("../conf/server.json", import.meta.url)) });

app.onStartup(async (started) => {
  if (started.nodeIds["greeter"] === undefined) return;
  const greeting = await new GreeterClient(started).sayHi("mqgen");
  started.log.info(\`greeter answered: \${greeting}\`);
});

try {
  await app.run([new GreeterModule()]);
} catch {
  // The app has logged why it could not start (a config error names the module and key).
  process.exitCode = 1;
}
`,
  );
  files.set(
    `${IMPL_DIR}/hello.ts`,
    `/**
 * Calls the greeter of another process once and exits:
 *
 *   HELLO_NAME=you node dist/hello.js --nats nats://127.0.0.1:4222
 */
import { fileURLToPath } from "node:url";
import { createApp } from "mqgen/runtime";
import { GreeterClient } from "./generated/greeter.js";

const name = process.env["HELLO_NAME"] ?? "world";
const app = createApp({ debug: false, configPath: fileURLToPath(new URL("../conf/server.json", import.meta.url)) });
await app.start([]);
try {
  if (app.nats === undefined) throw new Error("hello calls a greeter in another process: pass --nats nats://host:port or set NATS_URL");
  process.stdout.write(\`\${await new GreeterClient(app).sayHi(name, { timeout: 5_000 })}\\n\`);
} catch (error) {
  process.stderr.write(\`hello: \${error instanceof Error ? error.message : String(error)}\\n\`);
  process.exitCode = 1;
} finally {
  await app.stop();
}
`,
  );
  files.set(
    `${IMPL_DIR}/greeter.test.ts`,
    `import assert from "node:assert/strict";
import { test } from "node:test";
import { createApp } from "mqgen/runtime";
import { GreeterClient } from "./generated/greeter.js";
import { GreeterModule } from "./greeter.module.js";

test("greeter.sayHi answers through the typed client", async () => {
  // In process whatever the shell says: no flags and no NATS_URL are read.
  const app = createApp({ parseFlags: false, env: {}, debug: false });
  await app.start([new GreeterModule()]);
  try {
    assert.equal(await new GreeterClient(app).sayHi("test"), "hello, test");
  } finally {
    await app.stop();
  }
});
`,
  );
  files.set(
    "conf/server.json",
    `{
  // Each module entry runs in the process whose -pid equals its ProcessID (default "development").
  "Module": {
    "greeter": [
      { "Id": "greeter", "ProcessID": "development" },
      { "Id": "greeter-backend", "ProcessID": "backend" }
    ]
  },
  "Rpc": {
    // Default call timeout, seconds.
    "RpcExpired": 10
  }
}
`,
  );
  files.set(
    "README.md",
    `# ${input.name}

A service built with [mqgen](https://www.npmjs.com/package/mqgen): schema-first microservices for
TypeScript, wire-compatible with Go mqant.

\`\`\`sh
npm install
npm start        # generate, build, run the app in one process
npm test         # generate, build, run the tests (node:test)
\`\`\`

- \`schemas/greeter.yaml\` describes the module; \`npm run generate\` writes \`${GENERATED_DIR}/\` (typed
  client, handler interface) and adds a method stub to \`src/greeter.module.ts\` for each new handler.
- \`conf/server.json\` says which process group runs which module.
- Split over NATS: start \`nats-server -js\`, then \`node dist/main.js --nats nats://127.0.0.1:4222 -pid
  backend\` and, from another shell, \`node dist/hello.js --nats nats://127.0.0.1:4222\`.
`,
  );
  return files;
}
