-- Payment events (the transactional outbox of `paymentEvents`, docs/adr/011-write-path.md).
--
-- A payment's transaction inserts its event row instead of calling pg_notify: NOTIFY
-- takes one database-wide lock from its commit until the commit record is flushed, so
-- every notifying transaction committed one after another. A row commits or rolls back
-- with the payment, like everything else it wrote.
--
-- `tx` is the writing transaction's id. A reader (gateway/events.py through
-- outbox.payment_events_after) keeps a cursor: its last snapshot's xmax and the
-- transactions still running in it. Each poll reads the transactions that have ended
-- since, so no row is skipped however commits interleave, none is read twice, and a
-- long transaction delays only its own events.
CREATE TABLE payments.payment_events (
    id          bigserial PRIMARY KEY,
    tx          xid8 NOT NULL DEFAULT pg_current_xact_id(),
    payment_id  bigint NOT NULL,
    buyer_id    bigint NOT NULL,
    merchant_id bigint NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('CREATED', 'RELEASED', 'REFUNDED')),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_events_tx ON payments.payment_events (tx);
-- Readers purge what is older than a day; BRIN costs next to nothing per insert.
CREATE INDEX payment_events_created ON payments.payment_events USING brin (created_at);
