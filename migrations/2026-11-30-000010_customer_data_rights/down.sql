DROP TABLE media_deletions;
ALTER TABLE customers DROP COLUMN erased_at;
