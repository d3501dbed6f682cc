DROP INDEX game_players_user_game;
ALTER TABLE accounts DROP COLUMN avatar;
