// Types of @parlor/client and of every message of Parlor's WebSocket protocol (v1.2).
// Hand-written against the wire contract; test/schema.test.js compares them with the
// server's JSON Schema (GET /api/v1/protocol.json).

// ---- shared shapes ------------------------------------------------------------------

/** Six characters from ABCDEFGHJKLMNPQRSTUVWXYZ23456789 (joining ignores case). */
export type RoomCode = string;
export type RoomStatus = "waiting" | "playing" | "finished";
export type Role = "player" | "spectator";

/** A seated player or a spectator, as shown to everyone in the room. */
export interface Player {
  player_id: string;
  name: string;
  /** Seat index; null for spectators. */
  seat: number | null;
  role: Role;
  /** Whether the player's socket is connected (their seat is held while it is not). */
  connected: boolean;
  /** The account (`sub`) of a player who signed in with a token, null for an anonymous one (v1.2, §3). */
  user: string | null;
}

/** A room in a list: the snapshot without the game state. */
export interface RoomSummary {
  code: RoomCode;
  game: string;
  status: RoomStatus;
  private: boolean;
  /** RFC 3339. */
  created_at: string;
  /** RFC 3339. */
  updated_at: string;
  /** Raised by one with every change to the room. */
  version: number;
  players: Player[];
  spectators: number;
}

/** The whole room as one member may see it. */
export interface RoomSnapshot<S = GameState> extends RoomSummary {
  state: S;
}

/** A game's state; its shape depends on the game (see the types below). */
export type GameState = { [key: string]: unknown };

/** Present in rooms created with `turn_secs`: when whoever must act runs out of time. */
export type TurnClock = {
  /** RFC 3339 with milliseconds; null when nobody must act. */
  deadline?: string | null;
  /** The game ended because the mover's clock ran out. */
  timeout?: boolean;
  /** The game ended because a player left while it was on (v1.2). */
  forfeit?: boolean;
};

export type Cell = 0 | 1 | null;

export type TicTacToeState = TurnClock & {
  /** 9 cells, row by row. */
  board: Cell[];
  turn: number;
  winner: number | null;
  draw: boolean;
  /** The three winning cells. */
  line: number[] | null;
};
export type TicTacToeAction = { cell: number };

export type Connect4State = TurnClock & {
  /** 6 rows of 7, row 0 on top. */
  board: Cell[][];
  turn: number;
  winner: number | null;
  draw: boolean;
  /** The four winning cells as [row, col] pairs. */
  line?: [number, number][] | null;
};
export type Connect4Action = { column: number };

export type RpsChoice = "rock" | "paper" | "scissors";
export type RpsRound = { choices: [RpsChoice | null, RpsChoice | null]; winner: number | null; timeout?: boolean };
export type RpsState = TurnClock & {
  round: number;
  score: [number, number];
  /** Who has chosen this round. */
  chosen: [boolean, boolean];
  /** The viewer's own pending choice (null for spectators and before choosing). */
  mine: RpsChoice | null;
  rounds: RpsRound[];
  winner: number | null;
  draw: boolean;
};
export type RpsAction = { choice: RpsChoice };

/** Every error code of the protocol. */
export type ServerErrorCode =
  | "bad_request"
  | "unknown_type"
  | "unknown_game"
  | "room_not_found"
  | "room_full"
  | "already_in_room"
  | "not_in_room"
  | "not_a_player"
  | "game_not_active"
  | "not_your_turn"
  | "illegal_move"
  | "stale_version"
  | "invalid_session"
  | "unauthenticated"
  | "invalid_token"
  | "token_expired"
  | "rate_limited"
  | "store_unavailable"
  | "internal";

/** Codes the client makes itself when no server answer settles a request. */
export type LocalErrorCode = "timeout" | "disconnected" | "offline" | "closed";

// ---- client → server ----------------------------------------------------------------

/** Every client message may carry `req`; the reply (or the error) echoes it. */
export interface WithReq {
  req?: number;
}

