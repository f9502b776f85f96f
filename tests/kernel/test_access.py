"""Who may read a Consumer, a Merchant, a Payment, without a database (ADR 015's table).

Partners have their own file (tests/partners/test_partner_access.py); the HTTP matrix
over every path is tests/e2e/test_authorization_matrix.py.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kernel import Principal, Role
from services.kernel.access import (
    EXPOSURES,
    Exposure,
    may_reach_consumer,
    may_read_consumer_field,
    may_read_payment,
    needs_counterparty,
)

pytestmark = pytest.mark.unit

CONSUMER = Principal(Role.CONSUMER, party_id=5)
OTHER_CONSUMER = Principal(Role.CONSUMER, party_id=6)
MERCHANT = Principal(Role.MERCHANT, party_id=10)
OPERATOR = Principal(Role.OPERATOR)


def test_a_consumer_is_reached_by_itself_operators_and_its_counterparties() -> None:
    assert may_reach_consumer(CONSUMER, 5) and may_reach_consumer(OPERATOR, 5)
    assert not may_reach_consumer(OTHER_CONSUMER, 5)
    assert not may_reach_consumer(MERCHANT, 5)
    assert may_reach_consumer(MERCHANT, 5, counterparty=True)
    # Being "a counterparty" means nothing for a consumer asking about another consumer.
    assert not may_reach_consumer(OTHER_CONSUMER, 5, counterparty=True)


@pytest.mark.parametrize(
    ("principal", "counterparty", "public", "personal", "private"),
    [
        (CONSUMER, False, True, True, True),
        (OPERATOR, False, True, True, True),
        (MERCHANT, True, True, True, False),  # a merchant it paid: its name, never its wallet
        (MERCHANT, False, True, False, False),
        (OTHER_CONSUMER, False, True, False, False),
    ],
)
def test_a_consumers_fields_by_exposure(
    principal: Principal, counterparty: bool, public: bool, personal: bool, private: bool
) -> None:
    read = {exposure: may_read_consumer_field(principal, 5, exposure, counterparty=counterparty)
            for exposure in Exposure}
    assert read == {Exposure.PUBLIC: public, Exposure.PERSONAL: personal, Exposure.PRIVATE: private}


def test_only_a_merchant_asking_about_another_party_needs_the_payment_history() -> None:
    assert needs_counterparty(MERCHANT, 5)
    assert not needs_counterparty(MERCHANT, 10)
    assert not needs_counterparty(CONSUMER, 6) and not needs_counterparty(OPERATOR, 5)
    assert not needs_counterparty(Principal(Role.MERCHANT), 5)


def test_a_payment_is_read_by_its_buyer_its_merchant_and_operators() -> None:
    assert may_read_payment(CONSUMER, buyer_id=5, merchant_id=10)
    assert may_read_payment(MERCHANT, buyer_id=5, merchant_id=10)
    assert may_read_payment(OPERATOR, buyer_id=5, merchant_id=10)
    assert not may_read_payment(OTHER_CONSUMER, buyer_id=5, merchant_id=10)
    assert not may_read_payment(Principal(Role.MERCHANT, party_id=11), buyer_id=5, merchant_id=10)


def test_every_party_field_has_one_exposure_and_ids_are_public() -> None:
    assert set(EXPOSURES) == {"Consumer", "Merchant"}
    assert all(fields["id"] is Exposure.PUBLIC for fields in EXPOSURES.values())
    assert EXPOSURES["Consumer"]["wallet"] is Exposure.PRIVATE and EXPOSURES["Merchant"]["wallet"] is Exposure.PRIVATE


principals = st.builds(Principal, st.sampled_from([Role.CONSUMER, Role.MERCHANT, Role.OPERATOR]),
                       party_id=st.none() | st.integers(1, 6))


@given(principals, st.integers(1, 6), st.booleans())
def test_exposures_nest_and_private_means_owner_or_operator(principal: Principal, consumer: int, paid: bool) -> None:
    public, personal, private = (may_read_consumer_field(principal, consumer, exposure, counterparty=paid)
                                 for exposure in (Exposure.PUBLIC, Exposure.PERSONAL, Exposure.PRIVATE))
    assert public and (personal or not private)
    assert private == (principal.role is Role.OPERATOR or (principal.party_id == consumer))
    assert principal.key == f"{principal.role.value}:{principal.party_id if principal.party_id is not None else '-'}"
