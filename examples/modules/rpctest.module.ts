/**
 * The mqant introduction's rpctest module: structured arguments (a protobuf message, and a message mqant
 * carries with a custom Marshaler).
 */
import type { CallContext, Module, ModuleContext } from "mqgen/runtime";
import { registerRpctest, ResultInfo, Rsp, type Req, type RpctestHandlers } from "../../generated/rpctest.js";

export class RpctestModule implements Module, RpctestHandlers {
  readonly type = "rpctest";
  readonly version = "1.0.0";

  onInit(ctx: ModuleContext): void {
    registerRpctest(ctx.server, this);
  }

  testProto(request: ResultInfo, _ctx: CallContext): ResultInfo {
    return ResultInfo.create({ Error: `你说: ${request.Error}` });
  }

  testMarshal(request: Req, _ctx: CallContext): Rsp {
    return Rsp.create({ Msg: `收到: ${request.Id}` });
  }
}
