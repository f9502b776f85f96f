"""Bearer tokens: HS256 JWTs (PyJWT) that name a role and the party or partner behind it."""

from __future__ import annotations

import functools
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import jwt

from schema.operations import PARTNER_SCOPES
from services.kernel.ids import decode_id, encode_id
from services.kernel.principal import Principal, Role

ISSUER = "fingraph"
ALGORITHM = "HS256"
#: The partner scopes, declared once in services/partners (reached through schema).
SCOPES = frozenset(PARTNER_SCOPES)


class InvalidToken(Exception):
    pass


def issue_token(principal: Principal, *, secret: str, now: datetime, ttl: timedelta = timedelta(days=30)) -> str:
    claims: dict[str, object] = {
        "iss": ISSUER,
        "sub": principal.key,
        "role": principal.role.value,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    if principal.party_id is not None:
        kind = "Consumer" if principal.role is Role.CONSUMER else "Merchant"
        claims["party"] = encode_id(kind, principal.party_id)
    if principal.partner_id is not None:
        claims["partner"] = encode_id("Partner", principal.partner_id)
        claims["scopes"] = sorted(principal.scopes)
    # The OAuth-style `scope` claim a federation router reads for @requiresScopes: parties
    # and operators hold every read scope (the subgraph still limits them to what they
    # own); partners hold what they were given.
    claims["scope"] = " ".join(sorted(principal.scopes if principal.is_partner else SCOPES))
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def principal_from_token(token: str, *, secret: str, now: datetime) -> Principal:
    """The principal a valid token names; ``InvalidToken`` with the reason otherwise."""
    principal = _verified(token, secret)
    if principal.expired(now):
        raise InvalidToken("token expired")
    return principal


@functools.lru_cache(maxsize=10_000)
def _verified(token: str, secret: str) -> Principal:
    """The signature check and claims of a token, remembered: a client sends the same token
    with every request, and verifying it costs more than a compiled read's planning.
    Expiry is checked on every use by the caller (against our clock); failures are not
    cached (an exception is never remembered by ``lru_cache``)."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            # Time claims are checked against our clock (FINGRAPH_NOW), not the wall clock.
            options={"require": ["exp", "iat", "role", "sub"], "verify_exp": False, "verify_iat": False},
        )
        expires = datetime.fromtimestamp(float(claims["exp"]), UTC)
        role = Role(claims["role"])
    except jwt.PyJWTError as exc:
        raise InvalidToken(_reason(exc)) from exc
    except (ValueError, KeyError, TypeError, OverflowError, OSError) as exc:
        raise InvalidToken("its claims are not valid") from exc
    if role in (Role.CONSUMER, Role.MERCHANT):
        decoded = decode_id(str(claims.get("party", "")), "Consumer" if role is Role.CONSUMER else "Merchant")
        if decoded is None:
            raise InvalidToken("token has no valid party")
        return Principal(role, party_id=decoded[1], expires_at=expires)
    if role is Role.PARTNER:
        decoded = decode_id(str(claims.get("partner", "")), "Partner")
        scopes = claims.get("scopes", [])
        if decoded is None or not isinstance(scopes, list) or not set(scopes) <= SCOPES:
            raise InvalidToken("token has no valid partner or scopes")
        return Principal(role, partner_id=decoded[1], scopes=frozenset(scopes), expires_at=expires)
    return Principal(role, expires_at=expires)


def _reason(error: jwt.PyJWTError) -> str:
    """Why a token was refused, in our words: PyJWT's own messages quote Python's
    (``'utf-8' codec can't decode byte 0xff``), which a client has no business reading."""
    if isinstance(error, jwt.InvalidSignatureError):
        return "the signature does not verify"
    if isinstance(error, jwt.InvalidAlgorithmError):
        return "signed with an algorithm we do not accept"
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"the {error.claim!r} claim is missing"
    if isinstance(error, jwt.InvalidIssuerError):
        return "issued by someone else"
    if isinstance(error, jwt.DecodeError):
        return "not a well-formed signed token"
    return "its claims are not valid"


def principal_for(role: str, *, party: str | None = None, partner: str | None = None, scopes: str = "") -> Principal:
    """A principal from CLI arguments, e.g. ``consumer`` and ``con_1``."""
    kind = Role(role)
    if kind in (Role.CONSUMER, Role.MERCHANT):
        decoded = decode_id(party or "", "Consumer" if kind is Role.CONSUMER else "Merchant")
        if decoded is None:
            raise ValueError(
                f"--party must be a {kind.value} id such as {'con_1' if kind is Role.CONSUMER else 'mer_1'}"
            )
        return Principal(kind, party_id=decoded[1])
    if kind is Role.PARTNER:
        decoded = decode_id(partner or "", "Partner")
        wanted = frozenset(s.strip() for s in scopes.split(",") if s.strip())
        if decoded is None or not wanted <= SCOPES:
            raise ValueError(f"--partner must be a partner id (ptn_1) and --scopes a subset of {sorted(SCOPES)}")
        return Principal(kind, partner_id=decoded[1], scopes=wanted)
    return Principal(kind)


def secret_in_file(data_dir: Path) -> str:
    """The embedded server's token secret, kept beside its data (created on first use)."""
    path = data_dir / "jwt-secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


async def secret_in_database(conn: asyncpg.Connection) -> str:
    """A shared token secret for every process using this database (created on first use)."""
    await conn.execute(
        "INSERT INTO gateway.secrets (name, value) VALUES ('jwt', $1) ON CONFLICT (name) DO NOTHING",
        secrets.token_urlsafe(48),
    )
    value: str = await conn.fetchval("SELECT value FROM gateway.secrets WHERE name = 'jwt'")
    return value
