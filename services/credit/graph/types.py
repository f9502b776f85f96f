"""GraphQL types of the credit slice. Their roots are the domain's frozen values.

Who may read what: a merchant's ``creditProfile`` is public to every signed-in principal
(buyers use the index to pick sellers; partners need ``credit:read``); a consumer's only
to that consumer and operators. ``creditLine`` is private: the party itself, operators,
and partners the merchant granted ``credit:read``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from services.credit.graph.compiled import LINE, PROFILE
from services.credit.graph.loaders import (
    CreditLineByPartyIdLoader,
    CreditProfileByPartyIdLoader,
    DrawdownsByLineIdLoader,
)
from services.credit.models import Accrual, CreditLine, CreditProfile, Drawdown, LineStatus, Repayment
from services.kernel.graph import (
    Connection,
    Info,
    MoneyType,
    Node,
    page_window,
    require_principal,
    require_private_access,
)
from services.kernel.graph.compiled import Leaf, money, normalized_decimal, sql, standard_only, typed_id
from services.kernel.graph.directives import private, signed_in
from services.kernel.ids import encode_id
from services.payments import Party

_SCOPE = "credit:read"
#: Reached by node(id:) only: no contract read selects a drawdown.
_DRAWDOWN_ONLY = standard_only("a drawdown is reached by node(id:) and drawdowns, both answered by resolvers")

CreditLineStatusEnum = strawberry.enum(
    LineStatus, name="CreditLineStatus",
    description="Whether a line can be drawn on. Values are only ever added (ADR 024): a client treats an unknown "
    "one as not drawable.",
)


@strawberry.type(name="CreditFactor", description="One factor group of a credit score and its points.")
class FactorType:
    name: str
    points: int
    detail: str


@strawberry.type(name="CreditProfile", description="Credit score 350..950 = 350 + the points of its factors.")
class CreditProfileType:
    @strawberry.field
    def score(self, root: CreditProfile) -> int:
        return root.score

    @strawberry.field(description="A (800+), B (700+), C (600+), D (500+), E.")
    def band(self, root: CreditProfile) -> str:
        return root.band

    @strawberry.field
    def factors(self, root: CreditProfile) -> list[FactorType]:
        return [FactorType(name=f.name, points=f.points, detail=f.detail) for f in root.factors]


@strawberry.type(name="Drawdown", description="One draw on a credit line, due after its term.")
class DrawdownType(Node):
    @classmethod
    def is_type_of(cls, obj: object, _info: object) -> bool:
        return isinstance(obj, Drawdown)

    @strawberry.field(metadata=_DRAWDOWN_ONLY)  # type: ignore[misc]  # Node's id
    def id(self, root: Drawdown) -> strawberry.ID:
        return strawberry.ID(encode_id("Drawdown", root.id))

    @strawberry.field(metadata=_DRAWDOWN_ONLY)
    def amount(self, root: Drawdown) -> MoneyType:
        return root.amount  # type: ignore[return-value]

    @strawberry.field(description="Principal of this drawdown not yet repaid.", metadata=_DRAWDOWN_ONLY)
    def outstanding(self, root: Drawdown) -> MoneyType:
        return root.outstanding  # type: ignore[return-value]

    @strawberry.field(metadata=_DRAWDOWN_ONLY)
    def drawn_at(self, root: Drawdown) -> datetime:
        return root.drawn_at

    @strawberry.field(description="Last day of the term; from the next day the principal is overdue.",
                      metadata=_DRAWDOWN_ONLY)
    def due_date(self, root: Drawdown) -> date:
        return root.due_date


@strawberry.type(name="CreditLine", description="A revolving credit line with daily interest.")
class CreditLineType(Node):
    @classmethod
    def is_type_of(cls, obj: object, _info: object) -> bool:
        return isinstance(obj, CreditLine)

    @strawberry.field(metadata=sql(Leaf(lambda row: typed_id("CreditLine", row["id"]))))  # type: ignore[misc]
    def id(self, root: CreditLine) -> strawberry.ID:
        return strawberry.ID(encode_id("CreditLine", root.id))

    @strawberry.field(metadata=sql(money("{limit_fen}")))
    def limit(self, root: CreditLine) -> MoneyType:
        return root.limit  # type: ignore[return-value]

    @strawberry.field(
        description="limit - outstandingPrincipal.", metadata=sql(money("{limit_fen} - {outstanding_principal}"))
    )
    def available(self, root: CreditLine) -> MoneyType:
        return root.available  # type: ignore[return-value]

    @strawberry.field(metadata=sql(money("{outstanding_principal}")))
    def outstanding_principal(self, root: CreditLine) -> MoneyType:
        return root.outstanding_principal  # type: ignore[return-value]

    @strawberry.field(
        description="Interest and penalty interest charged and not yet repaid.",
        metadata=sql(money("{accrued_interest} + {accrued_penalty}")),
    )
    def accrued_interest(self, root: CreditLine) -> MoneyType:
        return root.accrued_interest + root.accrued_penalty  # type: ignore[return-value]

    @strawberry.field(
        description="The part of accruedInterest that is penalty interest (overdue principal, 1.5x).",
        metadata=sql(money("{accrued_penalty}")),
    )
    def penalty_interest(self, root: CreditLine) -> MoneyType:
        return root.accrued_penalty  # type: ignore[return-value]

    @strawberry.field(metadata=sql(Leaf(lambda row: normalized_decimal(row["daily_rate"]))))
    def daily_rate(self, root: CreditLine) -> Decimal:
        return root.daily_rate.normalize() if root.daily_rate else root.daily_rate

    @strawberry.field(
        description="dailyRate x 365 (simple).",
        metadata=sql(Leaf(lambda row: normalized_decimal(f"{row['daily_rate']} * 365"))),
    )
    def apr(self, root: CreditLine) -> Decimal:
        return root.apr.normalize() if root.apr else root.apr

    @strawberry.field(metadata=sql(Leaf(lambda row: row["status"])))
    def status(self, root: CreditLine) -> CreditLineStatusEnum:  # type: ignore[valid-type]
        return root.status

    @strawberry.field(description="Term of each drawdown in days.", metadata=sql(Leaf(lambda row: row["term_days"])))
    def term_days(self, root: CreditLine) -> int:
        return root.term_days

    @strawberry.field(
        description="Drawdowns, newest first.",
        metadata=standard_only("no contract read selects it; its DateTime and Date leaves would need SQL twins"),
    )
    async def drawdowns(
        self, root: CreditLine, info: Info, first: int = 10, after: str | None = None
    ) -> Connection[DrawdownType]:
        first, position = page_window(first, after)
        rows: list[Drawdown] = await info.context.loader(DrawdownsByLineIdLoader).load((root.id, first + 1, position))
        return Connection.from_rows(rows, first=first, position=lambda d: d.id, node=lambda d: d,  # type: ignore[arg-type,return-value]
                                    had_cursor=after is not None)


@strawberry.type(name="CreditRepayment", description="How one repayment was allocated.")
class RepaymentType:
    @strawberry.field
    def amount(self, root: Repayment) -> MoneyType:
        return root.amount  # type: ignore[return-value]

    @strawberry.field
    def penalty_paid(self, root: Repayment) -> MoneyType:
        return root.penalty_paid  # type: ignore[return-value]

    @strawberry.field
    def interest_paid(self, root: Repayment) -> MoneyType:
        return root.interest_paid  # type: ignore[return-value]

    @strawberry.field
    def principal_paid(self, root: Repayment) -> MoneyType:
        return root.principal_paid  # type: ignore[return-value]


@strawberry.type(name="CreditAccrual", description="One business date's interest over all lines.")
class AccrualType:
    date: date
    lines: int
    total_interest: MoneyType = strawberry.field(description="Interest charged (whole fen), penalty excluded.")
    total_penalty: MoneyType
    residue: Decimal = strawberry.field(description="Sub-fen interest carried to later days (fen).")
    already_accrued: bool = strawberry.field(description="True if this date was accrued before: nothing changed.")

    @staticmethod
    def of(a: Accrual) -> AccrualType:
        return AccrualType(date=a.date, lines=a.lines, total_interest=a.total_interest,  # type: ignore[arg-type]
                           total_penalty=a.total_penalty, residue=a.residue,  # type: ignore[arg-type]
                           already_accrued=a.already_accrued)


async def _profile(info: Info, party: Party) -> CreditProfileType | None:
    return await info.context.loader(CreditProfileByPartyIdLoader).load(party.id)  # type: ignore[no-any-return]


async def _line(info: Info, party: Party, what: str) -> CreditLineType | None:
    require_private_access(info, party.id, what, scope=_SCOPE)
    return await info.context.loader(CreditLineByPartyIdLoader).load(party.id)  # type: ignore[no-any-return]


@strawberry.type
class MerchantCreditFields:
    """The credit service's fields of ``Merchant`` (joined in ``schema.entities``)."""

    @strawberry.field(description="Credit index: public to signed-in users.", directives=signed_in(),
                      metadata=sql(PROFILE))
    async def credit_profile(self, root: Party, info: Info) -> CreditProfileType | None:
        principal = require_principal(info)
        if principal.is_partner:
            require_private_access(info, root.id, "Merchant.creditProfile", scope=_SCOPE)
        return await _profile(info, root)

    @strawberry.field(description="The merchant's credit line, if one is open.", directives=private(_SCOPE),
                      metadata=sql(LINE))
    async def credit_line(self, root: Party, info: Info) -> CreditLineType | None:
        return await _line(info, root, "Merchant.creditLine")


@strawberry.type
class ConsumerCreditFields:
    """The credit service's fields of ``Consumer`` (joined in ``schema.entities``)."""

    @strawberry.field(description="Credit score: the consumer and operators only.", directives=private(_SCOPE),
                      metadata=sql(PROFILE))
    async def credit_profile(self, root: Party, info: Info) -> CreditProfileType | None:
        require_private_access(info, root.id, "Consumer.creditProfile", scope=_SCOPE)
        return await _profile(info, root)

    @strawberry.field(description="The consumer's credit line, if one is open.", directives=private(_SCOPE),
                      metadata=sql(LINE))
    async def credit_line(self, root: Party, info: Info) -> CreditLineType | None:
        return await _line(info, root, "Consumer.creditLine")
