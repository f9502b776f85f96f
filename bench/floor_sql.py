"""The single SQL statements of the ``sql-floor`` peer (``bench/floor.py``), written by hand.

Each statement builds the whole response body (``{"data": ...}``) of one contract query in
PostgreSQL with ``json_build_object``/``json_agg``, as a bare endpoint could at best: the
floor the gateway is compared with (issue 7). They are not generated from the schema;
the benchmark checks at start that they answer exactly what the gateway answers.

What the gateway computes in Python is written in SQL here, for this peer only:
the credit score with its five explained factors (``services/credit/scoring.py``) and
the fund's 7-day annualised yield (``services/funds/yields.py``, via ``exp(sum(ln))`` at
numeric precision, then rounded half-up to 4 decimals like the Decimal code).

Parameters: ``$1`` the party id or the keyset bound, then for ``MERCHANTS_PAGE`` ``$2`` the
business date (Asia/Shanghai), for the others ``$2`` now (timestamptz) and ``$3`` the
business date, as the gateway's clock gives them.
"""

from __future__ import annotations

# The statements are constants composed of literal fragments; no input is ever formatted in.
# ruff: noqa: S608

#: Above every id: the keyset bound of a first page.
AFTER_ALL = 9_223_372_036_854_775_807
_HELD = "'HELD', 'PARTIALLY_REFUNDED'"


def _amount(fen: str) -> str:
    """``Money.amount`` as the Decimal scalar prints it: fen / 100 with two decimals."""
    return f"json_build_object('amount', (({fen})::numeric / 100)::numeric(20, 2)::text)"


def _normalized(value: str) -> str:
    """``Decimal.normalize()`` as the resolvers print it (zero keeps its scale)."""
    return f"CASE WHEN ({value}) = 0 THEN ({value})::text ELSE trim_scale({value})::text END"


def _cursor(position: str) -> str:
    return f"translate(encode(convert_to('c:' || ({position}), 'UTF8'), 'base64'), '+/', '-_')"


def _payments_page(column: str, party: str, first: int, node: str) -> str:
    """A keyset page of ``payments.payments`` (newest first) with ``hasNextPage``/``endCursor``."""
    return f"""(SELECT json_build_object(
        'edges', coalesce(json_agg(json_build_object('node', {node}) ORDER BY p.id DESC)
                          FILTER (WHERE p.n <= {first}), '[]'),
        'pageInfo', json_build_object('hasNextPage', count(*) > {first},
                                      'endCursor', {_cursor(f"min(p.id) FILTER (WHERE p.n <= {first})")}))
      FROM (SELECT q.*, row_number() OVER (ORDER BY q.id DESC) AS n FROM payments.payments q
             WHERE q.{column} = {party} ORDER BY q.id DESC LIMIT {first + 1}) p)"""


def _received_edges(party: str, first: int, node: str) -> str:
    """Only the edges of a page (MerchantsPage asks for no pageInfo of the payments)."""
    return f"""json_build_object('edges', coalesce((
      SELECT json_agg(json_build_object('node', {node}) ORDER BY p.id DESC)
        FROM (SELECT * FROM payments.payments q WHERE q.merchant_id = {party}
               ORDER BY q.id DESC LIMIT {first}) p), '[]'))"""


def _holding(party: str, fields: str, today: str = "$3") -> str:
    """The YEB holding "as of today": pending orders due by ``today`` count as settled."""
    return f"""(SELECT json_build_object({fields}) FROM (
      SELECT f.id AS fund_id, f.code, f.name,
             CASE WHEN h.party_id IS NOT NULL THEN h.units + coalesce(d.subscribed, 0) ELSE 0.00 END AS units,
             CASE WHEN h.party_id IS NOT NULL THEN h.pending_units - coalesce(d.subscribed, 0) ELSE 0.00 END
               AS pending_units,
             coalesce(h.total_income, 0.00) AS total_income,
             CASE WHEN h.last_income_date = {today}::date - 1 THEN h.last_income ELSE 0 END AS yesterday_income
        FROM funds.funds f
        LEFT JOIN funds.holdings h ON h.fund_id = f.id AND h.party_id = {party}
        LEFT JOIN LATERAL (SELECT sum(o.units) FILTER (WHERE o.kind = 'SUBSCRIBE') AS subscribed FROM funds.orders o
                            WHERE o.fund_id = h.fund_id AND o.party_id = h.party_id AND o.status = 'PENDING'
                              AND o.settle_date <= {today}::date) d ON true
       WHERE f.code = 'YEB') yeb)"""


