/**
 * Probity's gRPC API for TypeScript and Node.js: the messages and service
 * descriptors generated from `proto/` (under `gen/`, made by
 * `npm run generate`), and the two pieces every caller needs around them —
 * a transport that sends the bearer token (and, for mutual TLS, the
 * client certificate), and a reader for the error details Probity puts in
 * a failed call's status (`ErrorInfo` with the reason, `BadRequest` with
 * each field violation).
 *
 * ```ts
 * const transport = probityTransport({ baseUrl: "http://127.0.0.1:50051", token });
 * const members = createClient(MemberService, transport);
 * try { await members.createMember({ member: {} }); }
 * catch (e) { console.log(errorDetails(e)?.fieldViolations); }
 * ```
 */
import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";

import { BadRequestSchema, ErrorInfoSchema } from "./gen/google/rpc/error_details_pb.js";

export { Code, ConnectError, createClient };

/** Where and as whom to call Probity. */
export interface ProbityOptions {
  /** `http://host:port` (plaintext, loopback) or `https://host:port`. */
  baseUrl: string;
  /** The bearer token (`probity token issue`, or an agency's issuer). */
  token: string;
  /** For `https://`: the CA of the server's certificate and, for mutual
   * TLS, this client's certificate and key (PEM text). */
  tls?: { ca: string; cert?: string; key?: string };
  /** Deadline of each call, in milliseconds (default 10 s). */
  timeoutMs?: number;
}

/** An interceptor that adds `authorization: Bearer <token>` to every call. */
export function bearer(token: string): Interceptor {
  return (next) => async (request) => {
    request.header.set("authorization", `Bearer ${token.trim()}`);
    return next(request);
  };
}

/** A gRPC (HTTP/2) transport to Probity with the token on every call. */
export function probityTransport(options: ProbityOptions): Transport {
  return createGrpcTransport({
    baseUrl: options.baseUrl,
    interceptors: [bearer(options.token)],
    defaultTimeoutMs: options.timeoutMs ?? 10_000,
    nodeOptions: options.tls
      ? { ca: options.tls.ca, cert: options.tls.cert, key: options.tls.key }
      : undefined,
  });
}

/** One field a request got wrong, as the server names it
 * (`requests[3].member.full_name`). */
export interface FieldViolation {
  /** The field's path in the request. */
  field: string;
  /** What is wrong with it. */
  description: string;
}

/** What a failed call's status says, read from its details. */
export interface ErrorDetails {
  /** The gRPC code. */
  code: Code;
  /** The message for people. */
  message: string;
  /** `ErrorInfo.reason`, for programs: `INVALID_ARGUMENT`,
   * `ETAG_MISMATCH`, `ILLEGAL_TRANSITION`, … (`probity.common.v1.ErrorReason`). */
  reason: string;
  /** `ErrorInfo.domain`: which service answered (`members.probity`, …). */
  domain: string;
  /** `ErrorInfo.metadata`, e.g. `current_etag`. */
  metadata: Record<string, string>;
  /** `BadRequest.field_violations` (with INVALID_ARGUMENT). */
  fieldViolations: FieldViolation[];
}

/** The details of `error` when it is a failed call, else `undefined`. */
export function errorDetails(error: unknown): ErrorDetails | undefined {
  if (!(error instanceof ConnectError)) {
    return undefined;
  }
  const info = error.findDetails(ErrorInfoSchema)[0];
  const bad = error.findDetails(BadRequestSchema)[0];
  return {
    code: error.code,
    message: error.rawMessage,
    reason: info?.reason ?? "",
    domain: info?.domain ?? "",
    metadata: { ...(info?.metadata ?? {}) },
    fieldViolations: (bad?.fieldViolations ?? []).map((v) => ({
      field: v.field,
      description: v.description,
    })),
  };
}
