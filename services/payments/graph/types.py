"""GraphQL types of the payments slice. Their roots are the domain's frozen values."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry

from services.kernel.access import EXPOSURES
from services.kernel.graph import (
    Connection,
    Info,
    MoneyType,
    Node,
    page_window,
    require_private_access,
)
from services.kernel.graph.compiled import Leaf, iso_datetime, money, sql, typed_id
from services.kernel.graph.directives import paginated, private
from services.kernel.ids import encode_id
from services.kernel.money import Money
from services.payments.graph.access import known_counterparty, readable_payment, require_consumer_field
from services.payments.graph.compiled import CONFIRM_BY, ESCROW_HELD, HELD_AMOUNT, WALLET, party, payments_of
from services.payments.graph.entities import ConsumerEntity, MerchantEntity
from services.payments.graph.loaders import (
    EscrowHeldByMerchantIdLoader,
    PartyByIdLoader,
    PaymentsByBuyerIdLoader,
    PaymentsByMerchantIdLoader,
    WalletByPartyIdLoader,
)
from services.payments.models import AccountBalance, FundingSource, Party, PartyKind, Payment, PaymentStatus, Wallet

PaymentStatusEnum = strawberry.enum(PaymentStatus, description="Where the buyer's money is.")
FundingSourceEnum = strawberry.enum(FundingSource, description="Where the money for a payment comes from.")
_SCOPE = "payments:read"


@strawberry.type(name="Wallet", description="A party's wallet; the balance is exact.")
class WalletType(Node):
    @classmethod
    def is_type_of(cls, obj: object, _info: object) -> bool:
        return isinstance(obj, Wallet)

    @strawberry.field(  # type: ignore[misc]  # Node's id
        description="One wallet per party: refetch it with node(id:) to refresh a balance.",
        metadata=sql(Leaf(lambda row: typed_id("Wallet", row["party_id"]))),
    )
    def id(self, root: Wallet) -> strawberry.ID:
        return strawberry.ID(encode_id("Wallet", root.party_id))

    @strawberry.field(metadata=sql(money("{balance}", "{currency}")))
    def balance(self, root: Wallet) -> MoneyType:
        return root.balance  # type: ignore[return-value]  # Money resolves as Money type


@strawberry.federation.type(
    keys=["id"], name="Payment", description="An escrow payment (担保交易) from a consumer to a merchant."
)
class PaymentType(Node):
    @classmethod
    def is_type_of(cls, obj: object, _info: object) -> bool:
        return isinstance(obj, Payment)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> PaymentType | None:
        return await readable_payment(info, id)  # type: ignore[return-value]

    @strawberry.field(metadata=sql(Leaf(lambda row: typed_id("Payment", row["id"]))))  # type: ignore[misc]  # Node's id
    def id(self, root: Payment) -> strawberry.ID:
        return strawberry.ID(encode_id("Payment", root.id))

    @strawberry.field(metadata=sql(Leaf(lambda row: row["status"])))
    def status(self, root: Payment) -> PaymentStatusEnum:  # type: ignore[valid-type]
        return root.status

    @strawberry.field(description="What the buyer paid.", metadata=sql(money("{amount}", "{currency}")))
    def amount(self, root: Payment) -> MoneyType:
        return root.amount  # type: ignore[return-value]

    @strawberry.field(description="What escrow still holds for this payment.", metadata=sql(HELD_AMOUNT))
    def held_amount(self, root: Payment) -> MoneyType:
        return root.held  # type: ignore[return-value]

    @strawberry.field(
        description="What has been refunded to the buyer so far.", metadata=sql(money("{refunded}", "{currency}"))
    )
    def refunded_amount(self, root: Payment) -> MoneyType:
        return root.refunded  # type: ignore[return-value]

    @strawberry.field(description=(
        "The platform's fee: taken on release, less the same share of it given back with each refund after release."
    ), metadata=sql(money("{fee}", "{currency}")))
    def fee(self, root: Payment) -> MoneyType:
        return root.fee  # type: ignore[return-value]

    @strawberry.field(metadata=sql(Leaf(lambda row: row["funding_source"])))
    def funding_source(self, root: Payment) -> FundingSourceEnum:  # type: ignore[valid-type]
        return root.funding_source

    @strawberry.field(metadata=sql(Leaf(lambda row: row["order_ref"])))
    def order_ref(self, root: Payment) -> str:
        return root.order_ref

    @strawberry.field(metadata=sql(Leaf(lambda row: iso_datetime(row["created_at"]))))
    def created_at(self, root: Payment) -> datetime:
        return root.created_at

    @strawberry.field(metadata=sql(Leaf(lambda row: iso_datetime(row["released_at"]))))
    def released_at(self, root: Payment) -> datetime | None:
        return root.released_at

    @strawberry.field(
        description="When escrow pays the merchant unless the buyer confirms receipt or is refunded first; "
        "null once escrow holds nothing.",
        metadata=sql(CONFIRM_BY),
    )
    def confirm_by(self, root: Payment) -> datetime | None:
        return root.confirm_by

    @strawberry.field(metadata=sql(party(PartyKind.MERCHANT, "merchant_id")))
    async def merchant(self, root: Payment, info: Info) -> MerchantEntity:
        party: Party = await info.context.loader(PartyByIdLoader).load(root.merchant_id)
        return party

    @strawberry.field(metadata=sql(party(PartyKind.CONSUMER, "buyer_id")))
    async def buyer(self, root: Payment, info: Info) -> ConsumerEntity:
        # Whoever reads the payment reaches its buyer (its id); the buyer's other fields
        # ask the read rule, for which this payment already proves buyer and merchant met.
        known_counterparty(info, root)
        party: Party = await info.context.loader(PartyByIdLoader).load(root.buyer_id)
        return party


PaymentConnection = Connection[PaymentType]


async def payments_page(
    info: Info,
    loader: type[PaymentsByBuyerIdLoader | PaymentsByMerchantIdLoader],
    party_id: int,
    first: int,
    after: str | None,
) -> Connection[PaymentType]:
    size, before = page_window(first, after)
    rows: list[Payment] = await info.context.loader(loader).load((party_id, size + 1, before))
    return Connection.from_rows(
        rows,
        first=size,
        position=lambda p: p.id,
        node=lambda p: cast(PaymentType, p),  # the domain Payment is the type's root
        had_cursor=after is not None,
    )


# Private fields are nullable so that a FORBIDDEN one nulls only itself: the rest of
# the query still answers (partners with some scopes, counterparties' public fields).


@strawberry.type
class ConsumerPaymentsFields:
    """The payments service's fields of ``Consumer`` (joined in ``schema.entities``)."""

    @strawberry.field(metadata=sql(Leaf(lambda row: typed_id("Consumer", row["id"]))))
    def id(self, root: Party) -> strawberry.ID:
        return strawberry.ID(encode_id("Consumer", root.id))

    # Personal fields stay non-null (clients select ``name`` on Consumer and Merchant
    # together): a FORBIDDEN one nulls its nearest nullable parent.
    @strawberry.field(
        description="Personal: the consumer, its counterparties (merchants it has paid) and operators.",
        metadata=sql(Leaf(lambda row: row["name"])),
    )
    async def name(self, root: Party, info: Info) -> str:
        await require_consumer_field(info, root, EXPOSURES["Consumer"]["name"], "Consumer.name")
        return root.name

    @strawberry.field(description="Personal: as `name`.", metadata=sql(Leaf(lambda row: row["real_name_verified"])))
    async def real_name_verified(self, root: Party, info: Info) -> bool:
        await require_consumer_field(info, root, EXPOSURES["Consumer"]["realNameVerified"], "Consumer.realNameVerified")
        return root.real_name_verified

    @strawberry.field(directives=private(_SCOPE), metadata=sql(WALLET))
    async def wallet(self, root: Party, info: Info) -> WalletType | None:
        require_private_access(info, root.id, "Consumer.wallet", scope=_SCOPE)
        wallet: Wallet = await info.context.loader(WalletByPartyIdLoader).load(root.id)
        return wallet  # type: ignore[return-value]

    @strawberry.field(
        description="Payments this consumer made, newest first.", directives=[*private(_SCOPE), *paginated()],
        metadata=sql(payments_of("buyer_id")),
    )
    async def payments(
        self, root: Party, info: Info, first: int = 10, after: str | None = None
    ) -> Connection[PaymentType] | None:
        require_private_access(info, root.id, "Consumer.payments", scope=_SCOPE)
        return await payments_page(info, PaymentsByBuyerIdLoader, root.id, first, after)


