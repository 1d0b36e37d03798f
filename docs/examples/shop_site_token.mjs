// How a shop's site mints a customer token for Switchboard, with the npm package jsonwebtoken.
// Run by the test suite (tests/integration/token_examples_test.cpp); see docs/protocol.md, "Tokens".
// Usage: node shop_site_token.mjs KID SECRET SHOP ISSUER MEMBER TIER
import jwt from "jsonwebtoken";

export function customerToken(kid, secret, shop, issuer, member, tier, ttlSeconds = 3600) {
  return jwt.sign(
    { shop, role: "customer", tier },  // tier: "A", "B" or "C", from the shop's member classification
    secret,
    { algorithm: "HS256", keyid: kid, issuer, audience: "switchboard", subject: member, expiresIn: ttlSeconds },
  );
}

const [kid, secret, shop, issuer, member, tier] = process.argv.slice(2);
console.log(customerToken(kid, secret, shop, issuer, member, tier));
