/**
 * `mqgen call <module>[@node].<handler> '<json>'`: one RPC from a shell. With the module in the schemas,
 * the JSON is converted with the handler's param types and the reply decoded with its result type; without
 * (a Go mqant node, an untyped handler) values travel with mqant's own tags by their JSON type.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { loadModel, formatDiagnostic } from "../../index.js";
import { BadArgumentError, MqgenError, errorFromWire } from "../../../runtime/errors.js";
import { UsageError, parseArgs, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { EXIT_FAILED, EXIT_OK } from "../command.js";
import { CONNECTION_FLAGS, CONNECTION_HELP, CliUnreachable, EXIT_UNREACHABLE, OPS_EXIT_CODES_HELP, exitCodeOf, openSession, timeoutFlag, toJsonValue } from "./ops-common.js";
import { SchemaTypes } from "./schema-values.js";

const FLAGS = [
  ...CONNECTION_FLAGS,
  { names: ["--schemas"], takesValue: true },
  { names: ["--untyped"], takesValue: false },
  { names: ["--timeout", "-t"], takesValue: true },
  { names: ["--help", "-h"], takesValue: false },
];

const HELP = `Usage: mqgen call <module>[@<node>].<handler> ['<json>'] [--timeout 10s] [--schemas schemas/]

Calls one handler and prints the reply as JSON.

  mqgen call helloworld.sayHi '{"name":"mqant"}'        named params (or '["mqant"]', or '"mqant"' for one)
  mqgen call shop@5f0c9a1b2c3d4e5f.order '[42, "AAEC"]'  a chosen node; int64 42, bytes from base64
  mqgen call legacy./echo '["hi"]' --untyped             a Go mqant handler without a schema

<handler> is the schema's method name or the wire name. When the module is in --schemas (default
./schemas, if present), arguments are converted with the handler's types — int64 from JSON numbers or
decimal strings, bytes from base64, messages from protobuf JSON — and the result printed the same way
(int64 as strings). Otherwise (or with --untyped) JSON strings, numbers, booleans and objects travel as
mqant's string, int/double, bool and map arguments, as Go mqant's untyped handlers expect.

Options:
  --timeout, -t <d>     deadline of the call, e.g. 500ms or 3s (default 10s)
  --schemas <dir>       schema folder for typed conversion (default ./schemas when it exists)
  --untyped             ignore the schemas
  -h, --help            this help

${CONNECTION_HELP}

${OPS_EXIT_CODES_HELP}
`;

export interface CallTarget {
  readonly module: string;
  readonly node: string | undefined;
  readonly handler: string;
}

export function parseCallTarget(text: string): CallTarget {
  const at = text.indexOf("@");
  if (at > 0) {
    const dot = text.indexOf(".", at);
    if (dot < 0 || dot === text.length - 1) throw new UsageError(`expected <module>@<node>.<handler>, got '${text}'`);
    return { module: text.slice(0, at), node: text.slice(at + 1, dot), handler: text.slice(dot + 1) };
  }
  const dot = text.indexOf(".");
  if (dot <= 0 || dot === text.length - 1) throw new UsageError(`expected <module>.<handler>, got '${text}'`);
  return { module: text.slice(0, dot), node: undefined, handler: text.slice(dot + 1) };
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`arguments are not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export const callCommand: Command = {
  name: "call",
  summary: "call a handler from the shell with JSON arguments",
  help: HELP,
  async run(argv, io) {
    const args = parseArgs(argv, FLAGS);
    if (args.flags.has("--help")) {
      io.out(HELP);
      return EXIT_OK;
    }
    if (args.positionals.length < 1 || args.positionals.length > 2) throw new UsageError("expected <module>[@node].<handler> and at most one JSON argument");
    const target = parseCallTarget(args.positionals[0] as string);
    const input = parseJson(args.positionals[1]);
    const timeout = timeoutFlag(args, 10_000);

    let types: SchemaTypes | undefined;
    if (!args.flags.has("--untyped")) {
      const explicit = stringFlag(args, "--schemas");
      const dir = resolve(io.cwd, explicit ?? "schemas");
      if (explicit !== undefined || existsSync(dir)) {
        const { model, diagnostics } = loadModel(dir);
        if (diagnostics.length > 0) {
          for (const d of diagnostics) io.err(`${formatDiagnostic(d)}\n`);
          return EXIT_FAILED;
        }
        types = new SchemaTypes(model);
      }
    }
    const typed = types?.findHandler(target.module, target.handler);
    if (types !== undefined && typed === undefined && types.hasModule(target.module)) {
      io.err(`mqgen call: module ${target.module} has no handler ${target.handler} in the schemas\n`);
      return EXIT_FAILED;
    }
    if (typed?.handler.gate === true) {
      io.err(`mqgen call: ${target.module}.${typed.handler.method} is a gate handler (it takes the caller's session); call it through the gate\n`);
      return EXIT_FAILED;
    }

    // Arguments first: a conversion error needs no connection.
    let prepared: { tags: string[]; bytes: Uint8Array[] } | undefined;
    let untypedArgs: unknown[] = [];
    try {
      if (typed !== undefined) {
        const params = typed.handler.params;
        // A JSON object names the params, unless the only param is itself an object (a message or a map).
        const single = params.length === 1 ? params[0] : undefined;
        const takesObject = single !== undefined && (single.type.kind === "ref" || single.type.kind === "map" || single.type.kind === "mapstr");
        let values: unknown[];
        if (Array.isArray(input)) values = input;
        else if (input === undefined) values = [];
        else if (isObject(input) && !takesObject) {
          const unknown = Object.keys(input).filter((k) => !params.some((p) => p.name === k));
          if (unknown.length > 0) throw new BadArgumentError(`no param ${unknown.join(", ")}; ${typed.handler.method} takes ${params.map((p) => p.name).join(", ") || "nothing"}`);
          values = params.map((p) => input[p.name]);
        } else values = [input];
        if (values.length !== params.length) {
          throw new BadArgumentError(`${typed.handler.method} takes ${params.length} argument(s) (${params.map((p) => p.name).join(", ")}), got ${values.length}`);
        }
        const tags: string[] = [];
        const bytes: Uint8Array[] = [];
        params.forEach((p, i) => {
          const value = types?.value(p.type);
          if (value === undefined) return;
          const converted = value.fromJson(values[i], p.name);
          tags.push(value.codec.tag);
          bytes.push(value.codec.encode(converted));
        });
        prepared = { tags, bytes };
      } else {
        untypedArgs = input === undefined ? [] : Array.isArray(input) ? input : [input];
      }
    } catch (err) {
      io.err(`mqgen call: ${err instanceof Error ? err.message : String(err)}\n`);
      return EXIT_FAILED;
    }

    let session;
    try {
      session = await openSession(args, timeout);
    } catch (err) {
      if (err instanceof CliUnreachable) {
        io.err(`mqgen call: ${err.message}\n`);
        return EXIT_UNREACHABLE;
      }
      throw err;
    }
    const routeTo = target.node === undefined ? target.module : `${target.module}@${target.node.includes("@") ? target.node.slice(target.node.indexOf("@") + 1) : target.node}`;
    try {
      let output: unknown;
      if (typed !== undefined && prepared !== undefined && types !== undefined) {
        const raw = await session.app.callArgs(routeTo, typed.handler.wireName, prepared.tags, prepared.bytes, { timeout });
        if (raw.error !== "") throw errorFromWire(raw.error);
        const result = types.value(typed.handler.result);
        output = result.toJson(result.codec.decode(raw.result, raw.resultType));
      } else {
        output = toJsonValue(await session.app.call(routeTo, target.handler, untypedArgs, { timeout }));
      }
      io.out(`${JSON.stringify(output ?? null, null, 2)}\n`);
      return EXIT_OK;
    } catch (err) {
      const code = exitCodeOf(err);
      if (code === undefined) throw err;
      io.err(`mqgen call: ${err instanceof MqgenError ? `${err.name}: ` : ""}${err instanceof Error ? err.message : String(err)}\n`);
      return code;
    } finally {
      await session.close();
    }
  },
};

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
