/** `mqgen stats`: calls, errors and latency per handler of every node, from `$SRV.STATS`; `--watch` refreshes. */
import { UsageError, parseArgs, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { EXIT_OK } from "../command.js";
import { CONNECTION_FLAGS, CONNECTION_HELP, OPS_EXIT_CODES_HELP, openSession, table } from "./ops-common.js";
import { microStats, type MicroNodeView } from "./ops-micro.js";

const FLAGS = [
  ...CONNECTION_FLAGS,
  { names: ["--watch", "-w"], takesValue: false },
  { names: ["--interval"], takesValue: true },
  { names: ["--count"], takesValue: true },
  { names: ["--json"], takesValue: false },
  { names: ["--help", "-h"], takesValue: false },
];

const HELP = `Usage: mqgen stats [module] [--watch] [--interval 2s] [--count N] [--json]

Per handler of every node (or of one module type): requests, errors, error rate, average processing time,
as the nodes answer \`$SRV.STATS\` (NATS' service protocol; \`nats micro stats\` reads the same). With
--watch the table refreshes and adds calls/s since the previous refresh, until Ctrl-C or --count refreshes.

Options:
  --watch, -w           refresh every --interval (default 2s)
  --interval <d>        refresh period, e.g. 1s or 500ms
  --count <n>           with --watch: stop after n refreshes
  --json                one JSON document per refresh (one line each)
  -h, --help            this help

${CONNECTION_HELP}

${OPS_EXIT_CODES_HELP}
`;

interface Row {
  readonly module: string;
  readonly node: string;
  readonly handler: string;
  readonly requests: number;
  readonly errors: number;
  readonly averageMs: number;
  readonly perSecond: number | null;
}

function rowsOf(views: readonly MicroNodeView[], previous: Map<string, number> | undefined, seconds: number): Row[] {
  const rows: Row[] = [];
  for (const view of views) {
    for (const e of view.endpoints) {
      const key = `${view.nodeId} ${e.handler}`;
      const before = previous?.get(key);
      rows.push({
        module: view.module,
        node: view.nodeId,
        handler: e.handler,
        requests: e.requests,
        errors: e.errors,
        averageMs: e.averageMs,
        perSecond: before === undefined || seconds <= 0 ? null : Math.max(0, e.requests - before) / seconds,
      });
    }
  }
  return rows.sort((a, b) => (a.module + a.node + a.handler < b.module + b.node + b.handler ? -1 : 1));
}

function ms(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toFixed(3);
}

function render(rows: readonly Row[], watch: boolean): string {
  if (rows.length === 0) return "no mqgen nodes answered $SRV.STATS\n";
  const header = ["MODULE", "NODE", "HANDLER", "CALLS", ...(watch ? ["CALLS/S"] : []), "ERRORS", "ERR%", "AVG MS"];
  return table(
    header,
    rows.map((r) => [
      r.module,
      r.node.slice(r.node.indexOf("@") + 1),
      r.handler,
      String(r.requests),
      ...(watch ? [r.perSecond === null ? "-" : r.perSecond.toFixed(1)] : []),
      String(r.errors),
      r.requests === 0 ? "-" : ((100 * r.errors) / r.requests).toFixed(1),
      r.requests === 0 ? "-" : ms(r.averageMs),
    ]),
  );
}

function durationMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text);
  if (match === null) throw new UsageError(`--interval must be a duration like 500ms or 2s, not '${text}'`);
  const n = Number(match[1]);
  return Math.max(100, Math.round(match[2] === "ms" ? n : n * 1000));
}

export const statsCommand: Command = {
  name: "stats",
  summary: "calls, errors and latency per handler from $SRV.STATS (--watch)",
  help: HELP,
  async run(argv, io) {
    const args = parseArgs(argv, FLAGS);
    if (args.flags.has("--help")) {
      io.out(HELP);
      return EXIT_OK;
    }
    if (args.positionals.length > 1) throw new UsageError(`expected at most one module, got ${args.positionals.join(" ")}`);
    const module = args.positionals[0];
    const watch = args.flags.has("--watch");
    const interval = durationMs(stringFlag(args, "--interval") ?? "2s");
    const countText = stringFlag(args, "--count");
    const count = countText === undefined ? Number.POSITIVE_INFINITY : Number(countText);
    if (!(count >= 1) || !Number.isInteger(count === Number.POSITIVE_INFINITY ? 1 : count)) throw new UsageError("--count must be a positive integer");
    const json = args.flags.has("--json");
    const session = await openSession(args, 5000);
    let stop = false;
    const onSignal = (): void => {
      stop = true;
    };
    process.once("SIGINT", onSignal);
    try {
      let previous: Map<string, number> | undefined;
      let previousAt = 0;
      for (let i = 0; i < (watch ? count : 1) && !stop; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, Math.max(0, interval - (Date.now() - previousAt))));
        const views = await microStats(session.nc, module === undefined ? undefined : module.replace(/[^-\w]/g, "_"));
        const now = Date.now();
        const rows = rowsOf(views, previous, (now - previousAt) / 1000);
        previous = new Map(rows.map((r) => [`${r.node} ${r.handler}`, r.requests]));
        previousAt = now;
        if (json) io.out(JSON.stringify({ at: new Date(now).toISOString(), handlers: rows }) + "\n");
        else {
          if (watch && process.stdout.isTTY === true) io.out("\u001b[2J\u001b[H");
          if (watch) io.out(`mqgen stats — ${new Date(now).toISOString()} (every ${interval} ms, Ctrl-C to stop)\n`);
          io.out(render(rows, watch));
        }
      }
      return EXIT_OK;
    } finally {
      process.off("SIGINT", onSignal);
      await session.close();
    }
  },
};
