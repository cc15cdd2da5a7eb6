-- One row per message accepted by the relay (SMTP 250 id=<id>), written in the same transaction
-- as the sandbox cap check. The delivery leg updates status, ses_message_id, error and attempts.
CREATE TABLE emails (
    id                UUID        PRIMARY KEY,
    account_id        TEXT        NOT NULL REFERENCES accounts (id),
    api_key_id        BIGINT      NOT NULL REFERENCES api_keys (id),
    stream            TEXT        NOT NULL CHECK (stream IN ('transactional', 'broadcast')),
    tracking          BOOLEAN     NOT NULL,
    configuration_set TEXT        NOT NULL,
    envelope_from     TEXT        NOT NULL,            -- '' for the null sender <>
    envelope_to       TEXT[]      NOT NULL,
    subject           TEXT,
    message_id        TEXT,
    size_bytes        BIGINT      NOT NULL CHECK (size_bytes >= 0),
    status            TEXT        NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    ses_message_id    TEXT,
    error             TEXT,
    attempts          INTEGER     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at           TIMESTAMPTZ
);

-- The sandbox cap counts an account's emails of the last 24 hours on every sandbox send:
-- an index range scan (index-only once vacuumed) instead of a scan of the account's history.
CREATE INDEX emails_account_created ON emails (account_id, created_at);
