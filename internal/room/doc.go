// Package room runs authoritative game rooms: one goroutine per room owns
// the room's state and serialises everything that touches it.
//
// A Room is a game (anything that implements Game) plus its seats, an
// inbox and one timer. Player messages, connection changes and timer
// expiries all arrive on the room goroutine, so a Game needs no locks and
// sees a single, ordered stream of inputs. Pushes to players leave through
// a Pusher (the gateway satisfies it), addressed by user id, so a room
// never holds a connection and a reconnecting player needs no rewiring.
//
// The package imports neither the session layer nor any concrete game:
// Dou Dizhu, the MMO zones and a studio's own games plug in through Game.
//
// Concurrency: Run is the only goroutine that calls into the Game or
// touches room state; Do, Post and Presence are safe from any goroutine
// and hand their work to it over the inbox.
package room
