-- Table ownership in a cluster: the epoch of the node that drives a game.
-- A node that takes a game over raises it, and every write of the game's log
-- must carry the current one, so a node that lost the game cannot write it.
ALTER TABLE games ADD COLUMN owner_epoch BIGINT NOT NULL DEFAULT 0;
