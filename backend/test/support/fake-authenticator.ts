// A software WebAuthn authenticator for tests: a real P-256 key (node:crypto), real
// authenticatorData / clientDataJSON / attestationObject ("none" attestation) and real ES256
// signatures, in the JSON shapes @simplewebauthn/browser sends (RegistrationResponseJSON,
// AuthenticationResponseJSON). Every field can be bent per call to play an attacker or a broken
// authenticator: no user verification, a counter that goes backwards, another origin, RP ID or
// challenge, a different key.
import crypto from "node:crypto";
import { cborEncode } from "./cbor";

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

export interface AuthenticatorOptions {
  /** the origin the "browser" runs on */
  origin: string;
  /** the RP ID the "browser" hashes into authenticatorData (usually the options' rp.id / rpId) */
  rpId: string;
  /** counter of the first signature; 0 = an authenticator without a counter (stays 0) */
  counter?: number;
  /** a synced passkey (backup eligible + backed up) rather than a device-bound key */
  synced?: boolean;
  transports?: string[];
  aaguid?: Buffer;
  /**
   * what the browser's credProps extension reports at registration (clientExtensionResults.credProps.rk):
   * true = a discoverable (resident) credential; null = the browser said nothing (the default)
   */
  discoverable?: boolean | null;
}

export interface Bend {
  /** user verified flag (default true) */
  uv?: boolean;
  /** user present flag (default true) */
  up?: boolean;
  /** signature counter to report (default: the next one) */
  counter?: number;
  origin?: string;
  rpId?: string;
  challenge?: string;
  type?: string;
  /** sign with another key (a forged response) */
  signWith?: crypto.KeyObject;
  /** response.userHandle (base64url), as a discoverable credential returns it; absent by default */
  userHandle?: string;
}

const b64url = (b: Uint8Array | string) => Buffer.from(b).toString("base64url");
const sha256 = (b: Uint8Array | string) => crypto.createHash("sha256").update(b).digest();

export class FakeAuthenticator {
  readonly credentialId: Buffer = crypto.randomBytes(32);
  readonly privateKey: crypto.KeyObject;
  readonly publicKey: crypto.KeyObject;
  counter: number;
  readonly opts: Required<Omit<AuthenticatorOptions, "counter">>;

  constructor(opts: AuthenticatorOptions) {
    const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    this.counter = opts.counter ?? 0;
    this.opts = { synced: false, transports: ["usb"], aaguid: Buffer.alloc(16), discoverable: null, ...opts };
  }

  /** base64url credential id, as the browser reports it */
  get id(): string {
    return b64url(this.credentialId);
  }

  /** COSE_Key (RFC 9053): kty EC2, alg ES256, crv P-256, x, y */
  cosePublicKey(): Buffer {
    const jwk = this.publicKey.export({ format: "jwk" });
    return cborEncode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, "base64url")],
        [-3, Buffer.from(jwk.y!, "base64url")],
      ]),
    );
  }

  private flags(bend: Bend, attested: boolean): number {
    let f = 0;
    if (bend.up ?? true) f |= FLAG_UP;
    if (bend.uv ?? true) f |= FLAG_UV;
    if (this.opts.synced) f |= FLAG_BE | FLAG_BS;
    if (attested) f |= FLAG_AT;
    return f;
  }

  private authData(bend: Bend, counter: number, attested: Buffer | null): Buffer {
    const head = Buffer.alloc(37);
    sha256(bend.rpId ?? this.opts.rpId).copy(head, 0);
    head[32] = this.flags(bend, attested !== null);
    head.writeUInt32BE(counter, 33);
    return attested ? Buffer.concat([head, attested]) : head;
  }

  private clientData(type: string, challenge: string, bend: Bend): Buffer {
    return Buffer.from(JSON.stringify({ type: bend.type ?? type, challenge: bend.challenge ?? challenge, origin: bend.origin ?? this.opts.origin, crossOrigin: false }));
  }

  /** navigator.credentials.create() → RegistrationResponseJSON, for options from registration-options */
  register(options: { challenge: string }, bend: Bend = {}) {
    const idLen = Buffer.alloc(2);
    idLen.writeUInt16BE(this.credentialId.length);
    const attested = Buffer.concat([this.opts.aaguid, idLen, this.credentialId, this.cosePublicKey()]);
    const authData = this.authData(bend, bend.counter ?? this.counter, attested);
    const attestationObject = cborEncode({ fmt: "none", attStmt: {}, authData });
    const clientDataJSON = this.clientData("webauthn.create", options.challenge, bend);
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key" as const,
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        transports: this.opts.transports,
        publicKeyAlgorithm: -7,
        authenticatorData: b64url(authData),
      },
      clientExtensionResults: (this.opts.discoverable === null ? {} : { credProps: { rk: this.opts.discoverable } }) as Record<string, unknown>,
      authenticatorAttachment: "cross-platform" as const,
    };
  }

  /** navigator.credentials.get() → AuthenticationResponseJSON; moves the counter on like a real key */
  authenticate(options: { challenge: string }, bend: Bend = {}) {
    if (bend.counter === undefined && this.counter > 0) this.counter += 1;
    const counter = bend.counter ?? this.counter;
    const authData = this.authData(bend, counter, null);
    const clientDataJSON = this.clientData("webauthn.get", options.challenge, bend);
    const signature = crypto.sign("sha256", Buffer.concat([authData, sha256(clientDataJSON)]), bend.signWith ?? this.privateKey);
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key" as const,
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: bend.userHandle as string | undefined,
      },
      clientExtensionResults: {},
      authenticatorAttachment: "cross-platform" as const,
    };
  }
}

export type FakeRegistration = ReturnType<FakeAuthenticator["register"]>;
export type FakeAssertion = ReturnType<FakeAuthenticator["authenticate"]>;
