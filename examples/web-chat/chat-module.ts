/**
 * The `chat` backend of the demo: gate clients join a room and say lines; every line is pushed to all
 * members of the room on `chat/message`. The rooms live in the gates (Session.joinRoom): a line is one
 * RoomPush per gate, whatever the room's size, and a member that disconnects leaves by itself.
 */
import { BadArgumentError, ClosedError, Gate, type CallContext, type GateRooms, type Module, type ModuleContext, type Session } from "mqgen/runtime";
import { ChatMessage, chat, registerChat, type ChatHandlers, type JoinRequest, type SayReply, type SayRequest } from "../../generated/chat.js";

const MAX_TEXT_LENGTH = 2000;
/** Gate rooms are shared by every module of the gate: the demo's names get a prefix of their own. */
const roomName = (room: string): string => `chat:${room}`;
// The descriptor map is indexed by name, so its entry is typed as possibly missing.
const messagePush = chat.pushes["message"] ?? { name: "message", topic: "chat/message", codec: ChatMessage.jsonCodec };

export class ChatModule implements Module, ChatHandlers {
  readonly type = chat.type;
  readonly version = chat.version;
  private rooms: GateRooms | undefined;

  onInit(ctx: ModuleContext): void {
    this.rooms = Gate.rooms(ctx.app);
    registerChat(ctx.server, this);
  }

  async join(session: Session, request: JoinRequest): Promise<void> {
    const room = request.room.trim() || "lobby";
    const previous = session.get("room");
    if (previous !== undefined && previous !== room) await session.leaveRoom(roomName(previous));
    await session.joinRoom(roomName(room));
    await session.set("room", room);
  }

  async say(session: Session, request: SayRequest, _ctx: CallContext): Promise<SayReply> {
    const text = request.text.trim();
    if (text === "") throw new BadArgumentError("say: text is empty");
    if (text.length > MAX_TEXT_LENGTH) throw new BadArgumentError(`say: text longer than ${MAX_TEXT_LENGTH} characters`);
    const room = session.get("room");
    if (room === undefined) throw new BadArgumentError("say: join a room first");
    const at = BigInt(Date.now());
    const line = ChatMessage.create({ from: session.userId || `guest-${session.sessionId.slice(0, 6)}`, text, at });
    if (this.rooms === undefined) throw new ClosedError("say: the chat module is not running");
    // Every gate's part of the room (members may sit on different gates).
    const delivered = await this.rooms.pushTyped(roomName(room), messagePush, line);
    return { text, at, delivered };
  }
}
