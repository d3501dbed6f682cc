// Package auth runs player accounts: registration, login, guest devices,
// access and refresh tokens, bans and the /v1 account HTTP API.
//
// Passwords are hashed with argon2id (DefaultArgon2, justified in
// bench/RESULTS.md); at most Config.MaxHashing hashes run at once, so a
// login storm costs bounded memory. A login for an unknown username checks
// a dummy hash, and every credential failure has one message, so neither
// timing nor wording tells whether an account exists. Failed logins are
// counted per client address and per username, and past a few free
// attempts both are locked out with a doubling delay.
//
// Access tokens are HS256 JWTs (claims sub = user id, sid = session id,
// roles, iat, exp; header kid) valid for Config.AccessTTL. The signing key
// comes from config or is generated on first start and kept in the store;
// RotateKey adds a new one while the old one still verifies until its
// tokens have expired. A session is a family of opaque refresh tokens
// stored as SHA-256 hashes; every refresh spends the token and issues the
// next, and presenting a spent token revokes the whole family.
// Authenticate, which the gateway calls on the handshake, refuses tokens
// of revoked sessions and banned users, and returns the roles the account
// has in the store now (not the token's roles claim), so a role change
// takes effect at the next request. The admin endpoints of Handler check
// them with the admin console's role model (internal/admin).
//
// The package imports store, status and admin (the role model) and
// nothing above them; the server
// wires it into the gateway (Authenticate, OnKick) and the HTTP mux
// (Handler). Service is safe for concurrent use and owns no goroutines:
// the key ring, each limiter and the kick hook list have a mutex of their
// own, never held together nor while calling out.
package auth
