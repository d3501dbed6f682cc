-- The house: the account bot seats play for in games with stakes. A bot
-- seat's coins come from and go to it, so a player's coins are their score
-- times the stake whoever they played against. Its balance may go below
-- zero (the house pays what it loses), so it is not a wallet; the single
-- row of house is its balance (the row the settlement locks), and
-- house_ledger holds one entry per bot seat per game under the seat's
-- settlement key, so the balance is the sum of the entries and the coins
-- of a game, house entries included, sum to zero.
CREATE TABLE house (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    balance    BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL
);
INSERT INTO house (id, balance, updated_at) VALUES (1, 0, 0);

CREATE TABLE house_ledger (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    idem_key      TEXT    NOT NULL UNIQUE,
    game_id       BIGINT  NOT NULL,
    seat          INTEGER NOT NULL,
    delta         BIGINT  NOT NULL,
    balance_after BIGINT  NOT NULL,
    created_at    BIGINT  NOT NULL
);
CREATE INDEX house_ledger_game ON house_ledger (game_id);
