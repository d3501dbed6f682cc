-- Accounts, devices, sessions and refresh tokens, wallets and the ledger,
-- signing keys, games and per-user stats. Times are Unix milliseconds so that
-- both dialects store them the same way.

CREATE TABLE accounts (
    id            BIGINT PRIMARY KEY,
    username      TEXT    NOT NULL DEFAULT '',
    username_key  TEXT    NOT NULL DEFAULT '',
    display_name  TEXT    NOT NULL DEFAULT '',
    password_hash TEXT    NOT NULL DEFAULT '',
    roles         TEXT    NOT NULL DEFAULT '',
    guest         INTEGER NOT NULL DEFAULT 0,
    ban_reason    TEXT    NOT NULL DEFAULT '',
    banned_until  BIGINT  NOT NULL DEFAULT 0,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);
CREATE UNIQUE INDEX accounts_username_key ON accounts (username_key) WHERE username_key <> '';

CREATE TABLE devices (
    device_id  TEXT   PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE INDEX devices_user ON devices (user_id);

CREATE TABLE sessions (
    id            TEXT   PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at    BIGINT NOT NULL,
    revoked_at    BIGINT NOT NULL DEFAULT 0,
    revoke_reason TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE refresh_tokens (
    hash       TEXT   PRIMARY KEY,
    session_id TEXT   NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE wallets (
    user_id    BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    balance    BIGINT NOT NULL CHECK (balance >= 0),
    updated_at BIGINT NOT NULL
);

CREATE TABLE ledger (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    idem_key      TEXT   NOT NULL UNIQUE,
    user_id       BIGINT NOT NULL REFERENCES wallets (user_id) ON DELETE CASCADE,
    delta         BIGINT NOT NULL,
    balance_after BIGINT NOT NULL,
    reason        TEXT   NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL
);
CREATE INDEX ledger_user ON ledger (user_id, id);

CREATE TABLE signing_keys (
    kid        TEXT   PRIMARY KEY,
    secret     TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE user_stats (
    user_id         BIGINT PRIMARY KEY,
    rating          BIGINT NOT NULL DEFAULT 1500,
    games           BIGINT NOT NULL DEFAULT 0,
    wins            BIGINT NOT NULL DEFAULT 0,
    landlord_games  BIGINT NOT NULL DEFAULT 0,
    landlord_wins   BIGINT NOT NULL DEFAULT 0,
    farmer_games    BIGINT NOT NULL DEFAULT 0,
    farmer_wins     BIGINT NOT NULL DEFAULT 0,
    springs         BIGINT NOT NULL DEFAULT 0,
    best_multiplier BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE games (
    id         BIGINT PRIMARY KEY,
    mode       TEXT   NOT NULL,
    seed       BIGINT NOT NULL,
    state      TEXT   NOT NULL DEFAULT 'running',
    created_at BIGINT NOT NULL,
    ended_at   BIGINT NOT NULL DEFAULT 0,
    result     TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX games_state ON games (state);

CREATE TABLE game_players (
    game_id BIGINT  NOT NULL REFERENCES games (id) ON DELETE CASCADE,
    seat    INTEGER NOT NULL,
    user_id BIGINT  NOT NULL,
    PRIMARY KEY (game_id, seat)
);
CREATE INDEX game_players_user ON game_players (user_id);

CREATE TABLE game_events (
    game_id    BIGINT NOT NULL REFERENCES games (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    kind       TEXT   NOT NULL,
    payload    TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (game_id, seq)
);
