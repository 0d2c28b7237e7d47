"""Probity's gRPC API for Python: the wrapper around the generated code.

The messages and stubs are the generated package ``probity``
(``probity.members.v1.members_pb2``, ``…_pb2_grpc``); this module adds what
every caller needs around them:

- :func:`connect` — a channel that sends ``authorization: Bearer <token>``
  on every call (plaintext for a loopback address, TLS with the CA and, for
  mutual TLS, a client certificate otherwise);
- :func:`error_details` — what a failed call's status says: the reason and
  domain of its ``ErrorInfo``, and each field violation of its
  ``BadRequest``.

    channel = connect("127.0.0.1:50051", token)
    members = members_pb2_grpc.MemberServiceStub(channel)
    try:
        members.CreateMember(members_pb2.CreateMemberRequest())
    except grpc.RpcError as e:
        print(error_details(e).field_violations)
"""

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

__all__ = ["connect", "error_details", "ErrorDetails"]


class _Bearer(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
              grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Adds the bearer token to every call's metadata."""

    def __init__(self, token: str):
        self._header = ("authorization", f"Bearer {token.strip()}")

    def _with_token(self, details):
        metadata = [m for m in (details.metadata or []) if m[0] != "authorization"]
        metadata.append(self._header)
        return details._replace(metadata=metadata)

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._with_token(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._with_token(details), request)

    def intercept_stream_unary(self, continuation, details, requests):
        return continuation(self._with_token(details), requests)

    def intercept_stream_stream(self, continuation, details, requests):
        return continuation(self._with_token(details), requests)


def connect(address: str, token: str, *, ca: Optional[bytes] = None,
            cert: Optional[bytes] = None, key: Optional[bytes] = None) -> grpc.Channel:
    """A channel to ``address`` (``host:port``) sending ``token``.

    With ``ca`` (PEM bytes) the channel speaks TLS, presenting ``cert`` and
    ``key`` when given (mutual TLS); without it, plaintext — which Probity
    serves only on loopback.
    """
    if ca is None:
        channel = grpc.insecure_channel(address)
    else:
        credentials = grpc.ssl_channel_credentials(root_certificates=ca, private_key=key,
                                                   certificate_chain=cert)
        channel = grpc.secure_channel(address, credentials)
    return grpc.intercept_channel(channel, _Bearer(token))


@dataclass
class ErrorDetails:
    """What a failed call's status says."""

    code: grpc.StatusCode
    message: str
    #: ``ErrorInfo.reason``: ``INVALID_ARGUMENT``, ``ETAG_MISMATCH``, …
    reason: str = ""
    #: ``ErrorInfo.domain``: the service that answered (``members.probity``).
    domain: str = ""
    #: ``ErrorInfo.metadata`` (``current_etag``, …).
    metadata: Dict[str, str] = field(default_factory=dict)
    #: ``BadRequest.field_violations`` as (field path, description).
    field_violations: List[Tuple[str, str]] = field(default_factory=list)


def error_details(error: grpc.RpcError) -> ErrorDetails:
    """The details of a failed call."""
    out = ErrorDetails(code=error.code(), message=error.details() or "")
    status = rpc_status.from_call(error)
    for detail in status.details if status else []:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            out.reason, out.domain, out.metadata = info.reason, info.domain, dict(info.metadata)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            out.field_violations = [(v.field, v.description) for v in bad.field_violations]
    return out
