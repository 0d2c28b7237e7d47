"""A typed Python client, generated from proto/, against a running Probity.

Creates part of an organisation tree and 250 members, pages through them,
and checks the error contract: field violations and ErrorInfo decoded with
grpcio-status, ABORTED on a stale etag, and idempotent retries.
Prints 'N passed, M failed' and exits non-zero on any failure.
"""

import os
import sys
import traceback

import grpc
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2
from google.type import date_pb2
from grpc_status import rpc_status

from probity.members.v1 import members_pb2, members_pb2_grpc, organizations_pb2, organizations_pb2_grpc

ADDR = os.environ["PROBITY_ADDR"]
TOKEN = os.environ["PROBITY_TOKEN"]
AUTH = (("authorization", f"Bearer {TOKEN}"),)

channel = grpc.insecure_channel(ADDR)
orgs = organizations_pb2_grpc.OrganizationServiceStub(channel)
members = members_pb2_grpc.MemberServiceStub(channel)
Kind = organizations_pb2.OrganizationKind


def create_org(code, kind, parent=""):
    return orgs.CreateOrganization(
        organizations_pb2.CreateOrganizationRequest(
            organization=organizations_pb2.Organization(
                code=code,
                display_name=f"Tổ chức {code}",
                kind=kind,
                parent=parent,
                valid_from=date_pb2.Date(year=2010, month=1, day=1),
            )
        ),
        metadata=AUTH,
    )


def details(error):
    """(reason, [fields]) from a grpc error's google.rpc.Status details."""
    status = rpc_status.from_call(error)
    reason, fields = "", []
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason = info.reason
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields = sorted(v.field for v in bad.field_violations)
    return reason, fields


state = {}


def test_tree_and_members_page_to_the_end():
    province = create_org("PY-TU", Kind.ORGANIZATION_KIND_PROVINCE)
    district = create_org("PY-HU", Kind.ORGANIZATION_KIND_DISTRICT, province.name)
    cell = create_org("PY-CB", Kind.ORGANIZATION_KIND_CELL, district.name)
    state["cell"] = cell
    for i in range(250):
        members.CreateMember(
            members_pb2.CreateMemberRequest(
                member=members_pb2.Member(
                    party_card_number=f"{70000000 + i}",
                    full_name=f"Nguyễn Thị {i}",
                    date_of_birth=date_pb2.Date(year=1985, month=1, day=1),
                    organization=cell.name,
                    admission_date=date_pb2.Date(year=2012, month=1, day=1),
                ),
                request_id=f"py-member-{i}",
            ),
            metadata=AUTH,
        )
    seen, token, pages = set(), "", 0
    while True:
        page = members.ListMembers(
            members_pb2.ListMembersRequest(
                organization=province.name, include_subtree=True, page_size=100, page_token=token
            ),
            metadata=AUTH,
        )
        pages += 1
        for m in page.members:
            assert m.name not in seen, "duplicate"
            seen.add(m.name)
        token = page.next_page_token
        if not token:
            break
    assert len(seen) == 250, len(seen)
    assert pages == 3, pages
    found = members.ListMembers(
        members_pb2.ListMembersRequest(organization=province.name, include_subtree=True, name_query="nguyen thi 249"),
        metadata=AUTH,
    )
    assert [m.full_name for m in found.members] == ["Nguyễn Thị 249"], found


def test_retry_with_the_same_request_id_returns_the_first_member():
    request = members_pb2.CreateMemberRequest(
        member=members_pb2.Member(
            party_card_number="70000000",
            full_name="Nguyễn Thị 0",
            date_of_birth=date_pb2.Date(year=1985, month=1, day=1),
            organization=state["cell"].name,
            admission_date=date_pb2.Date(year=2012, month=1, day=1),
        ),
        request_id="py-member-0",
    )
    again = members.CreateMember(request, metadata=AUTH)
    assert again.party_card_number == "70000000"


def test_invalid_argument_carries_field_violations():
    try:
        members.CreateMember(members_pb2.CreateMemberRequest(member=members_pb2.Member()), metadata=AUTH)
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e.code()
        reason, fields = details(e)
        assert reason == "INVALID_ARGUMENT", reason
        assert "member.full_name" in fields and "member.party_card_number" in fields, fields
    else:
        raise AssertionError("accepted an empty member")


def test_stale_etag_is_aborted():
    cell = state["cell"]
    changed = organizations_pb2.Organization()
    changed.CopyFrom(cell)
    changed.display_name = "Chi bộ mới"
    mask = field_mask_pb2.FieldMask(paths=["display_name"])
    orgs.UpdateOrganization(organizations_pb2.UpdateOrganizationRequest(organization=changed, update_mask=mask), metadata=AUTH)
    try:
        orgs.UpdateOrganization(organizations_pb2.UpdateOrganizationRequest(organization=changed, update_mask=mask), metadata=AUTH)
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.ABORTED, e.code()
        assert details(e)[0] == "ETAG_MISMATCH"
    else:
        raise AssertionError("stale etag accepted")


def test_no_token_is_unauthenticated():
    try:
        orgs.GetOrganization(organizations_pb2.GetOrganizationRequest(name=state["cell"].name))
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.UNAUTHENTICATED, e.code()
    else:
        raise AssertionError("answered without a token")


if __name__ == "__main__":
    tests = [v for k, v in list(globals().items()) if k.startswith("test_")]
    passed = failed = 0
    for test in tests:
        try:
            test()
            passed += 1
            print(f"ok   {test.__name__}")
        except Exception:
            failed += 1
            print(f"FAIL {test.__name__}")
            traceback.print_exc()
    print(f"python-client: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
