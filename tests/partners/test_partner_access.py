"""What a partner may read, without a database: its token's scopes meet the merchants' grants.

The open platform (DIGEST.md): partners read a merchant's data only where the merchant
granted it (ADR 007, 015). A partner's reach is the intersection of the scopes on its
token and the (merchant, scope) grants loaded for the request; it never reaches a
consumer on its own and never reads a consumer's personal fields.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kernel import Principal, Role
from services.kernel.access import (
    PAYMENTS_SCOPE,
    Exposure,
    may_reach_consumer,
    may_reach_merchant,
    may_read_consumer_field,
    may_read_payment,
)
from services.partners.models import SCOPES

pytestmark = pytest.mark.unit

PARTNER = Principal(
    Role.PARTNER, partner_id=3, scopes=frozenset({"payments:read", "credit:read"}),
    grants=frozenset({(10, "payments:read"), (11, "funds:read"), (12, "credit:read")}),
)


def test_a_partner_reads_payments_where_its_scope_and_the_merchants_grant_meet() -> None:
    assert may_read_payment(PARTNER, buyer_id=5, merchant_id=10)
    assert not may_read_payment(PARTNER, buyer_id=5, merchant_id=11)  # granted funds:read only
    assert not may_read_payment(PARTNER, buyer_id=5, merchant_id=99)  # no grant at all
    assert PARTNER.partner_may_read(12, "credit:read")
    # Granted funds:read by merchant 11, but the token does not carry that scope.
    assert not PARTNER.partner_may_read(11, "funds:read")


def test_a_partner_reaches_only_merchants_that_granted_it_something() -> None:
    assert may_reach_merchant(PARTNER, 10) and may_reach_merchant(PARTNER, 11)
    assert not may_reach_merchant(PARTNER, 99)
    for role, party in [(Role.CONSUMER, 5), (Role.MERCHANT, 10), (Role.OPERATOR, None)]:
        assert may_reach_merchant(Principal(role, party_id=party), 99)


def test_a_partner_never_reaches_a_consumer_nor_its_personal_fields() -> None:
    assert not may_reach_consumer(PARTNER, 5)
    assert not may_reach_consumer(PARTNER, 5, counterparty=True)
    assert may_read_consumer_field(PARTNER, 5, Exposure.PUBLIC)
    assert not may_read_consumer_field(PARTNER, 5, Exposure.PERSONAL, counterparty=True)
    assert not may_read_consumer_field(PARTNER, 5, Exposure.PRIVATE)


def test_a_partner_is_not_a_party() -> None:
    # A partner whose id happens to equal a party's id is still not that party.
    lookalike = Principal(Role.PARTNER, party_id=10, partner_id=10, scopes=frozenset(SCOPES))
    assert not lookalike.is_party(10) and not lookalike.owns_or_operates(10)
    assert not may_read_payment(lookalike, buyer_id=10, merchant_id=10)
    assert PARTNER.key == "partner:3"


def test_the_known_scopes() -> None:
    assert PAYMENTS_SCOPE in SCOPES
    assert set(SCOPES) == {"payments:read", "credit:read", "funds:read", "profile:read"}


merchant_ids = st.integers(1, 6)
scopes = st.sampled_from(SCOPES)
partners = st.builds(
    lambda token, grants: Principal(Role.PARTNER, partner_id=3, scopes=frozenset(token), grants=frozenset(grants)),
    st.sets(scopes), st.sets(st.tuples(merchant_ids, scopes)),
)


@given(partners, merchant_ids, scopes)
def test_a_partners_reach_is_exactly_scopes_meet_grants(partner: Principal, merchant: int, scope: str) -> None:
    granted = (merchant, scope) in partner.grants
    assert partner.partner_may_read(merchant, scope) == (scope in partner.scopes and granted)
    assert partner.may_read(merchant, scope) == partner.partner_may_read(merchant, scope)
    assert may_reach_merchant(partner, merchant) == any(m == merchant for m, _ in partner.grants)
    assert may_read_payment(partner, buyer_id=merchant, merchant_id=merchant) == partner.partner_may_read(
        merchant, PAYMENTS_SCOPE)


@given(partners, merchant_ids, scopes)
def test_revoking_a_grant_never_widens_a_partners_reach(partner: Principal, merchant: int, scope: str) -> None:
    revoked = Principal(Role.PARTNER, partner_id=3, scopes=partner.scopes, grants=partner.grants - {(merchant, scope)})
    for m in range(1, 7):
        for s in SCOPES:
            assert not revoked.partner_may_read(m, s) or partner.partner_may_read(m, s)
    assert not revoked.partner_may_read(merchant, scope)
