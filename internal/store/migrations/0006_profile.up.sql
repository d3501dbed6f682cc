-- Profiles and history: the avatar a player chose from the built-in set
-- ('' when none), and an index that lists a player's games newest first
-- (the history pages walk it by game id).
ALTER TABLE accounts ADD COLUMN avatar TEXT NOT NULL DEFAULT '';
CREATE INDEX game_players_user_game ON game_players (user_id, game_id);
