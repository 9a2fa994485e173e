/**
 * The RPC layer's names for mqant's wire envelopes; the protobuf work is the codec's (rpc/codec.ts).
 */
export type { RPCInfo as RpcRequest, ResultInfo as RpcReply } from "../rpc/codec.js";
export {
  encodeRPCInfo as encodeRequest,
  decodeRPCInfo as decodeRequest,
  encodeResultInfo as encodeReply,
  decodeResultInfo as decodeReply,
  sizeRPCInfo as sizeRequest,
  writeRPCInfo as writeRequest,
  sizeResultInfo as sizeReply,
  writeResultInfo as writeReply,
} from "../rpc/codec.js";
