import { EventStreamCodec } from '@smithy/eventstream-codec';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const codec = new EventStreamCodec(
  (bytes) => decoder.decode(bytes),
  (text) => encoder.encode(text),
);

function stringHeader(value: string) {
  return { type: 'string' as const, value };
}

/** One `result` event frame with a JSON payload, as the service sends it. */
export function encodeEvent(eventType: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ':message-type': stringHeader('event'),
      ':event-type': stringHeader(eventType),
      ':content-type': stringHeader('application/json'),
    },
    body: encoder.encode(JSON.stringify(payload)),
  });
}

/**
 * A modeled exception inside the stream. `exceptionType` is the union member name, e.g.
 * `throttlingException`; the SDK throws it from the stream's iterator.
 */
export function encodeException(exceptionType: string, message: string): Uint8Array {
  return codec.encode({
    headers: {
      ':message-type': stringHeader('exception'),
      ':exception-type': stringHeader(exceptionType),
      ':content-type': stringHeader('application/json'),
    },
    body: encoder.encode(JSON.stringify({ message })),
  });
}
