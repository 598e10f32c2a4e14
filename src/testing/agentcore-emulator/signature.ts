import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/** The key pair the emulator accepts when it verifies signatures. */
export interface EmulatorCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** node:crypto behind the hash interface SignatureV4 expects (HMAC when given a secret). */
class NodeSha256 {
  readonly #hash;
  constructor(secret?: string | Uint8Array | ArrayBuffer | ArrayBufferView) {
    this.#hash =
      secret === undefined
        ? createHash('sha256')
        : createHmac(
            'sha256',
            typeof secret === 'string' ? secret : Buffer.from(secret as Uint8Array),
          );
  }
  update(data: string | Uint8Array | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(typeof data === 'string' ? data : Buffer.from(data as Uint8Array));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

export interface SignedRequest {
  method: string;
  /** Path as sent, percent-encoding included. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

/**
 * Re-signs the request with the configured secret at the request's own `x-amz-date`, over the
 * headers it says it signed, and compares. Returns the reason when it does not match.
 */
export async function checkSignature(
  request: SignedRequest,
  credentials: EmulatorCredentials,
): Promise<string | undefined> {
  const authorization = String(request.headers.authorization ?? '');
  const match = AUTHORIZATION.exec(authorization);
  if (!match) return 'The request has no valid AWS4-HMAC-SHA256 Authorization header.';
  const [, accessKeyId, , region, service, signedHeaders, signature] = match as unknown as string[];
  if (accessKeyId !== credentials.accessKeyId) {
    return 'The security token included in the request is invalid.';
  }
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  const signingDate = parseAmzDate(amzDate);
  if (signingDate === undefined) return 'The request has no valid X-Amz-Date header.';
  const headers: Record<string, string> = {};
  for (const name of String(signedHeaders).split(';')) {
    const value = request.headers[name];
    if (value === undefined) return `The signed header ${name} is missing.`;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const signer = new SignatureV4({
    service: String(service),
    region: String(region),
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(typeof request.headers['x-amz-security-token'] === 'string'
        ? { sessionToken: request.headers['x-amz-security-token'] }
        : {}),
    },
    sha256: NodeSha256,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: headers.host ?? '',
      path: request.path,
      query: request.query,
      headers,
      body: request.body,
    },
    { signingDate },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))?.[1];
  if (
    expected === undefined ||
    !timingSafeEqual(Buffer.from(expected), Buffer.from(String(signature)))
  ) {
    return 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.';
  }
  return undefined;
}

function parseAmzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  return new Date(Date.UTC(year as number, (month as number) - 1, day, hour, minute, second));
}
