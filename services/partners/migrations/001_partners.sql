-- The open platform (聚石塔): partners, the merchants' consents, and the access log.
CREATE SCHEMA IF NOT EXISTS partners;

CREATE TABLE partners.partners (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL
);

-- merchant_id refers to payments.parties; no foreign key across service schemas.
CREATE TABLE partners.consents (
    partner_id  bigint NOT NULL REFERENCES partners.partners (id),
    merchant_id bigint NOT NULL,
    scopes      text[] NOT NULL CHECK (cardinality(scopes) > 0
                    AND scopes <@ ARRAY['payments:read', 'credit:read', 'funds:read']),
    granted_at  timestamptz NOT NULL,
    PRIMARY KEY (partner_id, merchant_id)
);
CREATE INDEX consents_merchant ON partners.consents (merchant_id);

CREATE TABLE partners.access_log (
    id          bigserial PRIMARY KEY,
    partner_id  bigint NOT NULL,
    merchant_id bigint NOT NULL,
    scope       text NOT NULL,
    fields      text[] NOT NULL,
    request_id  text NOT NULL,
    accessed_at timestamptz NOT NULL
);
CREATE INDEX access_log_merchant ON partners.access_log (merchant_id, id DESC);
