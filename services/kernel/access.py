"""Who may read a Consumer, a Merchant, a Payment, and which of their fields: the one rule.

Every path to such an object (root fields, nested fields, ``node``, ``_entities``,
subscription payloads, the compiled read path) asks these functions; the graph layer
only fetches the facts they need (is this merchant a counterparty of that consumer?).
The table is ADR 015:

============  =====================================  ===========================================
Type          reached by                              fields
============  =====================================  ===========================================
Consumer      itself, operators, its counterparties   ``id``: wherever the object is reached;
              (merchants it has paid); and as the     ``name``, ``realNameVerified`` (personal):
              buyer of a payment the principal may    itself, operators, counterparties, never a
              read                                    partner; the rest: itself and operators
Merchant      anyone signed in; a partner only if     public (id, name, certified, credit index):
              the merchant granted it access          anyone who reaches it; private: itself,
                                                      operators, partners granted the field's scope
Payment       its buyer, its merchant, operators,     all fields; its buyer and merchant by the
              partners the merchant granted           rules above
              ``payments:read``
============  =====================================  ===========================================

Objects a party owns (Wallet, CreditLine, Drawdown, FundHolding) are read as the party's
private field that holds them (``OWNED``, ``may_read_owned``); a Fund is public; a
Partner's card is ``may_read_partner``.

Private fields of either type are ``Principal.may_read`` (the party itself, operators, a
partner the merchant granted the field's scope), applied by ``require_private_access``.
Counterparty facts are data: the graph batches them (a loader, an EXISTS in SQL). A
principal for whom no fact can change the answer gets it without one (``needs_counterparty``).
"""

from __future__ import annotations

from enum import Enum

from services.kernel.principal import Principal, Role

PAYMENTS_SCOPE = "payments:read"
CREDIT_SCOPE = "credit:read"
FUNDS_SCOPE = "funds:read"


class Exposure(str, Enum):
    """How widely a field of a party may be read."""

    #: Anyone who may reach the object (ids; a merchant's shop front).
    PUBLIC = "public"
    #: A consumer's personal data: itself, operators and its counterparties.
    PERSONAL = "personal"
    #: Balances, histories, holdings: the party itself, operators, partners by scope.
    PRIVATE = "private"


#: Every field of the party types and its exposure; a test walks the schema against it,
#: so a new field cannot arrive without a decision here (and a row in the matrix test).
EXPOSURES: dict[str, dict[str, Exposure]] = {
    "Consumer": {
        "id": Exposure.PUBLIC,
        "name": Exposure.PERSONAL,
        "realNameVerified": Exposure.PERSONAL,
        "wallet": Exposure.PRIVATE,
        "payments": Exposure.PRIVATE,
        "creditProfile": Exposure.PRIVATE,
        "creditLine": Exposure.PRIVATE,
        "fundHolding": Exposure.PRIVATE,
    },
    "Merchant": {
        "id": Exposure.PUBLIC,
        "name": Exposure.PUBLIC,
        "certified": Exposure.PUBLIC,
        # The shop front a buyer compares sellers by, as the certification beside it.
        "memberSince": Exposure.PUBLIC,
        # The credit index: public to consumers and merchants (buyers choose sellers by
        # it); a partner needs credit:read (ADR 007), checked by its resolver.
        "creditProfile": Exposure.PUBLIC,
        "wallet": Exposure.PRIVATE,
        "escrowHeld": Exposure.PRIVATE,
        "receivedPayments": Exposure.PRIVATE,
        "creditLine": Exposure.PRIVATE,
        "fundHolding": Exposure.PRIVATE,
    },
}


def needs_counterparty(principal: Principal, consumer_id: int) -> bool:
    """True when only the payment history decides: a merchant asking about a consumer."""
    return principal.role is Role.MERCHANT and principal.party_id is not None and not principal.is_party(consumer_id)


def may_reach_consumer(principal: Principal, consumer_id: int, *, counterparty: bool = False) -> bool:
    """``consumer(id:)``, ``node``, ``_entities``: the consumer itself, operators, its counterparties.

    A partner never reaches a consumer on its own; a consumer reached through a payment
    the principal may read is reached already (only its ``id`` is then guaranteed)."""
    return principal.owns_or_operates(consumer_id) or (counterparty and principal.role is Role.MERCHANT)


def may_read_consumer_field(
    principal: Principal, consumer_id: int, exposure: Exposure, *, counterparty: bool = False
) -> bool:
    """A field of a consumer already reached (``counterparty``: the merchant asking was paid by it)."""
    if exposure is Exposure.PUBLIC:
        return True
    if exposure is Exposure.PERSONAL:
        return may_reach_consumer(principal, consumer_id, counterparty=counterparty)
    return principal.owns_or_operates(consumer_id)


def may_reach_merchant(principal: Principal, merchant_id: int) -> bool:
    """Anyone signed in reaches a merchant; a partner only one that granted it access."""
    return not principal.is_partner or principal.partner_has_consent(merchant_id)


def may_read_payment(principal: Principal, *, buyer_id: int, merchant_id: int) -> bool:
    """Its buyer, its merchant, operators, and partners the merchant granted ``payments:read``."""
    return (
        principal.is_operator
        or principal.is_party(buyer_id)
        or principal.is_party(merchant_id)
        or principal.partner_may_read(merchant_id, PAYMENTS_SCOPE)
    )


#: Objects a party owns that ``node(id:)`` refetches on their own, and the partner scope
#: that covers each: they are the party's private data, read as ``wallet``,
#: ``creditLine`` and ``fundHolding`` are read through the party (ADR 024).
OWNED: dict[str, str] = {
    "Wallet": PAYMENTS_SCOPE,
    "CreditLine": CREDIT_SCOPE,
    "Drawdown": CREDIT_SCOPE,
    "FundHolding": FUNDS_SCOPE,
}


def may_read_owned(principal: Principal, type_name: str, owner_id: int) -> bool:
    """A Wallet, CreditLine, Drawdown or FundHolding: as the owning party's private field."""
    return principal.may_read(owner_id, OWNED[type_name])


def may_read_partner(principal: Principal, partner_id: int) -> bool:
    """A partner's public card (id, name): operators, the partner itself, and merchants,
    who grant partners access and see them in their access log. Consumers have no
    dealings with partners."""
    return (
        principal.is_operator
        or principal.role is Role.MERCHANT
        or (principal.is_partner and principal.partner_id == partner_id)
    )
