import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, HttpRequest, QueryParameterBag, SourceData } from '@smithy/types';

/** The key pair the test S3 server accepts (s3rver's own). */
export const S3_TEST_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

const { accessKeyId, secretAccessKey } = S3_TEST_CREDENTIALS;

/** Why a request is refused, as S3 answers it. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
}

const signatureMismatch: Refusal = {
  status: 403,
  code: 'SignatureDoesNotMatch',
  message:
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
};

/** Undefined when the request is anonymous or correctly signed; otherwise why it is refused. */
export async function verifySignature(
  incoming: IncomingMessage,
  body: Buffer,
): Promise<Refusal | undefined> {
  const rawUrl = incoming.url ?? '/';
  const questionMark = rawUrl.indexOf('?');
  // The raw path, not a URL-normalised one: S3 signs the path exactly as sent.
  const path = questionMark === -1 ? rawUrl : rawUrl.slice(0, questionMark);
  const query = parseQuery(questionMark === -1 ? '' : rawUrl.slice(questionMark + 1));
  const hostHeader = incoming.headers.host ?? '';
  const [hostname = '', port] = hostHeader.split(':');
  const base = {
    method: incoming.method ?? 'GET',
    protocol: 'http:',
    hostname,
    ...(port === undefined ? {} : { port: Number(port) }),
    path,
  };

  const authorization = incoming.headers.authorization;
  if (authorization !== undefined) {
    const match =
      /^AWS4-HMAC-SHA256 Credential=([^,]+),\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$/.exec(
        authorization,
      );
    if (!match) {
      return { status: 400, code: 'AuthorizationHeaderMalformed', message: 'Malformed header.' };
    }
    const [, credential = '', signedHeaders = '', signature = ''] = match;
    const scope = parseScope(credential);
    if (!scope) return refusalForScope(credential);
    const amzDate = header(incoming, 'x-amz-date');
    const signingDate = amzDate === undefined ? undefined : parseAmzDate(amzDate);
    if (!signingDate || amzDate?.slice(0, 8) !== scope.date) return signatureMismatch;
    const contentHash = header(incoming, 'x-amz-content-sha256');
    if (contentHash === undefined) {
      return { status: 400, code: 'InvalidRequest', message: 'Missing x-amz-content-sha256.' };
    }
    if (/^[0-9a-f]{64}$/.test(contentHash)) {
      if (createHash('sha256').update(body).digest('hex') !== contentHash) {
        return {
          status: 400,
          code: 'XAmzContentSHA256Mismatch',
          message: 'The provided x-amz-content-sha256 header does not match what was computed.',
        };
      }
    }
    const names = signedHeaders.split(';');
    if (!names.includes('host')) return signatureMismatch;
    const headers: Record<string, string> = {};
    for (const name of names) {
      const value = header(incoming, name);
      if (value === undefined) return signatureMismatch;
      headers[name] = value;
    }
    const signed = await signer(scope.region).sign(
      { ...base, query, headers },
      { signingDate, signingRegion: scope.region, signingService: scope.service },
    );
    const expected = /Signature=([0-9a-f]{64})$/.exec(signed.headers.authorization ?? '')?.[1];
    const expectedSignedHeaders = /SignedHeaders=([^,]+),/.exec(
      signed.headers.authorization ?? '',
    )?.[1];
    if (expectedSignedHeaders !== signedHeaders || !sameText(expected, signature)) {
      return signatureMismatch;
    }
    return undefined;
  }

  const signature = single(query['X-Amz-Signature']);
  if (signature === undefined) return undefined;
  const credential = single(query['X-Amz-Credential']) ?? '';
  const scope = parseScope(credential);
  if (!scope) return refusalForScope(credential);
  const amzDate = single(query['X-Amz-Date']);
  const signingDate = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  const expiresIn = Number(single(query['X-Amz-Expires']));
  const signedHeaders = single(query['X-Amz-SignedHeaders']) ?? '';
  if (!signingDate || !Number.isInteger(expiresIn) || amzDate?.slice(0, 8) !== scope.date) {
    return {
      status: 400,
      code: 'AuthorizationQueryParametersError',
      message: 'Query-string authentication needs X-Amz-Date and X-Amz-Expires.',
    };
  }
  const headers: Record<string, string> = {};
  for (const name of signedHeaders.split(';')) {
    const value = header(incoming, name);
    if (value === undefined) return signatureMismatch;
    headers[name] = value;
  }
  // S3 presigned URLs never sign the payload; the name matches the hoisted query parameter.
  headers['X-Amz-Content-Sha256'] = 'UNSIGNED-PAYLOAD';
  const { 'X-Amz-Signature': _provided, ...unsignedQuery } = query;
  let presigned: HttpRequest;
  try {
    presigned = await signer(scope.region).presign(
      { ...base, query: unsignedQuery, headers },
      {
        signingDate,
        expiresIn,
        signingRegion: scope.region,
        signingService: scope.service,
      },
    );
  } catch (error) {
    return { status: 400, code: 'AuthorizationQueryParametersError', message: String(error) };
  }
  const expected = single(presigned.query?.['X-Amz-Signature']);
  if (
    single(presigned.query?.['X-Amz-SignedHeaders']) !== signedHeaders ||
    !sameText(expected, signature)
  ) {
    return signatureMismatch;
  }
  return undefined;
}

