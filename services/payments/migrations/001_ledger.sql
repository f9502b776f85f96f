-- Parties, accounts and the double-entry ledger.
--
-- Sign convention: a posting's amount is signed and every journal entry sums to zero.
-- A positive account balance is money the platform holds for that account (a wallet,
-- escrow, a fund's custody); the bank settlement account goes negative by the money
-- that came in from banks, so the whole ledger always sums to zero.
CREATE SCHEMA IF NOT EXISTS payments;

CREATE TABLE payments.parties (
    id                 bigserial PRIMARY KEY,
    kind               text NOT NULL CHECK (kind IN ('CONSUMER', 'MERCHANT')),
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    real_name_verified boolean NOT NULL DEFAULT false,
    certified          boolean NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL
);
CREATE INDEX parties_kind_id ON payments.parties (kind, id);

-- Wallets keep a running balance (locked FOR UPDATE in id order, never negative).
-- System accounts (party_id NULL) are hot: their balance column stays 0 and their
-- balance is the sum of their postings, so concurrent payments never queue on them.
CREATE TABLE payments.accounts (
    id        bigserial PRIMARY KEY,
    code      text NOT NULL UNIQUE,
    kind      text NOT NULL CHECK (kind IN (
                  'WALLET', 'ESCROW', 'BANK_SETTLEMENT', 'FUND_CUSTODY', 'FUND_INCOME',
                  'LOAN_BOOK', 'INTEREST_INCOME', 'FEE_INCOME')),
    party_id  bigint REFERENCES payments.parties (id),
    currency  char(3) NOT NULL DEFAULT 'CNY',
    balance   bigint NOT NULL DEFAULT 0,
    CONSTRAINT wallet_not_negative CHECK (kind <> 'WALLET' OR balance >= 0),
    CONSTRAINT wallets_have_party CHECK ((kind = 'WALLET') = (party_id IS NOT NULL)),
    CONSTRAINT system_balance_unused CHECK (kind = 'WALLET' OR balance = 0)
);
CREATE UNIQUE INDEX accounts_one_wallet ON payments.accounts (party_id, currency) WHERE kind = 'WALLET';

INSERT INTO payments.accounts (code, kind) VALUES
    ('ESCROW:CNY', 'ESCROW'),
    ('BANK_SETTLEMENT:CNY', 'BANK_SETTLEMENT'),
    ('FUND_CUSTODY:CNY', 'FUND_CUSTODY'),
    ('FUND_INCOME:CNY', 'FUND_INCOME'),
    ('LOAN_BOOK:CNY', 'LOAN_BOOK'),
    ('INTEREST_INCOME:CNY', 'INTEREST_INCOME'),
    ('FEE_INCOME:CNY', 'FEE_INCOME');

CREATE TABLE payments.journal_entries (
    id         bigserial PRIMARY KEY,
    kind       text NOT NULL,
    reference  text,
    created_at timestamptz NOT NULL
);

CREATE TABLE payments.postings (
    id         bigserial PRIMARY KEY,
    entry_id   bigint NOT NULL REFERENCES payments.journal_entries (id),
    account_id bigint NOT NULL REFERENCES payments.accounts (id),
    amount     bigint NOT NULL CHECK (amount <> 0),
    currency   char(3) NOT NULL DEFAULT 'CNY'
);
CREATE INDEX postings_account ON payments.postings (account_id);
CREATE INDEX postings_entry ON payments.postings (entry_id);

-- The ledger is append-only: postings and entries can be neither changed nor removed.
CREATE FUNCTION payments.refuse_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER postings_immutable BEFORE UPDATE OR DELETE ON payments.postings
    FOR EACH ROW EXECUTE FUNCTION payments.refuse_ledger_change();
CREATE TRIGGER postings_no_truncate BEFORE TRUNCATE ON payments.postings
    FOR EACH STATEMENT EXECUTE FUNCTION payments.refuse_ledger_change();
CREATE TRIGGER entries_immutable BEFORE UPDATE OR DELETE ON payments.journal_entries
    FOR EACH ROW EXECUTE FUNCTION payments.refuse_ledger_change();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON payments.journal_entries
    FOR EACH STATEMENT EXECUTE FUNCTION payments.refuse_ledger_change();

-- Every entry sums to zero per currency, checked at commit (after all its postings).
CREATE FUNCTION payments.check_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    unbalanced text;
BEGIN
    SELECT currency INTO unbalanced FROM payments.postings
     WHERE entry_id = NEW.entry_id GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal entry % does not sum to zero in %', NEW.entry_id, unbalanced
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER postings_balanced AFTER INSERT ON payments.postings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION payments.check_entry_balanced();