@strawberry.type
class MerchantPaymentsFields:
    """The payments service's fields of ``Merchant`` (joined in ``schema.entities``)."""

    @strawberry.field(metadata=sql(Leaf(lambda row: typed_id("Merchant", row["id"]))))
    def id(self, root: Party) -> strawberry.ID:
        return strawberry.ID(encode_id("Merchant", root.id))

    @strawberry.field(metadata=sql(Leaf(lambda row: row["name"])))
    def name(self, root: Party) -> str:
        return root.name

    @strawberry.field(description="Third-party certified (诚信通).", metadata=sql(Leaf(lambda row: row["certified"])))
    def certified(self, root: Party) -> bool:
        return root.certified

    @strawberry.field(
        description="When the merchant joined the platform: buyers weigh a long-trading seller as they weigh "
        "certification.",
        metadata=sql(Leaf(lambda row: iso_datetime(row["created_at"]))),
    )
    def member_since(self, root: Party) -> datetime:
        return root.created_at

    @strawberry.field(directives=private(_SCOPE), metadata=sql(WALLET))
    async def wallet(self, root: Party, info: Info) -> WalletType | None:
        require_private_access(info, root.id, "Merchant.wallet", scope=_SCOPE)
        wallet: Wallet = await info.context.loader(WalletByPartyIdLoader).load(root.id)
        return wallet  # type: ignore[return-value]

    @strawberry.field(
        description="Money buyers have paid this merchant that escrow still holds.", directives=private(_SCOPE),
        metadata=sql(ESCROW_HELD),
    )
    async def escrow_held(self, root: Party, info: Info) -> MoneyType | None:
        require_private_access(info, root.id, "Merchant.escrowHeld", scope=_SCOPE)
        held: Money = await info.context.loader(EscrowHeldByMerchantIdLoader).load(root.id)
        return held  # type: ignore[return-value]

    @strawberry.field(
        description="Payments made to this merchant, newest first.", directives=[*private(_SCOPE), *paginated()],
        metadata=sql(payments_of("merchant_id")),
    )
    async def received_payments(
        self, root: Party, info: Info, first: int = 10, after: str | None = None
    ) -> Connection[PaymentType] | None:
        require_private_access(info, root.id, "Merchant.receivedPayments", scope=_SCOPE)
        return await payments_page(info, PaymentsByMerchantIdLoader, root.id, first, after)


@strawberry.type(name="AccountBalance", description="An account group and its balance from the postings.")
class AccountBalanceType:
    code: str
    balance: MoneyType

    @staticmethod
    def of(line: AccountBalance) -> AccountBalanceType:
        return AccountBalanceType(code=line.code, balance=line.balance)  # type: ignore[arg-type]


@strawberry.type(description="Every ledger account group; the total is always zero.")
class TrialBalance:
    accounts: list[AccountBalanceType]
    total: MoneyType
