-- A merchant may grant a partner its financial portrait (Merchant.financialProfile,
-- docs/adr/026-portrait-aggregates.md): the scope profile:read joins services.partners' SCOPES.
ALTER TABLE partners.consents DROP CONSTRAINT consents_scopes_check;
ALTER TABLE partners.consents ADD CONSTRAINT consents_scopes_check CHECK (cardinality(scopes) > 0
    AND scopes <@ ARRAY['payments:read', 'credit:read', 'funds:read', 'profile:read']);