_SEVEN_DAY_YIELD = """(SELECT CASE WHEN count(*) = 7 THEN
      round((exp(sum(ln(1 + w.earnings_per_10k / 10000)) * 365 / 7::numeric(60, 50)) - 1) * 100, 4)::text END
      FROM (SELECT y.earnings_per_10k FROM funds.daily_yields y WHERE y.fund_id = yeb.fund_id
             ORDER BY y.date DESC LIMIT 7) w)"""
_EARNINGS_PER_10K = """(SELECT y.earnings_per_10k::text FROM funds.daily_yields y WHERE y.fund_id = yeb.fund_id
      ORDER BY y.date DESC LIMIT 1)"""


def _line(party: str, fields: str) -> str:
    return f"(SELECT json_build_object({fields}) FROM credit.lines l WHERE l.party_id = {party})"


def _credit_profile(party: str, with_factors: bool) -> str:
    """``scoring.credit_profile`` over the facts ``credit_profiles`` loads, in SQL."""
    factors = """, 'factors', json_build_array(
        json_build_object('name', 'PAYMENT_HISTORY', 'points', s.history_points, 'detail',
          format('%s released payments (+%s), volume %s CNY (+%s), %s/%s refunded (-%s)', s.released,
                 s.count_points, s.volume / 100, s.volume_points, s.refunded, s.payments, s.refund_penalty)),
        json_build_object('name', 'REPAYMENT', 'points', s.repayment_points, 'detail',
          CASE WHEN s.on_time + s.late + s.overdue = 0 THEN 'no credit history yet (neutral 50)'
          WHEN s.overdue > 0 THEN format('%s overdue now (0 until repaid), %s repaid on time, %s repaid late',
                                         s.overdue, s.on_time, s.late)
          ELSE format('%s repaid on time (+10 each), %s repaid late (-25 each), from 50, within 0..150',
                      s.on_time, s.late) END),
        json_build_object('name', 'RATINGS', 'points', s.rating_points, 'detail',
          CASE WHEN s.ratings = 0 THEN 'no ratings yet (neutral 50)'
          ELSE format('%s ratings, %s stars in all (20 per average star)', s.ratings, s.stars) END),
        json_build_object('name', 'CERTIFICATION', 'points', s.certification_points, 'detail',
          format('certified: %s, real-name verified: %s',
                 CASE WHEN s.certified THEN 'yes (+60)' ELSE 'no' END,
                 CASE WHEN s.real_name_verified THEN 'yes (+40)' ELSE 'no' END)),
        json_build_object('name', 'ACCOUNT_AGE', 'points', s.age_points, 'detail',
          format('%s days on the platform (1 per week, at most 50)', s.age_days)))""" if with_factors else ""
    return f"""(SELECT json_build_object('score', 350 + s.history_points + s.repayment_points + s.rating_points
                                          + s.certification_points + s.age_points{factors})
      FROM (SELECT f.*,
                   greatest(0, f.count_points + f.volume_points - f.refund_penalty) AS history_points,
                   CASE WHEN f.on_time + f.late + f.overdue = 0 THEN 50 WHEN f.overdue > 0 THEN 0
                        ELSE greatest(0, least(150, 50 + 10 * f.on_time - 25 * f.late)) END
                     AS repayment_points,
                   CASE WHEN f.ratings = 0 THEN 50 ELSE 20 * f.stars / f.ratings END AS rating_points,
                   (CASE WHEN f.certified THEN 60 ELSE 0 END) + (CASE WHEN f.real_name_verified THEN 40 ELSE 0 END)
                     AS certification_points,
                   least(50, f.age_days / 7) AS age_points
              FROM (SELECT pt.certified, pt.real_name_verified, h.payments, h.released, h.refunded, h.volume,
                           least(100, 2 * h.released) AS count_points, least(100, h.volume / 100000) AS volume_points,
                           CASE WHEN h.payments > 0 THEN 100 * h.refunded / h.payments ELSE 0 END AS refund_penalty,
                           r.ratings, r.stars, k.on_time, k.late, k.overdue,
                           greatest(0, floor(extract(epoch FROM $2::timestamptz - pt.created_at) / 86400))::bigint
                             AS age_days
                      FROM payments.parties pt,
                      LATERAL (SELECT count(*) AS payments, count(*) FILTER (WHERE x.counted) AS released,
                                      count(*) FILTER (WHERE x.granted) AS refunded,
                                      coalesce(sum(x.settled) FILTER (WHERE x.counted), 0)::bigint AS volume
                                 FROM (SELECT b.released_at IS NOT NULL AS counted, false AS granted,
                                              b.amount - (SELECT coalesce(sum(r.amount), 0) FROM payments.refunds r
                                                           WHERE r.payment_id = b.id AND NOT r.after_release) AS settled
                                         FROM payments.payments b WHERE b.buyer_id = pt.id
                                       UNION ALL
                                       SELECT m.status = 'RELEASED', m.refunded > 0, m.amount - m.refunded
                                         FROM payments.payments m WHERE m.merchant_id = pt.id
                                      ) x) h,
                      LATERAL (SELECT count(*) AS ratings, coalesce(sum(rt.stars), 0) AS stars
                                 FROM credit.ratings rt WHERE rt.merchant_id = pt.id) r,
                      LATERAL (SELECT count(d.id) FILTER (WHERE d.closed_at IS NOT NULL
                                                            AND credit.business_date(d.closed_at) <= d.due_date)
                                        AS on_time,
                                      count(d.id) FILTER (WHERE d.closed_at IS NULL
                                                            AND d.due_date < $3::date) AS overdue,
                                      count(d.id) FILTER (WHERE d.closed_at IS NOT NULL
                                                            AND credit.business_date(d.closed_at) > d.due_date)
                                        AS late
                                 FROM credit.lines cl JOIN credit.drawdowns d ON d.line_id = cl.id
                                WHERE cl.party_id = pt.id) k
                     WHERE pt.id = {party}) f) s)"""


