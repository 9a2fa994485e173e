/** `mqgen nodes`: every registered node, from the registry, with what `$SRV` adds (handlers, uptime). */
import { HANDLER_SCHEMAS_KEY, SCHEMA_KEY } from "../../../runtime/rpc/schema-check.js";
import type { ServiceNode } from "../../../runtime/registry/types.js";
import { parseArgs } from "../args.js";
import type { Command } from "../command.js";
import { EXIT_OK } from "../command.js";
import { CONNECTION_FLAGS, CONNECTION_HELP, CliUnreachable, EXIT_UNREACHABLE, OPS_EXIT_CODES_HELP, ago, exitCodeOf, openSession, table, type OpsSession } from "./ops-common.js";
import { microInfos, microStats, type MicroNodeView } from "./ops-micro.js";

const FLAGS = [...CONNECTION_FLAGS, { names: ["--json"], takesValue: false }, { names: ["--help", "-h"], takesValue: false }];

const HELP = `Usage: mqgen nodes [--nats URL] [--registry nats-kv|etcd|consul] [--json]

Lists every node in the registry: module type, node id, version, NATS subject, schema hash, handlers and
how long it has been up. Handlers and uptime come from the nodes' \`$SRV\` answers (mqgen nodes answer;
Go mqant nodes do not, so theirs come from the registry metadata or show as "-").

Options:
  --json                one JSON array instead of the table
  -h, --help            this help

${CONNECTION_HELP}

${OPS_EXIT_CODES_HELP}
`;

export interface NodeRow {
  readonly module: string;
  readonly id: string;
  readonly version: string;
  readonly address: string;
  readonly schema: string | null;
  readonly handlers: readonly string[];
  /** ISO time the node started, when it answers `$SRV`. */
  readonly started: string | null;
  readonly hostname: string | null;
  readonly pid: string | null;
  readonly metadata: Readonly<Record<string, string>>;
}

function handlersFromMetadata(node: ServiceNode): string[] {
  const text = node.metadata[HANDLER_SCHEMAS_KEY];
  if (text === undefined || text === "") return [];
  return text.split(",").map((pair) => decodeURIComponent(pair.slice(0, pair.lastIndexOf("=")))).sort();
}

export async function collectNodes(session: OpsSession): Promise<NodeRow[]> {
  const [services, infos, stats] = await Promise.all([session.registry.listServices(), microInfos(session.nc), microStats(session.nc)]);
  const byNode = (views: readonly MicroNodeView[]): Map<string, MicroNodeView> => new Map(views.map((v) => [v.nodeId, v]));
  const info = byNode(infos);
  const started = byNode(stats);
  const rows: NodeRow[] = [];
  for (const service of services) {
    for (const node of service.nodes) {
      const fromMicro = info.get(node.id);
      rows.push({
        module: service.name,
        id: node.id,
        version: node.metadata["version"] ?? service.version,
        address: node.address,
        schema: node.metadata[SCHEMA_KEY] ?? null,
        handlers: fromMicro !== undefined ? fromMicro.handlers : handlersFromMetadata(node),
        started: started.get(node.id)?.started ?? null,
        hostname: node.metadata["hostname"] ?? null,
        pid: node.metadata["pid"] ?? null,
        metadata: node.metadata,
      });
    }
  }
  return rows.sort((a, b) => (a.module === b.module ? (a.id < b.id ? -1 : 1) : a.module < b.module ? -1 : 1));
}

export const nodesCommand: Command = {
  name: "nodes",
  summary: "list the running nodes (registry and $SRV)",
  help: HELP,
  async run(argv, io) {
    const args = parseArgs(argv, FLAGS);
    if (args.flags.has("--help")) {
      io.out(HELP);
      return EXIT_OK;
    }
    let session: OpsSession;
    try {
      session = await openSession(args, 5000);
    } catch (err) {
      if (!(err instanceof CliUnreachable)) throw err;
      io.err(`mqgen nodes: ${err.message}\n`);
      return EXIT_UNREACHABLE;
    }
    try {
      let rows: NodeRow[];
      try {
        rows = await collectNodes(session);
      } catch (err) {
        // A registry that cannot be read (etcd or Consul down) is an exit code, as for `mqgen call`.
        const code = exitCodeOf(err);
        if (code === undefined) throw err;
        io.err(`mqgen nodes: ${err instanceof Error ? err.message : String(err)}\n`);
        return code;
      }
      if (args.flags.has("--json")) {
        io.out(JSON.stringify(rows, null, 2) + "\n");
        return EXIT_OK;
      }
      if (rows.length === 0) {
        io.out("no nodes registered\n");
        return EXIT_OK;
      }
      const now = Date.now();
      io.out(
        table(
          ["MODULE", "NODE", "VERSION", "UP", "HOST", "SCHEMA", "ADDRESS", "HANDLERS"],
          rows.map((r) => [
            r.module,
            r.id.slice(r.id.indexOf("@") + 1),
            r.version,
            r.started === null ? "-" : ago(now - Date.parse(r.started)),
            r.hostname === null ? "-" : `${r.hostname}${r.pid === null ? "" : `:${r.pid}`}`,
            r.schema ?? "-",
            r.address,
            r.handlers.length === 0 ? "-" : r.handlers.join(" "),
          ]),
        ),
      );
      return EXIT_OK;
    } finally {
      await session.close();
    }
  },
};
