"""An idempotency key's request hash is stable: keys stored by earlier versions still match their retries."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal

from gateway.idempotency import request_hash


def test_the_hash_is_sha256_of_the_sorted_json_of_operation_and_request() -> None:
    request = {"merchant": 7, "amount": 990, "order": "order-1", "rate": Decimal("0.05"), "day": date(2026, 11, 20)}
    canonical = json.dumps({"operation": "createPayment", "request": request}, sort_keys=True, default=str)
    assert request_hash("createPayment", request) == hashlib.sha256(canonical.encode()).digest()
    # a value written down by an earlier version, for one request
    assert request_hash("topUp", {"amount": 100}).hex() == hashlib.sha256(
        b'{"operation": "topUp", "request": {"amount": 100}}').hexdigest()


def test_a_different_request_has_a_different_hash() -> None:
    assert request_hash("createPayment", {"amount": 990}) != request_hash("createPayment", {"amount": 991})
    assert request_hash("topUp", {"amount": 990}) != request_hash("withdraw", {"amount": 990})
