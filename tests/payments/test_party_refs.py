"""Typed party ids checked against the party's kind, without a database (services/payments/parties.py).

Consumers and merchants share one id sequence: ``con_5`` and ``mer_5`` differ only in the
prefix, and an id of the wrong kind is NOT_FOUND on the field that named it.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kernel import DomainError, ErrorCode, encode_id
from services.payments import PartyKind, party_ref

pytestmark = pytest.mark.unit


def test_a_party_id_names_its_kind() -> None:
    assert party_ref("con_5", PartyKind.CONSUMER, field="buyerId") == (PartyKind.CONSUMER, 5)
    assert party_ref("mer_5", PartyKind.MERCHANT, field="merchantId") == (PartyKind.MERCHANT, 5)
    assert party_ref("mer_5", field="partyId") == (PartyKind.MERCHANT, 5)
    assert party_ref("con_5", PartyKind.CONSUMER, PartyKind.MERCHANT, field="partyId") == (PartyKind.CONSUMER, 5)


@pytest.mark.parametrize(
    ("value", "kinds"),
    [
        ("mer_5", (PartyKind.CONSUMER,)),
        ("con_5", (PartyKind.MERCHANT,)),
        ("pay_5", ()),
        ("ptn_5", ()),
        ("5", ()),
        ("con_", ()),
        ("con_\uff15", ()),
    ],
)
def test_anything_else_is_not_found_on_the_field(value: str, kinds: tuple[PartyKind, ...]) -> None:
    with pytest.raises(DomainError) as refused:
        party_ref(value, *kinds, field="merchantId")
    assert (refused.value.code, refused.value.field) == (ErrorCode.NOT_FOUND, "merchantId")


@given(st.sampled_from(PartyKind), st.integers(0, 10**18 - 1))
def test_every_party_id_round_trips(kind: PartyKind, pk: int) -> None:
    value = encode_id(kind.value.title(), pk)
    assert party_ref(value, kind, field="partyId") == (kind, pk)
