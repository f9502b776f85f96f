-- Automatic persisted queries (Apollo's APQ protocol), shared by every gateway process.
CREATE TABLE gateway.persisted_queries (
    sha256     text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    query      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
