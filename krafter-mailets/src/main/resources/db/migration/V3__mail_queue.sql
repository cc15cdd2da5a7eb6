-- The spool queue under James's spooler, in the same database as the email records, so that a
-- message and its record are written in one transaction and every node can deliver every node's mail.

-- One row per relay process, kept fresh by its lease heartbeat; a lease whose owner is gone expires.
CREATE TABLE relay_nodes (
    id         TEXT        PRIMARY KEY,
    host       TEXT        NOT NULL,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per queued mail. A consumer leases ready rows (next_attempt <= now(), no live lease) with
-- FOR UPDATE SKIP LOCKED; done removes the row, a retry moves next_attempt, a dead node's leases expire.
CREATE TABLE mail_queue (
    id           BIGSERIAL   PRIMARY KEY,              -- enqueue order
    queue_name   TEXT        NOT NULL,
    mail_name    TEXT        NOT NULL,
    email_id     UUID,                                 -- emails.id, for mail the relay accepted
    sender       TEXT        NOT NULL,                 -- '' for the null sender <>
    recipients   TEXT[]      NOT NULL,
    mail         JSONB       NOT NULL,                 -- state, error, remote host/address, last updated, attributes, per-recipient headers
    message      BYTEA       NOT NULL,                 -- the message as received, headers and body
    size_bytes   BIGINT      NOT NULL,
    enqueued_at  TIMESTAMPTZ NOT NULL DEFAULT now(),   -- first enqueue; kept across retries
    next_attempt TIMESTAMPTZ NOT NULL DEFAULT now(),
    lease_owner  TEXT,
    lease_until  TIMESTAMPTZ,
    deliveries   INTEGER     NOT NULL DEFAULT 0        -- times leased
);

-- The consumers' scan: ready rows of one queue in order.
CREATE INDEX mail_queue_ready ON mail_queue (queue_name, next_attempt, id);
CREATE INDEX mail_queue_email ON mail_queue (email_id) WHERE email_id IS NOT NULL;

-- The large message column is written once and read once: no compression pass on the way in.
ALTER TABLE mail_queue ALTER COLUMN message SET STORAGE EXTERNAL;
