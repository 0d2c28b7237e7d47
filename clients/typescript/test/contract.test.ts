/**
 * The TypeScript client's contract tests, against a real `probity up`
 * (PROBITY_BASE_URL, PROBITY_TOKEN; `run.sh` starts one): organisations and
 * members created and paged, a validation error's field violations, a
 * stale etag, an idempotent retry, a client-streamed attendance batch and a
 * server-streamed roster — each through the generated code and this
 * package's transport and error reader.
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import { Code, createClient, errorDetails, probityTransport } from "../src/index.js";
import { MemberService, MemberStatus } from "../src/gen/probity/members/v1/members_pb.js";
import {
  OrganizationKind,
  OrganizationService,
  type Organization,
} from "../src/gen/probity/members/v1/organizations_pb.js";
import { DocumentService } from "../src/gen/probity/study/v1/documents_pb.js";
import { PlanService } from "../src/gen/probity/study/v1/plans_pb.js";
import { ClassFormat, ClassService } from "../src/gen/probity/study/v1/classes_pb.js";

const transport = probityTransport({
  baseUrl: process.env.PROBITY_BASE_URL ?? "http://127.0.0.1:50051",
  token: process.env.PROBITY_TOKEN ?? "",
});
const orgs = createClient(OrganizationService, transport);
const members = createClient(MemberService, transport);
const documents = createClient(DocumentService, transport);
const plans = createClient(PlanService, transport);
const classes = createClient(ClassService, transport);

const day = (year: number, month: number, d: number) => ({ year, month, day: d });

/** The failure of `call`, which must fail. */
async function failure(call: () => Promise<unknown>) {
  try {
    await call();
  } catch (e) {
    const details = errorDetails(e);
    assert.ok(details, `not a call error: ${e}`);
    return details;
  }
  assert.fail("the call was accepted");
}

test("the contract, as a TypeScript caller sees it", async (t) => {
  let province: Organization;
  let cell: Organization;

  await t.test("organisations and members are created and paged to the end", async () => {
    const create = (code: string, kind: OrganizationKind, parent = "") =>
      orgs.createOrganization({
        organization: {
          code,
          displayName: `Tổ chức ${code}`,
          kind,
          parent,
          validFrom: day(2010, 1, 1),
        },
        requestId: `ts-${code}`,
      });
    province = await create("TS-TU", OrganizationKind.PROVINCE);
    const district = await create("TS-HU", OrganizationKind.DISTRICT, province.name);
    cell = await create("TS-CB", OrganizationKind.CELL, district.name);
    const children = await orgs.listOrganizations({ parent: district.name });
    assert.deepEqual(
      children.organizations.map((o) => o.code),
      ["TS-CB"],
    );
    const created = await members.batchCreateMembers({
      requests: Array.from({ length: 120 }, (_, i) => ({
        member: {
          partyCardNumber: `${71000000 + i}`,
          fullName: `Trần Văn ${i}`,
          dateOfBirth: day(1985, 1, 1),
          organization: cell.name,
          admissionDate: day(2012, 1, 1),
        },
      })),
      requestId: "ts-batch-1",
    });
    assert.equal(created.members.length, 120);
    const seen = new Set<string>();
    let pageToken = "";
    let pages = 0;
    do {
      const page = await members.listMembers({
        organization: province.name,
        includeSubtree: true,
        pageSize: 50,
        pageToken,
      });
      pages += 1;
      for (const m of page.members) {
        assert.ok(!seen.has(m.name), "a member listed twice");
        seen.add(m.name);
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
    assert.equal(seen.size, 120);
    assert.equal(pages, 3);
  });

  await t.test("a retry with the same request id answers the first result", async () => {
    const request = {
      member: {
        partyCardNumber: "71999999",
        fullName: "Lê Thị Hồng",
        dateOfBirth: day(1990, 5, 1),
        organization: cell.name,
        admissionDate: day(2015, 5, 19),
      },
      requestId: "ts-retry-1",
    };
    const first = await members.createMember(request);
    const again = await members.createMember(request);
    assert.equal(again.name, first.name);
    assert.equal(again.status, MemberStatus.PROBATIONARY);
  });

  await t.test("a validation error names each field", async () => {
    const details = await failure(() => members.createMember({ member: {} }));
    assert.equal(details.code, Code.InvalidArgument);
    assert.equal(details.reason, "INVALID_ARGUMENT");
    const fields = details.fieldViolations.map((v) => v.field);
    assert.ok(fields.includes("member.full_name"), fields.join());
    assert.ok(fields.includes("member.party_card_number"), fields.join());
  });

  await t.test("a stale etag is refused ABORTED with ETAG_MISMATCH", async () => {
    const renamed = { ...cell, displayName: "Chi bộ mới" };
    await orgs.updateOrganization({ organization: renamed, updateMask: { paths: ["display_name"] } });
    const details = await failure(() =>
      orgs.updateOrganization({ organization: renamed, updateMask: { paths: ["display_name"] } }),
    );
    assert.equal(details.code, Code.Aborted);
    assert.equal(details.reason, "ETAG_MISMATCH");
    assert.ok(details.metadata["current_etag"], JSON.stringify(details.metadata));
  });

  await t.test("the roster streams from the server; attendance streams to it", async () => {
    const document = await documents.createDocument({
      document: { symbol: "04-NQ/TW", issueDate: day(2016, 10, 30), title: "Nghị quyết Trung ương 4" },
    });
    const plan = await plans.createPlan({
      plan: {
        symbol: "31-KH/TU",
        issueDate: day(2016, 11, 30),
        title: "Kế hoạch học tập",
        documents: [document.name],
        scope: province.name,
        periodStart: day(2016, 12, 1),
        periodEnd: day(2017, 2, 28),
      },
    });
    const studyClass = await classes.createClass({
      studyClass: {
        plan: plan.name,
        organization: cell.name,
        title: "Hội nghị quán triệt",
        startTime: { seconds: BigInt(Date.UTC(2016, 11, 10, 1) / 1000), nanos: 0 },
        format: ClassFormat.IN_PERSON,
        venue: "Hội trường",
      },
    });
    const roster: string[] = [];
    for await (const entry of members.streamRoster({ organization: cell.name, asOf: day(2016, 12, 10) })) {
      roster.push(entry.member);
    }
    // The 120 of the batch and the probationary member admitted in 2015.
    assert.equal(roster.length, 121);
    async function* batches() {
      for (let start = 0; start < 100; start += 40) {
        yield {
          studyClass: studyClass.name,
          entries: roster.slice(start, Math.min(start + 40, 100)).map((member) => ({ member, status: "present" })),
        };
      }
    }
    const done = await classes.streamAttendance(batches());
    assert.equal(done.batches, 3);
    assert.equal(done.entries, 100);
    const progress = await plans.getPlanProgress({ plan: plan.name });
    const rate = progress.total?.attendance;
    assert.equal(rate?.numerator, 100n);
    assert.equal(rate?.denominator, 121n);
  });

  await t.test("without a token the call is UNAUTHENTICATED", async () => {
    const anonymous = createClient(
      OrganizationService,
      probityTransport({ baseUrl: process.env.PROBITY_BASE_URL ?? "", token: "" }),
    );
    const details = await failure(() => anonymous.getOrganization({ name: cell.name }));
    assert.equal(details.code, Code.Unauthenticated);
  });
});
