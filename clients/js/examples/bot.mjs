// A bot that plays one game of tictactoe on Parlor and says how it went. Two of them
// find each other through quick play:
//   PARLOR_URL=ws://127.0.0.1:8765/ws node examples/bot.mjs alice &
//   PARLOR_URL=ws://127.0.0.1:8765/ws node examples/bot.mjs bob
// PARLOR_URL may list several nodes, comma-separated: reconnects go round them.
import { ParlorClient, isMyTurn } from "@parlor/client";

const client = new ParlorClient({ url: (process.env.PARLOR_URL ?? "ws://127.0.0.1:8765/ws").split(",") });
await client.connect();
const { room, you } = await client.quickJoin({ game: "tictactoe", name: process.argv[2] ?? "bot" });
console.log(`${you.name}: room ${room}, seat ${you.seat}`);

/** @type {import("@parlor/client").TicTacToeState | null} */
const end = await new Promise((resolve) => {
  let movedAt = -1; // the version we last moved at: one move per turn
  const play = () => {
    const view = client.room;
    if (!view) return resolve(null); // the room was closed
    const state = /** @type {import("@parlor/client").TicTacToeState} */ (view.snapshot.state);
    if (view.snapshot.status === "finished") return resolve(state);
    if (!isMyTurn(view) || movedAt === view.version) return;
    movedAt = view.version;
    const free = state.board.flatMap((c, i) => (c === null ? [i] : []));
    const cell = free[Math.floor(Math.random() * free.length)];
    client.action({ cell }, { expectedVersion: view.version }).catch((e) => console.warn(`${you.name}: ${e.code}`));
  };
  client.on("room", play); // every change of the view, a resumed seat after a reconnect too
  play();
});
console.log(`${you.name}: ${!end ? "room closed" : end.winner === null ? "draw" : end.winner === you.seat ? "won" : "lost"}`);
client.close();
