-- Who sends: accounts (with their sandbox settings) and their API keys.
-- Keys are stored only as SHA-256 digests plus a short display prefix.
CREATE TABLE accounts (
    id                         TEXT PRIMARY KEY,
    sandbox                    BOOLEAN     NOT NULL DEFAULT FALSE,
    sandbox_allowed_recipients TEXT[]      NOT NULL DEFAULT '{}',
    sandbox_daily_cap          INTEGER     NOT NULL DEFAULT 100 CHECK (sandbox_daily_cap >= 0),
    created_at                 TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id              BIGSERIAL PRIMARY KEY,
    account_id      TEXT        NOT NULL REFERENCES accounts (id),
    key_hash        BYTEA       NOT NULL UNIQUE CHECK (octet_length(key_hash) = 32),
    prefix          TEXT        NOT NULL,
    scopes          TEXT[]      NOT NULL,
    allowed_streams TEXT[]      NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at      TIMESTAMPTZ,
    last_used_at    TIMESTAMPTZ
);

CREATE INDEX api_keys_account ON api_keys (account_id);