function signer(signingRegion: string): SignatureV4 {
  return new SignatureV4({
    service: 's3',
    region: signingRegion,
    credentials: { accessKeyId, secretAccessKey },
    sha256: NodeSha256,
    uriEscapePath: false,
    applyChecksum: true,
  });
}

function parseScope(
  credential: string,
): { region: string; service: string; date: string } | undefined {
  const [keyId, date, scopeRegion, service, terminator] = credential.split('/');
  if (keyId !== accessKeyId || !date || !scopeRegion || !service) return undefined;
  if (terminator !== 'aws4_request') return undefined;
  return { region: scopeRegion, service, date };
}

function refusalForScope(credential: string): Refusal {
  return credential.split('/')[0] === accessKeyId
    ? { status: 400, code: 'AuthorizationHeaderMalformed', message: 'Malformed credential scope.' }
    : {
        status: 403,
        code: 'InvalidAccessKeyId',
        message: 'The AWS Access Key Id you provided does not exist in our records.',
      };
}

function parseAmzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  return new Date(Date.UTC(year as number, (month as number) - 1, day, hour, minute, second));
}

function parseQuery(text: string): QueryParameterBag {
  const query: QueryParameterBag = {};
  for (const [name, value] of new URLSearchParams(text)) {
    const existing = query[name];
    if (existing === undefined || existing === null) query[name] = value;
    else query[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return query;
}

function single(value: string | (string | null)[] | null | undefined): string | undefined {
  if (Array.isArray(value)) return undefined;
  return value ?? undefined;
}

function header(incoming: IncomingMessage, name: string): string | undefined {
  const value = incoming.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(',') : value;
}

function sameText(expected: string | undefined, actual: string): boolean {
  if (expected === undefined || expected.length !== actual.length) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(actual));
}

/** SHA-256 (and HMAC-SHA-256 when given a secret) from node:crypto, in the shape Smithy expects. */
class NodeSha256 implements Checksum {
  readonly #secret: SourceData | undefined;
  #hash: ReturnType<typeof createHash>;

  constructor(secret?: SourceData) {
    this.#secret = secret;
    this.#hash = NodeSha256.#create(secret);
  }

  static #create(secret: SourceData | undefined): ReturnType<typeof createHash> {
    return secret === undefined
      ? createHash('sha256')
      : (createHmac('sha256', toBuffer(secret)) as unknown as ReturnType<typeof createHash>);
  }

  update(data: Uint8Array | string): void {
    this.#hash.update(toBuffer(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }

  reset(): void {
    this.#hash = NodeSha256.#create(this.#secret);
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}
