#!/usr/bin/env python3
"""How a shop's site mints a customer token for Switchboard, with PyJWT (Debian: python3-jwt).

Run by the test suite (tests/integration/token_examples_test.cpp); see docs/protocol.md, "Tokens".
Usage: shop_site_token.py KID SECRET SHOP ISSUER MEMBER TIER
"""
import sys
import time

import jwt  # PyJWT


def customer_token(kid, secret, shop, issuer, member, tier, ttl_s=3600):
    now = int(time.time())
    claims = {
        "iss": issuer,           # the shop's token_issuer
        "aud": "switchboard",    # [auth] audience
        "sub": member,           # the member id: who the customer is
        "shop": shop,
        "role": "customer",
        "tier": tier,            # "A", "B" or "C": from the shop's own member classification
        "iat": now,
        "exp": now + ttl_s,
    }
    return jwt.encode(claims, secret, algorithm="HS256", headers={"kid": kid})


if __name__ == "__main__":
    print(customer_token(*sys.argv[1:7]))
