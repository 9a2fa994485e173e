/**
 * The `chat` backend of the demo: gate clients join a room and say lines; every line is pushed to all
 * members of the room on `chat/message`. Members may sit on different gates, so pushes are grouped per
 * owning gate (one SendBatch each).
 */
import { BadArgumentError, type CallContext, type Module, type ModuleContext, type Session } from "mqgen/runtime";
import { ChatMessage, chat, registerChat, type ChatHandlers, type JoinRequest, type SayReply, type SayRequest } from "../../generated/chat.js";

const MAX_TEXT_LENGTH = 2000;

export class ChatModule implements Module, ChatHandlers {
  readonly type = chat.type;
  readonly version = chat.version;
  /** room → sessionId → the member's latest session (it knows the owning gate). */
  private readonly rooms = new Map<string, Map<string, Session>>();
  private readonly roomOf = new Map<string, string>();

  onInit(ctx: ModuleContext): void {
    registerChat(ctx.server, this);
  }

  async join(session: Session, request: JoinRequest): Promise<void> {
    const room = request.room.trim() || "lobby";
    const previous = this.roomOf.get(session.sessionId);
    if (previous !== undefined) this.rooms.get(previous)?.delete(session.sessionId);
    let members = this.rooms.get(room);
    if (members === undefined) {
      members = new Map();
      this.rooms.set(room, members);
    }
    members.set(session.sessionId, session);
    this.roomOf.set(session.sessionId, room);
    await session.set("room", room);
  }

  async say(session: Session, request: SayRequest, _ctx: CallContext): Promise<SayReply> {
    const text = request.text.trim();
    if (text === "") throw new BadArgumentError("say: text is empty");
    if (text.length > MAX_TEXT_LENGTH) throw new BadArgumentError(`say: text longer than ${MAX_TEXT_LENGTH} characters`);
    const room = this.roomOf.get(session.sessionId);
    if (room === undefined) throw new BadArgumentError("say: join a room first");
    const at = BigInt(Date.now());
    const line = ChatMessage.create({ from: session.userId || `guest-${session.sessionId.slice(0, 6)}`, text, at });
    const body = JSON.stringify(ChatMessage.toJson(line));
    const byGate = new Map<string, { via: Session; ids: string[] }>();
    for (const [sessionId, member] of this.rooms.get(room) ?? []) {
      const group = byGate.get(member.serverId);
      if (group === undefined) byGate.set(member.serverId, { via: member, ids: [sessionId] });
      else group.ids.push(sessionId);
    }
    let delivered = 0;
    for (const { via, ids } of byGate.values()) delivered += await via.sendBatch(ids, "chat/message", body);
    return { text, at, delivered };
  }
}