MERCHANTS_PAGE = f"""
WITH page AS (SELECT id, name FROM payments.parties WHERE kind = 'MERCHANT' AND id < $1::bigint
               ORDER BY id DESC LIMIT 21),
     shown AS (SELECT * FROM page ORDER BY id DESC LIMIT 20)
SELECT json_build_object('data', json_build_object('merchants', json_build_object(
  'edges', coalesce((SELECT json_agg(json_build_object('node', json_build_object(
      'id', 'mer_' || m.id, 'name', m.name,
      'receivedPayments', {_received_edges("m.id", 10, "json_build_object('id', 'pay_' || p.id, 'status', p.status, "
                                           f"'amount', {_amount('p.amount')})")},
      'creditLine', {_line("m.id", f"'limit', {_amount('l.limit_fen')}, "
                                  f"'outstandingPrincipal', {_amount('l.outstanding_principal')}")},
      'fundHolding', {_holding("m.id", f"'units', yeb.units::text, 'yesterdayIncome', "
                                       f"{_amount('(yeb.yesterday_income * 100)::bigint')}", today="$2")}
    )) ORDER BY m.id DESC) FROM shown m), '[]'),
  'pageInfo', json_build_object('hasNextPage', (SELECT count(*) > 20 FROM page),
                                'endCursor', (SELECT {_cursor("min(id)")} FROM shown))
)))::text
"""

