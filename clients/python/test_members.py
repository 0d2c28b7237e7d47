"""The installed Python client (`probity-client`: the code generated from
proto/ and the `probity_client` wrapper) against a running Probity.

Creates part of an organisation tree and 250 members, pages through them,
and checks the error contract: field violations and ErrorInfo decoded with
grpcio-status, ABORTED on a stale etag, and idempotent retries. Then a study
plan over those members (study asks members over gRPC inside `probity up`),
a class recorded with the client-streaming attendance call, and progress.
Then oversight: a case about a member, an illegal move refused with its
reason, and an expulsion that oversight applies in members on its own
account (the identity `probity up` gives it).
Prints 'N passed, M failed' and exits non-zero on any failure.
"""

import os
import sys
import traceback

import grpc
from google.protobuf import field_mask_pb2
from google.type import date_pb2
from probity_client import connect, error_details

from google.protobuf import timestamp_pb2
from probity.members.v1 import members_pb2, members_pb2_grpc, organizations_pb2, organizations_pb2_grpc
from probity.study.v1 import classes_pb2, classes_pb2_grpc, documents_pb2, documents_pb2_grpc
from probity.study.v1 import plans_pb2, plans_pb2_grpc
from probity.oversight.v1 import agencies_pb2, agencies_pb2_grpc, cases_pb2, cases_pb2_grpc
from probity.oversight.v1 import discipline_pb2, discipline_pb2_grpc

ADDR = os.environ["PROBITY_ADDR"]
TOKEN = os.environ["PROBITY_TOKEN"]
# The installed package's channel sends the token on every call.
AUTH = ()

channel = connect(ADDR, TOKEN)
orgs = organizations_pb2_grpc.OrganizationServiceStub(channel)
members = members_pb2_grpc.MemberServiceStub(channel)
documents = documents_pb2_grpc.DocumentServiceStub(channel)
plans = plans_pb2_grpc.PlanServiceStub(channel)
classes = classes_pb2_grpc.ClassServiceStub(channel)
Kind = organizations_pb2.OrganizationKind
agencies = agencies_pb2_grpc.AgencyServiceStub(channel)
cases = cases_pb2_grpc.CaseServiceStub(channel)
discipline = discipline_pb2_grpc.DisciplineServiceStub(channel)


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
    """(reason, [fields]) from a failed call, read by the package."""
    found = error_details(error)
    return found.reason, sorted(f for f, _ in found.field_violations)


state = {}


def test_tree_and_members_page_to_the_end():
    province = create_org("PY-TU", Kind.ORGANIZATION_KIND_PROVINCE)
    district = create_org("PY-HU", Kind.ORGANIZATION_KIND_DISTRICT, province.name)
    cell = create_org("PY-CB", Kind.ORGANIZATION_KIND_CELL, district.name)
    state["cell"] = cell
    state["province"] = province
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


