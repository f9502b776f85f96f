-- The gateway's own tables: idempotency keys and its token secret.
CREATE SCHEMA IF NOT EXISTS gateway;

-- One row per (principal, key), written in the same transaction as the effect it
-- records: a retry finds the first response; another request under the same key
-- finds a different hash. Keys are kept at least 24 h (see docs/adr).
CREATE TABLE gateway.idempotency_keys (
    principal    text NOT NULL,
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    operation    text NOT NULL,
    request_hash bytea NOT NULL,
    response     jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created ON gateway.idempotency_keys (created_at);

CREATE TABLE gateway.secrets (
    name  text PRIMARY KEY,
    value text NOT NULL
);
