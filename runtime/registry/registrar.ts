/**
 * Keeps one node registered for as long as it runs. Unlike mqant (issue #98: a node whose first
 * registration fails never registers again), a failed registration is retried until the registry answers,
 * and every renewal re-sends the full record, so an entry the registry lost (restart, TTL expiry during a
 * pause) comes back at the next tick.
 */
import type { Logger } from "../log/types.js";
import type { Registry, Service } from "./types.js";

export interface RegistrarOptions {
  readonly registry: Registry;
  readonly ttlMs: number;
  readonly intervalMs: number;
  /** Delay between attempts while the registry does not answer. */
  readonly retryMs?: number;
  readonly log?: Logger;
  /** Builds the record at each registration, so metadata changes are picked up. */
  readonly service: () => Service;
}

export class Registrar {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private registered = false;
  private inFlight: Promise<void> = Promise.resolve();
  private failures = 0;

  constructor(private readonly options: RegistrarOptions) {}

  /** True once the registry accepted the current record. */
  get isRegistered(): boolean {
    return this.registered;
  }

  /** Registers now; resolves after the first attempt whether or not it succeeded (retries continue). */
  async start(): Promise<void> {
    this.running = true;
    await this.tick();
  }

  /** Pushes the current record at once (ModuleContext.serviceRegister). */
  async update(): Promise<void> {
    if (!this.running) return;
    await this.tick();
  }

  private async tick(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const attempt = this.inFlight.then(() => this.attempt());
    this.inFlight = attempt;
    await attempt;
  }

  private async attempt(): Promise<void> {
    if (!this.running) return;
    const service = this.options.service();
    try {
      await this.options.registry.register(service, { ttlMs: this.options.ttlMs });
      if (this.failures > 0) this.options.log?.info(`registered ${service.nodes[0]?.id} after ${this.failures} failed attempts`);
      this.failures = 0;
      this.registered = true;
      this.schedule(this.options.intervalMs);
    } catch (err) {
      this.registered = false;
      this.failures++;
      if (this.failures === 1 || this.failures % 10 === 0) {
        this.options.log?.warn({ err }, `registry ${this.options.registry.name}: register ${service.nodes[0]?.id} failed (attempt ${this.failures}), retrying`);
      }
      this.schedule(Math.min(this.options.retryMs ?? 1000, this.options.intervalMs));
    }
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  /** Stops renewing and removes the entry. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight.catch(() => undefined);
    const service = this.options.service();
    try {
      await this.options.registry.deregister(service);
    } catch (err) {
      this.options.log?.warn({ err }, `registry ${this.options.registry.name}: deregister ${service.nodes[0]?.id} failed`);
    }
    this.registered = false;
  }
}
