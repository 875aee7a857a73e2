-- Customers' data rights (LGPD, SPEC §16). An erased customer keeps its row (its orders point
-- at it and keep their amounts) with its personal data replaced; `erased_at` says when.
ALTER TABLE customers ADD COLUMN erased_at TIMESTAMPTZ;

-- Stored files to delete once the transaction that stopped referring to them has committed
-- (the WhatsApp media of an erased customer). The request deletes them right after commit; a
-- file it could not delete stays here and the media clean-up loop tries again, so no file is
-- forgotten while no row points at it any more.
CREATE TABLE media_deletions (
    tenant_id  UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    object_key TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, object_key)
);