export interface CreateRoom extends WithReq {
  type: "create_room";
  game: string;
  name: string;
  private?: boolean;
  /** 5–600: a turn clock. */
  turn_secs?: number;
}
export interface JoinRoom extends WithReq {
  type: "join_room";
  room: RoomCode;
  name: string;
  spectate?: boolean;
}
export interface QuickJoin extends WithReq {
  type: "quick_join";
  game: string;
  name: string;
}
export interface Resume extends WithReq {
  type: "resume";
  session: string;
}
export interface LeaveRoom extends WithReq {
  type: "leave_room";
}
export interface Action<A = { [key: string]: unknown }> extends WithReq {
  type: "action";
  action: A;
  expected_version?: number;
}
export interface Rematch extends WithReq {
  type: "rematch";
}
export interface ChatMsg extends WithReq {
  type: "chat";
  /** 1–500 characters. */
  text: string;
}
export interface ListRooms extends WithReq {
  type: "list_rooms";
  game?: string;
}
export interface Ping extends WithReq {
  type: "ping";
}
/** v1.2, §3: authenticate the socket with a JWT (also a refresh after `auth_expiring`). */
export interface Auth extends WithReq {
  type: "auth";
  token: string;
}

export type ClientMessage =
  | CreateRoom
  | JoinRoom
  | QuickJoin
  | Resume
  | LeaveRoom
  | Action
  | Rematch
  | ChatMsg
  | ListRooms
  | Ping
  | Auth;

// ---- server → client: replies -------------------------------------------------------

export interface You {
  player_id: string;
  name: string;
  seat: number | null;
  role: Role;
}
export interface Joined {
  type: "joined";
  req?: number;
  room: RoomCode;
  you: You;
  /** The token to `resume` with; null for spectators. */
  session: string | null;
  snapshot: RoomSnapshot;
}
export interface Left {
  type: "left";
  req?: number;
  room: RoomCode;
}
export interface Rooms {
  type: "rooms";
  req?: number;
  rooms: RoomSummary[];
}
export interface Pong {
  type: "pong";
  req?: number;
}
export interface ErrorMsg {
  type: "error";
  req?: number;
  code: ServerErrorCode;
  /** Short and safe to show a player. */
  message: string;
}
/** v1.2, §3: the reply to `auth`. */
export interface Authed {
  type: "authed";
  req?: number;
  user: string;
  name: string | null;
  /** RFC 3339. */
  expires_at: string;
}

// ---- server → client: events --------------------------------------------------------

export interface StateEvent<S = GameState> {
  type: "state";
  room: RoomCode;
  version: number;
  status: RoomStatus;
  state: S;
  /** The player whose move (or rematch) caused it; null for the clock and the server. */
  by: string | null;
  /** The move as the server understood it; null where it would reveal something (rps). */
  action: { [key: string]: unknown } | null;
}
export interface PlayerJoined {
  type: "player_joined";
  room: RoomCode;
  version: number;
  player: Player;
}
export interface PlayerLeft {
  type: "player_left";
  room: RoomCode;
  version: number;
  player_id: string;
}
export interface PlayerConnection {
  type: "player_connection";
  room: RoomCode;
  version: number;
  player_id: string;
  connected: boolean;
}
export interface ChatEvent {
  type: "chat";
  room: RoomCode;
  from: string;
  name: string;
  text: string;
  /** RFC 3339 with milliseconds, UTC. */
  ts: string;
}
/** The node lost track of some events and re-read the room: replace the whole view. */
export interface Resync {
  type: "resync";
  room: RoomCode;
  snapshot: RoomSnapshot;
}
/** v1.2: that player asked for a rematch; it starts when every seated player has. */
export interface RematchOffered {
  type: "rematch_offered";
  room: RoomCode;
  player_id: string;
}
export type RoomClosedReason = "closed_by_operator" | "expired" | "empty" | "gone";
export interface RoomClosed {
  type: "room_closed";
  room: RoomCode;
  reason: RoomClosedReason;
}
/**
 * Why a member was removed: an operator's kick, the seat resumed on another socket with
 * its session, or (v1.2, §3) taken back by the same user from another socket.
 */
export type KickedReason = "kicked_by_operator" | "resumed_elsewhere" | "replaced";
export interface Kicked {
  type: "kicked";
  room: RoomCode;
  reason: KickedReason;
}
/** Sent just before a node closes its sockets with 1001. */
export interface ServerShutdown {
  type: "server_shutdown";
  reconnect_after_ms: number;
}
/** v1.2, §3: the socket's token expires soon; send `auth` with a fresh one. */
export interface AuthExpiring {
  type: "auth_expiring";
  expires_at: string;
}

export type ServerReply = Joined | Left | Rooms | Pong | ErrorMsg | Authed;
export type ServerEvent =
  | StateEvent
  | PlayerJoined
  | PlayerLeft
  | PlayerConnection
  | ChatEvent
  | Resync
  | RematchOffered
  | RoomClosed
  | Kicked
  | ServerShutdown
  | AuthExpiring;
