/**
 * The mqant introduction's helloworld module: `/say/hi` answers "hi <name>".
 */
import type { CallContext, Module, ModuleContext } from "mqgen/runtime";
import { registerHelloworld, type HelloworldHandlers } from "../../generated/helloworld.js";

export class HelloworldModule implements Module, HelloworldHandlers {
  readonly type = "helloworld";
  readonly version = "1.0.0";

  onInit(ctx: ModuleContext): void {
    registerHelloworld(ctx.server, this);
    ctx.log.info(`${this.type} module initialised`);
  }

  sayHi(name: string, _ctx: CallContext): string {
    return `hi ${name}`;
  }
}
