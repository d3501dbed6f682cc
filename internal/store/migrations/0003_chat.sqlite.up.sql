-- Chat: conversations (world, table, private, group), their members with
-- roles and read markers, messages numbered per conversation, friends,
-- friend requests and blocks.
CREATE TABLE chat_conversations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL,
    -- unique name of a world, table or private conversation ('' for groups)
    conv_key     TEXT    NOT NULL DEFAULT '',
    name         TEXT    NOT NULL DEFAULT '',
    owner_id     BIGINT  NOT NULL DEFAULT 0,
    open         INTEGER NOT NULL DEFAULT 0,
    max_members  BIGINT  NOT NULL DEFAULT 0,
    last_seq     BIGINT  NOT NULL DEFAULT 0,
    created_at   BIGINT  NOT NULL,
    disbanded_at BIGINT  NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX chat_conversations_key ON chat_conversations (conv_key) WHERE conv_key <> '';

CREATE TABLE chat_members (
    conversation_id BIGINT NOT NULL REFERENCES chat_conversations (id) ON DELETE CASCADE,
    user_id         BIGINT NOT NULL,
    role            TEXT   NOT NULL,
    read_seq        BIGINT NOT NULL DEFAULT 0,
    muted_until     BIGINT NOT NULL DEFAULT 0,
    joined_at       BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX chat_members_user ON chat_members (user_id);

CREATE TABLE chat_messages (
    conversation_id BIGINT NOT NULL REFERENCES chat_conversations (id) ON DELETE CASCADE,
    seq             BIGINT NOT NULL,
    sender_id       BIGINT NOT NULL,
    kind            TEXT   NOT NULL,
    body            TEXT   NOT NULL DEFAULT '',
    client_id       TEXT   NOT NULL DEFAULT '',
    -- the seq a recall or delete event refers to
    ref_seq         BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    -- tombstone: when it was recalled or deleted, and by whom
    recalled_at     BIGINT NOT NULL DEFAULT 0,
    recalled_by     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, seq)
);
CREATE UNIQUE INDEX chat_messages_client ON chat_messages (conversation_id, sender_id, client_id) WHERE client_id <> '';
CREATE INDEX chat_messages_created ON chat_messages (created_at);

CREATE TABLE chat_friends (
    user_id    BIGINT NOT NULL,
    friend_id  BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, friend_id)
);

CREATE TABLE chat_friend_requests (
    from_id    BIGINT NOT NULL,
    to_id      BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (from_id, to_id)
);
CREATE INDEX chat_friend_requests_to ON chat_friend_requests (to_id);

CREATE TABLE chat_blocks (
    user_id    BIGINT NOT NULL,
    blocked_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, blocked_id)
);
CREATE INDEX chat_blocks_blocked ON chat_blocks (blocked_id);