export type ServerMessage = ServerReply | ServerEvent;

// ---- the room view ------------------------------------------------------------------

export interface ChatLine {
  from: string;
  name: string;
  text: string;
  ts: string;
}

/** What the client knows of its room: plain data, safe to keep in storage. */
export interface RoomView {
  /** The room code. */
  room: RoomCode;
  /** The token that reclaims the seat; null for spectators (they re-join). */
  session: string | null;
  spectate: boolean;
  name: string;
  you: You;
  snapshot: RoomSnapshot;
  /** The highest version applied; older events are dropped. */
  version: number;
  chat: ChatLine[];
  /** Players who asked for a rematch of the finished game (v1.2). */
  rematchOffers: string[];
}

export type ViewChange = "state" | "players" | "chat" | "resync" | "rematch";

export function fromJoined(joined: Joined, opts?: { name?: string; chat?: ChatLine[] }): RoomView;
/** Apply one frame in place; what changed, or null when it was dropped (older, another room's). */
export function applyEvent(view: RoomView, msg: ServerMessage): ViewChange | null;
export function playerAt(view: RoomView, seat: number): Player | null;
export function isMyTurn(view: RoomView | null): boolean;
export function msLeft(view: RoomView | null, now?: number): number | null;
export const CHAT_LIMIT: number;

// ---- the client ---------------------------------------------------------------------

export type ConnectionStatus = "idle" | "connecting" | "online" | "reconnecting" | "closed";

/** What the client needs of a WebSocket (the browser's and Node's global one fit). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (ev: any) => void): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface ReconnectOptions {
  /** The first back-off ceiling (default 500 ms); it doubles per failed attempt. */
  minDelayMs?: number;
  /** The largest back-off (default 20 000 ms). */
  maxDelayMs?: number;
}

export interface ParlorClientOptions {
  /** `ws://host/ws`, or several nodes' URLs: each reconnect goes to the next one. Default: this page's host. */
  url?: string | string[];
  /** A JWT for `auth` on every new socket and on `auth_expiring` (§3). */
  getToken?: () => string | Promise<string>;
  /** Per request (default 10 000 ms). */
  requestTimeoutMs?: number;
  /** Reconnect after a lost socket (default true). */
  reconnect?: boolean | ReconnectOptions;
  /** Requests made while not ready wait for the connection (default) or reject with `offline`. */
  whenOffline?: "wait" | "reject";
  /** Application ping interval; no frame for twice this long drops the socket (default 25 000 ms). */
  heartbeatMs?: number;
  /** A view kept from earlier (e.g. in sessionStorage): its seat is resumed on connect. */
  room?: RoomView | null;
  /** A WebSocket class, where there is no global one. */
  WebSocket?: WebSocketConstructor;
}

export interface RoomChange {
  change: ViewChange | "joined" | "left" | "closed" | "kicked" | "lost";
  /** The view after the change (null once out of the room). */
  view: RoomView | null;
  /** The view that was left, for "left", "closed", "kicked", "lost". */
  room?: RoomView;
  /** The frame that caused it. */
  event?: ServerMessage;
}

export interface ClientEvents {
  state: StateEvent;
  player_joined: PlayerJoined;
  player_left: PlayerLeft;
  player_connection: PlayerConnection;
  chat: ChatEvent;
  resync: Resync;
  rematch_offered: RematchOffered;
  room_closed: RoomClosed;
  kicked: Kicked;
  server_shutdown: ServerShutdown;
  auth_expiring: AuthExpiring;
  /** An error frame no request waits for. */
  error: ParlorError;
  /** Replies no request waits for any more (e.g. answered after their timeout). */
  joined: Joined;
  left: Left;
  rooms: Rooms;
  pong: Pong;
  /** Every `authed`, the first and every refresh. */
  authed: Authed;
  /** A token the server refused (`invalid_token`, `token_expired`) or a sign-in it wants (`unauthenticated`). */
  auth_error: ParlorError;
  /** Every frame received, before anything else happens with it. */
  frame: ServerMessage;
  /** A room event that was dropped: older than the view, another room's, or out of a room. */
  dropped: ServerMessage;
  /** The room view changed. */
  room: RoomChange;
  status: ConnectionStatus;
  open: { url: string };
  close: { code: number; reason: string; url: string };
  reconnecting: { delayMs: number; attempt: number; url: string; afterShutdown: boolean };
  /** Open, authenticated, and the seat resumed (`resumed` is that `joined`, or null). */
  ready: { url: string; resumed: Joined | null };
  resumed: Joined;
  /** The held seat could not be resumed (e.g. the room is gone); the view is emptied. */
  resume_failed: { error: ParlorError; room: RoomView };
}

