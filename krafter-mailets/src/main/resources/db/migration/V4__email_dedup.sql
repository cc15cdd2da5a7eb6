-- A resend of a message whose 250 was lost: one row per account and idempotency key (the message's
-- X-Krafter-Idempotency-Key, else its Message-ID), written in the accept statement with the record.
-- A key seen again within the window is answered with the first message's id and not sent again.
CREATE TABLE email_dedup (
    account_id TEXT        NOT NULL REFERENCES accounts (id),
    dedup_key  TEXT        NOT NULL,
    email_id   UUID        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, dedup_key)
);

-- Pruning deletes what has left the window.
CREATE INDEX email_dedup_created ON email_dedup (created_at);
