ALTER TABLE games DROP COLUMN owner_epoch;
