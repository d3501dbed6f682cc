// Package ddz runs online Dou Dizhu tables: it seats matched players at a
// room, drives the rules engine with the timers and auto-play of spec §11,
// and records and settles every game through the store.
//
// What it owns: the table state of every running game (inside the room
// goroutine of that table) and the map from user to table (under one
// mutex). The rules live in games/doudizhu, the queue in match, durable
// state in store; the gateway reaches the service through the handlers in
// routes.go and tells it about connections through Connected and
// Disconnected.
//
// Ordering: every event is appended to the game's log in the store before
// any player hears of it, so a table can be rebuilt after a crash (Recover)
// and a finished game replayed. Coins move only in store.SettleGame, with
// idempotency keys per seat, so a settlement can never apply twice.
//
// Concurrency: one goroutine per table (room.Run) owns the engine, timers
// and seat flags; handlers hand requests to it with room.Do. Service.mu
// guards only the user → table map. Lock order: Service.mu, then nothing.
package ddz