export class ParlorError extends Error {
  constructor(code: string, message?: string, extra?: { req?: number; frame?: ErrorMsg });
  readonly code: ServerErrorCode | LocalErrorCode;
  readonly req?: number;
  readonly frame?: ErrorMsg;
  static fromFrame(frame: ErrorMsg): ParlorError;
}

export const LOCAL_CODES: {
  readonly TIMEOUT: "timeout";
  readonly DISCONNECTED: "disconnected";
  readonly OFFLINE: "offline";
  readonly CLOSED: "closed";
};

export class ParlorClient {
  constructor(opts?: ParlorClientOptions);
  readonly urls: string[];
  /** The current (or next) socket's URL. */
  readonly url: string;
  readonly status: ConnectionStatus;
  /** Open, authenticated, seat resumed. */
  readonly ready: boolean;
  /** The room view, kept current; null outside a room. */
  room: RoomView | null;
  /** Who the socket is authenticated as (after `auth`). */
  readonly user: { user: string; name: string | null; expiresAt: string } | null;

  on<K extends keyof ClientEvents>(type: K, fn: (ev: ClientEvents[K]) => void): () => void;
  off<K extends keyof ClientEvents>(type: K, fn: (ev: ClientEvents[K]) => void): void;
  once<K extends keyof ClientEvents>(
    type: K,
    opts?: { filter?: (ev: ClientEvents[K]) => boolean; timeoutMs?: number },
  ): Promise<ClientEvents[K]>;

  /** Start (if not started) and resolve when ready. */
  connect(opts?: { timeoutMs?: number }): Promise<void>;
  whenReady(deadline?: number): Promise<void>;
  /** Close for good. */
  close(): void;
  /** Drop the socket as if the link died; a reconnect and resume follow. */
  drop(): void;
  /** Reconnect now if a reconnect is waiting. */
  retryNow(): void;

  createRoom(o: { game: string; name: string; private?: boolean; turnSecs?: number }): Promise<Joined>;
  joinRoom(o: { room: RoomCode; name: string; spectate?: boolean }): Promise<Joined>;
  quickJoin(o: { game: string; name: string }): Promise<Joined>;
  resume(session: string): Promise<Joined>;
  leaveRoom(): Promise<Left>;
  listRooms(game?: string): Promise<RoomSummary[]>;
  ping(): Promise<Pong>;
  /** Send `auth` (with `token`, or a fresh one from `getToken`). */
  authenticate(token?: string): Promise<Authed>;
  /** Make a move; resolves with the `state` event it caused. */
  action<A extends object>(action: A, opts?: { expectedVersion?: number; timeoutMs?: number }): Promise<StateEvent>;
  /** Resolves once the server accepted it (v1.2: the game starts when every player asked). */
  rematch(opts?: { timeoutMs?: number }): Promise<void>;
  /** Resolves with the `chat` event of the line. */
  chat(text: string, opts?: { timeoutMs?: number }): Promise<ChatEvent>;
  /** Any message with a direct reply; a `req` is added. */
  request(msg: CreateRoom | JoinRoom | QuickJoin | Resume, opts?: { timeoutMs?: number }): Promise<Joined>;
  request(msg: LeaveRoom, opts?: { timeoutMs?: number }): Promise<Left>;
  request(msg: ListRooms, opts?: { timeoutMs?: number }): Promise<Rooms>;
  request(msg: Ping, opts?: { timeoutMs?: number }): Promise<Pong>;
  request(msg: Auth, opts?: { timeoutMs?: number }): Promise<Authed>;
  request(msg: ClientMessage, opts?: { timeoutMs?: number }): Promise<ServerReply>;
  /** Send as is; false when there is no open socket. Errors come as "error" events. */
  send(msg: ClientMessage): boolean;
}

export function wsUrl(loc?: { protocol: string; host: string }): string;
export function backoffDelay(
  attempt: number,
  opts?: { minDelayMs?: number; maxDelayMs?: number; random?: () => number },
): number;
export function shutdownDelay(afterMs: number, opts?: { minDelayMs?: number; random?: () => number }): number;
export const MIN_DELAY_MS: number;
export const MAX_DELAY_MS: number;
