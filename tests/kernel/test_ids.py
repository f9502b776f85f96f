"""Typed ids: ``mer_42`` is Merchant 42, and an id of another type is refused, not misread."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kernel import decode_id, encode_id
from services.kernel.ids import KEY_PARTS, PREFIXES, decode_key, id_type

pytestmark = pytest.mark.unit

type_names = st.sampled_from(sorted(set(PREFIXES) - set(KEY_PARTS)))
primary_keys = st.integers(min_value=0, max_value=10**18 - 1)


def test_known_ids() -> None:
    assert encode_id("Merchant", 42) == "mer_42"
    assert encode_id("Payment", 7) == "pay_7"
    assert encode_id("Fund", 1) == "fnd_1"
    assert decode_id("con_5") == ("Consumer", 5)
    assert decode_id("ptn_3", "Partner") == ("Partner", 3)
    assert decode_id("drw_9", "CreditLine", "Drawdown") == ("Drawdown", 9)


def test_every_prefix_names_one_type() -> None:
    assert len(set(PREFIXES.values())) == len(PREFIXES)
    assert all("_" not in prefix for prefix in PREFIXES.values())


def test_an_id_of_another_type_is_refused() -> None:
    assert decode_id("pay_7", "Merchant") is None
    assert decode_id("con_5", "Merchant") is None
    assert decode_id("mer_5", "Consumer", "Partner") is None


@pytest.mark.parametrize(
    "value",
    [
        "", "mer", "mer_", "_42", "mer42", "MER_42", "xyz_1", "mer_-1", "mer_+1", "mer_1.0", "mer_1_2",
        " mer_1", "mer_1 ", "mer_0x1",
        # Digits that int() and str.isdigit() accept but an id never has.
        "mer_\uff11", "mer_\u0661", "mer_\u00b2",
        # Longer than a bigint can hold.
        "mer_" + "9" * 19,
    ],
)
def test_a_malformed_id_is_refused(value: str) -> None:
    assert decode_id(value) is None
    assert decode_id(value, "Merchant") is None


@given(type_names, primary_keys)
def test_every_id_round_trips(type_name: str, pk: int) -> None:
    assert decode_id(encode_id(type_name, pk)) == (type_name, pk)
    assert decode_id(encode_id(type_name, pk), type_name) == (type_name, pk)


@given(type_names, type_names, primary_keys)
def test_an_id_decodes_only_as_its_own_type(type_name: str, other: str, pk: int) -> None:
    decoded = decode_id(encode_id(type_name, pk), other)
    assert decoded == ((type_name, pk) if other == type_name else None)


@given(st.text(max_size=30))
def test_any_text_decodes_to_a_known_type_and_a_bigint_or_nothing(value: str) -> None:
    decoded = decode_id(value)
    if decoded is not None:
        type_name, pk = decoded
        assert type_name in PREFIXES
        assert 0 <= pk < 10**18
        assert value == f"{PREFIXES[type_name]}_{value.partition('_')[2]}"


def test_a_holding_is_keyed_by_its_fund_and_its_party() -> None:
    # given the holding of fund 1 by party 42 (it exists before any subscription, as zero units)
    value = encode_id("FundHolding", 1, 42)
    # then its id names both numbers, and no single-number reader misreads it
    assert value == "fhd_1_42"
    assert decode_key(value, "FundHolding") == ("FundHolding", (1, 42))
    assert id_type(value) == "FundHolding"
    assert decode_id(value) is None
    assert decode_key("fhd_1", "FundHolding") is None
    assert decode_key("fhd_1_2_3") is None
    assert decode_key("mer_1_2") is None
    with pytest.raises(ValueError, match="keyed by 2"):
        encode_id("FundHolding", 1)
