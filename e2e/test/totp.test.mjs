// Unit check of the e2e TOTP helper against the published vectors before the journey relies on it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { base32Decode, hotp, totp } from "../lib/totp.mjs";

const SEED = Buffer.from("12345678901234567890", "ascii");

test("RFC 4226 appendix D HOTP vectors (counts 0..9)", () => {
  const expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
  expected.forEach((code, count) => assert.equal(hotp(SEED, count), code));
});

test("RFC 6238 appendix B TOTP SHA1 vectors (8 digits)", () => {
  const vectors = [
    [59, "94287082"],
    [1111111109, "07081804"],
    [1111111111, "14050471"],
    [1234567890, "89005924"],
    [2000000000, "69279037"],
    [20000000000, "65353130"],
  ];
  for (const [seconds, code] of vectors) assert.equal(totp(SEED, seconds * 1000, { digits: 8 }), code, `T=${seconds}`);
});

test("base32 decoding (RFC 4648 vectors, spaces and case ignored)", () => {
  assert.equal(base32Decode("MZXW6YTBOI======").toString(), "foobar");
  assert.equal(base32Decode("mzxw 6ytb oi").toString(), "foobar");
  // the RFC seed as an authenticator app would receive it
  assert.equal(base32Decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").toString(), "12345678901234567890");
  assert.equal(totp("GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ", 59_000), "287082");
  assert.throws(() => base32Decode("ABC1"), /invalid base32/);
});