CONSUMER_HOME = f"""
SELECT json_build_object('data', json_build_object('me', (SELECT json_build_object(
  '__typename', 'Consumer', 'id', 'con_' || c.id, 'name', c.name,
  'wallet', (SELECT json_build_object('balance', json_build_object(
               'amount', ((a.balance)::numeric / 100)::numeric(20, 2)::text, 'currency', a.currency))
               FROM payments.accounts a WHERE a.party_id = c.id AND a.kind = 'WALLET'),
  'fundHolding', {_holding("c.id", f"'units', yeb.units::text, 'pendingUnits', yeb.pending_units::text, "
                                   f"'value', {_amount('(yeb.units * 100)::bigint')}, "
                                   f"'yesterdayIncome', {_amount('(yeb.yesterday_income * 100)::bigint')}, "
                                   f"'totalIncome', {_amount('(yeb.total_income * 100)::bigint')}, "
                                   f"'fund', json_build_object('code', yeb.code, 'name', yeb.name, "
                                   f"'earningsPer10k', {_EARNINGS_PER_10K}, "
                                   f"'sevenDayAnnualizedYield', {_SEVEN_DAY_YIELD})")},
  'creditLine', {_line("c.id", f"'limit', {_amount('l.limit_fen')}, "
                               f"'available', {_amount('l.limit_fen - l.outstanding_principal')}, "
                               f"'outstandingPrincipal', {_amount('l.outstanding_principal')}, "
                               f"'accruedInterest', {_amount('l.accrued_interest + l.accrued_penalty')}, "
                               f"'dailyRate', {_normalized('l.daily_rate')}, "
                               f"'apr', {_normalized('l.daily_rate * 365')}")},
  'creditProfile', {_credit_profile("c.id", with_factors=True)},
  'payments', {_payments_page("buyer_id", "c.id", 10,
                              "json_build_object('id', 'pay_' || p.id, 'status', p.status, "
                              f"'amount', {_amount('p.amount')}, 'merchant', (SELECT json_build_object("
                              "'id', 'mer_' || pm.id, 'name', pm.name) FROM payments.parties pm "
                              "WHERE pm.id = p.merchant_id))")}
) FROM payments.parties c WHERE c.id = $1::bigint AND c.kind = 'CONSUMER')))::text
"""

MERCHANT_VIEW = f"""
SELECT json_build_object('data', json_build_object('merchant', (SELECT json_build_object(
  'id', 'mer_' || m.id, 'name', m.name,
  'wallet', (SELECT json_build_object('balance', {_amount('a.balance')})
               FROM payments.accounts a WHERE a.party_id = m.id AND a.kind = 'WALLET'),
  'escrowHeld', {_amount(f"(SELECT coalesce(sum(e.amount - e.refunded), 0) FROM payments.payments e "
                         f"WHERE e.merchant_id = m.id AND e.status IN ({_HELD}))")},
  'receivedPayments', {_payments_page("merchant_id", "m.id", 20,
                                      "json_build_object('id', 'pay_' || p.id, 'status', p.status, "
                                      f"'amount', {_amount('p.amount')}, "
                                      "'buyer', json_build_object('id', 'con_' || p.buyer_id))")},
  'creditProfile', {_credit_profile("m.id", with_factors=False)},
  'creditLine', {_line("m.id", f"'limit', {_amount('l.limit_fen')}, "
                               f"'available', {_amount('l.limit_fen - l.outstanding_principal')}, "
                               f"'outstandingPrincipal', {_amount('l.outstanding_principal')}")},
  'fundHolding', {_holding("m.id", f"'units', yeb.units::text, 'yesterdayIncome', "
                                   f"{_amount('(yeb.yesterday_income * 100)::bigint')}")}
) FROM payments.parties m WHERE m.id = $1::bigint AND m.kind = 'MERCHANT')))::text
"""