def test_study_plan_streamed_attendance_and_progress():
    doc = documents.CreateDocument(
        documents_pb2.CreateDocumentRequest(
            document=documents_pb2.Document(
                symbol="04-NQ/TW",
                issue_date=date_pb2.Date(year=2016, month=10, day=30),
                title="Nghị quyết Trung ương 4 khóa XII",
            )
        ),
        metadata=AUTH,
    )
    plan = plans.CreatePlan(
        plans_pb2.CreatePlanRequest(
            plan=plans_pb2.Plan(
                symbol="31-KH/TU",
                issue_date=date_pb2.Date(year=2016, month=11, day=30),
                title="Kế hoạch học tập",
                documents=[doc.name],
                scope=state["province"].name,
                period_start=date_pb2.Date(year=2016, month=12, day=1),
                period_end=date_pb2.Date(year=2017, month=2, day=28),
            )
        ),
        metadata=AUTH,
    )
    study_class = classes.CreateClass(
        classes_pb2.CreateClassRequest(
            study_class=classes_pb2.StudyClass(
                plan=plan.name,
                organization=state["cell"].name,
                title="Hội nghị quán triệt",
                start_time=timestamp_pb2.Timestamp(seconds=1481331600),  # 2016-12-10 08:00 +07
                format=classes_pb2.CLASS_FORMAT_IN_PERSON,
                venue="Hội trường",
            )
        ),
        metadata=AUTH,
    )
    roster = list(
        members.StreamRoster(
            members_pb2.StreamRosterRequest(
                organization=state["cell"].name, as_of=date_pb2.Date(year=2016, month=12, day=10)
            ),
            metadata=AUTH,
        )
    )
    assert plan.eligible_members == len(roster) >= 250, (plan.eligible_members, len(roster))
    present = [r.member for r in roster[:200]]

    def batches():
        for start in range(0, len(present), 80):
            yield classes_pb2.StreamAttendanceRequest(
                study_class=study_class.name,
                entries=[classes_pb2.AttendanceEntry(member=m, status="present") for m in present[start : start + 80]],
            )

    done = classes.StreamAttendance(batches(), metadata=AUTH)
    assert (done.batches, done.entries) == (3, 200), done
    progress = plans.GetPlanProgress(plans_pb2.GetPlanProgressRequest(plan=plan.name), metadata=AUTH)
    rate = progress.total.attendance
    assert (rate.numerator, rate.denominator) == (200, len(roster)), rate
    from decimal import ROUND_HALF_UP, Decimal

    want = (Decimal(200 * 100) / Decimal(len(roster))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert rate.percent == str(want), (rate.percent, want)


def test_oversight_case_and_an_expulsion_applied_in_members():
    import time

    member = members.ListMembers(
        members_pb2.ListMembersRequest(organization=state["cell"].name, page_size=1), metadata=AUTH
    ).members[0]
    police = agencies.CreateAgency(
        agencies_pb2.CreateAgencyRequest(
            agency=agencies_pb2.Agency(
                code="PY-CSDT",
                display_name="Cơ quan Cảnh sát điều tra",
                kind=agencies_pb2.AGENCY_KIND_INVESTIGATION,
                level=agencies_pb2.AGENCY_LEVEL_PROVINCE,
            )
        ),
        metadata=AUTH,
    )
    case = cases.CreateCase(
        cases_pb2.CreateCaseRequest(
            case=cases_pb2.Case(
                code="PY-VV-1",
                title="Sai phạm giao đất",
                kind=cases_pb2.CASE_KIND_INCIDENT,
                sector="sectors/land",
                jurisdiction=state["province"].name,
                handling_agencies=[police.name],
                subjects=[cases_pb2.CaseSubject(member=member.name)],
                intakes=[
                    cases_pb2.CaseIntake(
                        origin=cases_pb2.CASE_ORIGIN_PRESS,
                        origin_reference="Báo 12/2025",
                        received_date=date_pb2.Date(year=2025, month=3, day=1),
                    )
                ],
            )
        ),
        metadata=AUTH,
    )
    assert case.stage == cases_pb2.CASE_STAGE_RECEIVED, case.stage
    assert case.subjects[0].full_name == member.full_name
    try:
        cases.MoveCase(
            cases_pb2.MoveCaseRequest(name=case.name, stage=cases_pb2.CASE_STAGE_ON_TRIAL, reason="x"),
            metadata=AUTH,
        )
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.FAILED_PRECONDITION, e.code()
        assert details(e)[0] == "ILLEGAL_TRANSITION"
        assert "CASE_STAGE_VERIFYING" in e.details()
    else:
        raise AssertionError("an illegal move was accepted")
    decision = discipline.CreateDisciplinaryDecision(
        discipline_pb2.CreateDisciplinaryDecisionRequest(
            decision=discipline_pb2.DisciplinaryDecision(
                member=member.name,
                form=discipline_pb2.DISCIPLINE_FORM_EXPULSION,
                deciding_organization=state["province"].name,
                decision_number="45-QĐ/UBKTTU",
                decision_date=date_pb2.Date(year=2025, month=6, day=1),
                effective_date=date_pb2.Date(year=2025, month=6, day=1),
                case=case.name,
                reason="Vi phạm nghiêm trọng",
            )
        ),
        metadata=AUTH,
    )
    for _ in range(100):
        decision = discipline.GetDisciplinaryDecision(
            discipline_pb2.GetDisciplinaryDecisionRequest(name=decision.name), metadata=AUTH
        )
        if decision.members_effect != discipline_pb2.MEMBERS_EFFECT_PENDING:
            break
        time.sleep(0.1)
    assert decision.members_effect == discipline_pb2.MEMBERS_EFFECT_APPLIED, decision
    now = members.GetMember(members_pb2.GetMemberRequest(name=member.name), metadata=AUTH)
    assert now.status == members_pb2.MEMBER_STATUS_EXPELLED, now.status


def test_no_token_is_unauthenticated():
    try:
        bare = organizations_pb2_grpc.OrganizationServiceStub(grpc.insecure_channel(ADDR))
        bare.GetOrganization(organizations_pb2.GetOrganizationRequest(name=state["cell"].name))
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
