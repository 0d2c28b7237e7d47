//! The province generator.

use anyhow::{Context, Result, anyhow, bail};
use futures::{StreamExt, TryStreamExt, stream};
use probity_platform::client::Authed;
use probity_proto::{
    google::r#type::Date,
    probity::members::v1::{
        AssessmentPeriod, BatchCreateMembersRequest, BookEntry, BookEntryKind, CommitmentOutcome,
        CreateBookEntryRequest, CreateMemberRequest, CreateOrganizationRequest, DecideGradeRequest,
        Gender, Grade, Member, Organization, OrganizationKind, ProposeGradeRequest,
        RecordCommitmentResultRequest, SubmitSelfAssessmentRequest,
        book_service_client::BookServiceClient, member_service_client::MemberServiceClient,
        organization_service_client::OrganizationServiceClient,
        review_service_client::ReviewServiceClient,
    },
};

use crate::names::{DISTRICTS, Rng, person};
use crate::tally::Tally;

/// The shape of a generated province.
#[derive(Debug, Clone)]
pub struct ProvinceSpec {
    /// Seed of every random choice.
    pub seed: u64,
    /// Prefix of organisation codes (unique per province in a database).
    pub code: String,
    /// Districts under the province.
    pub districts: usize,
    /// Grassroots organisations per district.
    pub grassroots_per_district: usize,
    /// Cells per grassroots organisation.
    pub cells_per_grassroots: usize,
    /// Members, spread evenly over the cells.
    pub members: usize,
    /// First party card number; members get consecutive numbers.
    pub first_card: u64,
    /// Calls in flight at once.
    pub concurrency: usize,
    /// Members are admitted in years drawn from this range (inclusive) and
    /// made official a year later.
    pub admission_years: (i32, i32),
}

impl Default for ProvinceSpec {
    /// About the seed's province: 9 districts, 972 cells, 33,000 members.
    fn default() -> Self {
        Self {
            seed: 2016,
            code: "TN".into(),
            districts: 9,
            grassroots_per_district: 12,
            cells_per_grassroots: 9,
            members: 33_000,
            first_card: 10_000_000,
            concurrency: 16,
            admission_years: (1980, 2023),
        }
    }
}

/// One generated member.
#[derive(Debug, Clone, Default)]
pub struct GeneratedMember {
    /// `members/{id}`.
    pub name: String,
    /// Their cell, `organizations/{id}`.
    pub cell: String,
    /// True for the cell's secretary (head).
    pub head: bool,
}

/// What was generated.
#[derive(Debug, Clone, Default)]
pub struct Province {
    /// The province organisation.
    pub province: String,
    /// The districts.
    pub districts: Vec<String>,
    /// The grassroots organisations.
    pub grassroots: Vec<String>,
    /// The cells.
    pub cells: Vec<String>,
    /// The members, in creation order.
    pub members: Vec<GeneratedMember>,
    /// Seconds spent on organisations, then on members.
    pub phase_seconds: [f64; 2],
}

/// A wire date.
pub(crate) fn date(y: i32, m: i32, d: i32) -> Option<Date> {
    Some(Date {
        year: y,
        month: m,
        day: d,
    })
}

/// Turns a failed call's status into an error that says what was being done.
/// Calls `call` again while the server answers `RESOURCE_EXHAUSTED` (the
/// agency's rate, or the server's capacity: refused before anything ran,
/// so a retry is safe), backing off 100 ms more each time, up to 30 times.
pub(crate) async fn retrying<T, F, Fut>(mut call: F) -> Result<T, tonic::Status>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, tonic::Status>>,
{
    let mut attempt = 0_u64;
    loop {
        match call().await {
            Err(s) if s.code() == tonic::Code::ResourceExhausted && attempt < 30 => {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100 * attempt)).await;
            }
            other => return other,
        }
    }
}

pub(crate) fn status(context: &str) -> impl Fn(tonic::Status) -> anyhow::Error + '_ {
    move |s| anyhow!("{context}: {} {}", s.code(), s.message())
}

async fn create_orgs(
    client: &OrganizationServiceClient<Authed>,
    parents: &[String],
    per_parent: usize,
    kind: OrganizationKind,
    codes: impl Fn(usize, usize) -> (String, String),
    concurrency: usize,
    tally: &Tally,
) -> Result<Vec<String>> {
    let jobs: Vec<(String, String, String)> = parents
        .iter()
        .enumerate()
        .flat_map(|(p, parent)| (0..per_parent).map(move |c| (p, c, parent.clone())))
        .map(|(p, c, parent)| {
            let (code, name) = codes(p, c);
            (parent, code, name)
        })
        .collect();
    stream::iter(jobs)
        .map(|(parent, code, display_name)| {
            let mut client = client.clone();
            async move {
                client
                    .create_organization(CreateOrganizationRequest {
                        organization: Some(Organization {
                            code: code.clone(),
                            display_name,
                            kind: kind as i32,
                            parent,
                            valid_from: date(1976, 1, 1),
                            ..Default::default()
                        }),
                        request_id: format!("demo-org-{code}"),
                    })
                    .await
                    .map(|r| {
                        tally.add(1);
                        r.into_inner().name
                    })
                    .map_err(status(&format!("creating organisation {code}")))
            }
        })
        .buffered(concurrency)
        .try_collect()
        .await
}

/// Creates the province through the API: organisations, then members (in
/// batches), the first of every cell its secretary. Idempotent per spec: every create
/// carries a request id derived from the spec.
pub async fn generate_province(channel: Authed, spec: &ProvinceSpec) -> Result<Province> {
    generate_province_tallied(channel, spec, &Tally::default()).await
}

/// [`generate_province`], counting its organisations and members in
/// `tally` as they are created.
pub async fn generate_province_tallied(
    channel: Authed,
    spec: &ProvinceSpec,
    tally: &Tally,
) -> Result<Province> {
    let grassroots_total = spec.districts * spec.grassroots_per_district;
    tally.start(
        "organisations",
        1 + spec.districts + grassroots_total + grassroots_total * spec.cells_per_grassroots,
    );
    let orgs = OrganizationServiceClient::new(channel.clone());
    let mut rng = Rng::new(spec.seed);
    let code = spec.code.clone();
    let clock = std::time::Instant::now();
    let province = create_orgs(
        &orgs,
        &[String::new()],
        1,
        OrganizationKind::Province,
        |_, _| (code.clone(), format!("Đảng bộ tỉnh ({code})")),
        1,
        tally,
    )
    .await?;
    let districts = create_orgs(
        &orgs,
        &province,
        spec.districts,
        OrganizationKind::District,
        |_, d| {
            (
                format!("{code}-HU{:02}", d + 1),
                format!("Đảng bộ {}", DISTRICTS[d % DISTRICTS.len()]),
            )
        },
        spec.concurrency,
        tally,
    )
    .await?;
    let grassroots = create_orgs(
        &orgs,
        &districts,
        spec.grassroots_per_district,
        OrganizationKind::Grassroots,
        |d, g| {
            (
                format!("{code}-HU{:02}-CS{:02}", d + 1, g + 1),
                format!("Đảng bộ xã {:02}", g + 1),
            )
        },
        spec.concurrency,
        tally,
    )
    .await?;
    let gpd = spec.grassroots_per_district;
    let cells = create_orgs(
        &orgs,
        &grassroots,
        spec.cells_per_grassroots,
        OrganizationKind::Cell,
        |g, c| {
            (
                format!(
                    "{code}-HU{:02}-CS{:02}-CB{:02}",
                    g / gpd + 1,
                    g % gpd + 1,
                    c + 1
                ),
                format!("Chi bộ ấp {:02}", c + 1),
            )
        },
        spec.concurrency,
        tally,
    )
    .await?;

    let orgs_seconds = clock.elapsed().as_secs_f64();
    let clock = std::time::Instant::now();
    // Members: spread over the cells, mostly official, a few probationary;
    // the first member of each cell is its secretary.
    let mut requests = Vec::with_capacity(spec.members);
    for i in 0..spec.members {
        let cell = cells[i % cells.len()].clone();
        let (full_name, male) = person(&mut rng);
        let (first, last) = spec.admission_years;
        let admitted_year = first + rng.below((last - first + 1).max(1) as u64) as i32;
        let born = admitted_year - 19 - rng.below(25) as i32;
        let month = 1 + rng.below(12) as i32;
        let official = (admitted_year < last.max(2024))
            .then(|| date(admitted_year + 1, month, 15))
            .flatten();
        requests.push(CreateMemberRequest {
            member: Some(Member {
                party_card_number: format!("{}", spec.first_card + i as u64),
                full_name,
                date_of_birth: date(born, month, 1 + rng.below(28) as i32),
                gender: if male { Gender::Male } else { Gender::Female } as i32,
                organization: cell,
                head_position: if i < cells.len() {
                    "Bí thư chi bộ".into()
                } else {
                    String::new()
                },
                admission_date: date(admitted_year, month, 15),
                ..Default::default()
            }),
            official_date: official,
            request_id: String::new(),
        });
    }
    tally.start("members", requests.len());
    let members_client = MemberServiceClient::new(channel.clone());
    // Sent cell by cell, as units hand in their lists: a batch then adds to
    // a few dozen cells' stretch of the indexes, not to every cell's (on
    // SQLite a batch wrote 7.3 MB when the 972 cells were interleaved).
    // Member `i` stays in cell `i % cells`; `order` maps sent to generated.
    let mut order: Vec<usize> = (0..requests.len()).collect();
    order.sort_by_key(|&i| (i % cells.len(), i));
    let batches: Vec<(usize, Vec<CreateMemberRequest>)> = order
        .chunks(1000)
        .map(|c| c.iter().map(|&i| requests[i].clone()).collect())
        .enumerate()
        .collect();
    let created: Vec<Vec<Member>> = stream::iter(batches)
        .map(|(b, requests)| {
            let mut client = members_client.clone();
            let code = code.clone();
            async move {
                client
                    .batch_create_members(BatchCreateMembersRequest {
                        requests,
                        request_id: format!("demo-members-{code}-{b}"),
                        validate_only: false,
                    })
                    .await
                    .map(|r| {
                        let members = r.into_inner().members;
                        tally.add(members.len());
                        members
                    })
                    .map_err(status(&format!("member batch {b}")))
            }
        })
        .buffered(4)
        .try_collect()
        .await?;
    let created: Vec<Member> = created.into_iter().flatten().collect();
    if created.len() != requests.len() {
        bail!(
            "asked for {} members, {} were created",
            requests.len(),
            created.len()
        );
    }
    let mut members: Vec<GeneratedMember> = vec![GeneratedMember::default(); requests.len()];
    for (&i, m) in order.iter().zip(created) {
        members[i] = GeneratedMember {
            name: m.name,
            cell: m.organization,
            head: false,
        };
    }

    for m in members.iter_mut().take(cells.len()) {
        m.head = true;
    }
    let members_seconds = clock.elapsed().as_secs_f64();
    Ok(Province {
        phase_seconds: [orgs_seconds, members_seconds],
        province: province[0].clone(),
        districts,
        grassroots,
        cells,
        members,
    })
}

/// Counts of what [`record_year`] wrote.
#[derive(Debug, Clone, Default)]
pub struct YearActivity {
    /// Book entries submitted.
    pub book_entries: usize,
    /// Year-end commitment results recorded.
    pub results: usize,
    /// Reviews decided.
    pub reviews: usize,
}

/// The grade plan of a cell of `n` members: excellent within 20% of good.
fn grades_for_cell(n: usize) -> Vec<Grade> {
    let incomplete = usize::from(n > 20);
    let good = (n * 6) / 10;
    let excellent = good / 5;
    let complete = n - incomplete - good - excellent;
    let mut out = vec![Grade::Good; good];
    out.extend(std::iter::repeat_n(Grade::Complete, complete));
    out.extend(std::iter::repeat_n(Grade::Incomplete, incomplete));
    out.extend(std::iter::repeat_n(Grade::Excellent, excellent));
    out
}

/// A year of activity for every member: a commitment and a half-year
/// self-assessment in the books (heads also a head's commitment), the
/// cell's year-end result on nine commitments in ten, and a full review
/// (self-assessment, proposal, decision) with grades that respect the
/// excellent quota. `year` must be over (decisions are dated 20 December).
/// `committee` decides the grades: a `review-committee` caller other than
/// `channel`'s, who proposes them.
pub async fn record_year(
    channel: Authed,
    committee: Authed,
    province: &Province,
    year: i32,
    seed: u64,
    concurrency: usize,
) -> Result<YearActivity> {
    let tally = Tally::default();
    record_year_tallied(
        channel,
        committee,
        province,
        year,
        seed,
        concurrency,
        &tally,
    )
    .await
}

/// [`record_year`], counting each phase's calls in `tally`.
pub async fn record_year_tallied(
    channel: Authed,
    committee: Authed,
    province: &Province,
    year: i32,
    seed: u64,
    concurrency: usize,
    tally: &Tally,
) -> Result<YearActivity> {
    let books = BookServiceClient::new(channel.clone());
    let reviews = ReviewServiceClient::new(channel.clone());
    let decisions = ReviewServiceClient::new(committee);
    let mut rng = Rng::new(seed ^ year as u64);
    let mut activity = YearActivity::default();
    let codes = ["I-03", "I-05", "II-01", "II-04", "II-08"];

    // Books.
    let mut entries = Vec::new();
    for m in &province.members {
        let code = rng.pick(&codes).to_string();
        entries.push(BookEntry {
            member: m.name.clone(),
            year,
            kind: BookEntryKind::Commitment as i32,
            text: "Giữ gìn phẩm chất đạo đức, không để người thân lợi dụng chức vụ".into(),
            cited_documents: vec!["04-NQ/TW".into(), "05-CT/TW".into()],
            manifestation_codes: vec![code.clone()],
            ..Default::default()
        });
        let recognised = if rng.below(5) == 0 {
            vec![code]
        } else {
            Vec::new()
        };
        entries.push(BookEntry {
            member: m.name.clone(),
            year,
            kind: BookEntryKind::SelfAssessment as i32,
            text: "Tự đánh giá 6 tháng đầu năm".into(),
            manifestation_codes: recognised,
            period: AssessmentPeriod::H1 as i32,
            remedies: "Tiếp tục tu dưỡng, rèn luyện".into(),
            ..Default::default()
        });
        if m.head {
            entries.push(BookEntry {
                member: m.name.clone(),
                year,
                kind: BookEntryKind::HeadCommitment as i32,
                text: "Gương mẫu, chịu trách nhiệm về phòng, chống tham nhũng trong chi bộ".into(),
                cited_documents: vec!["04-NQ/TW".into()],
                ..Default::default()
            });
        }
    }
    tally.start("book entries", entries.len());
    let created: Vec<BookEntry> = stream::iter(entries)
        .map(|entry| {
            let mut client = books.clone();
            async move {
                client
                    .create_book_entry(CreateBookEntryRequest {
                        entry: Some(entry),
                        submit: true,
                        request_id: String::new(),
                    })
                    .await
                    .map(|r| {
                        tally.add(1);
                        r.into_inner()
                    })
                    .map_err(status("book entry"))
            }
        })
        .buffer_unordered(concurrency)
        .try_collect()
        .await?;
    activity.book_entries = created.len();
    let results: Vec<(String, CommitmentOutcome)> = created
        .iter()
        .filter(|e| e.kind == BookEntryKind::Commitment as i32)
        .filter_map(|e| {
            let roll = rng.below(100);
            let outcome = match roll {
                0..=9 => return None,
                10..=12 => CommitmentOutcome::NotKept,
                13..=24 => CommitmentOutcome::PartlyKept,
                _ => CommitmentOutcome::Kept,
            };
            Some((e.name.clone(), outcome))
        })
        .collect();
    activity.results = results.len();
    tally.start("commitment results", results.len());
    stream::iter(results)
        .map(|(name, outcome)| {
            let mut client = books.clone();
            async move {
                client
                    .record_commitment_result(RecordCommitmentResultRequest {
                        name,
                        outcome: outcome as i32,
                        comment: String::new(),
                        request_id: String::new(),
                    })
                    .await
                    .map(|_| tally.add(1))
                    .map_err(status("commitment result"))
            }
        })
        .buffer_unordered(concurrency)
        .try_collect::<Vec<()>>()
        .await?;

    // Reviews: grades planned per cell; excellent decided last.
    let mut by_cell: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for m in &province.members {
        by_cell.entry(&m.cell).or_default().push(&m.name);
    }
    let mut plan: Vec<(String, Grade)> = Vec::new();
    for members in by_cell.values() {
        plan.extend(
            members
                .iter()
                .zip(grades_for_cell(members.len()))
                .map(|(m, g)| (m.to_string(), g)),
        );
    }
    plan.sort_by_key(|(_, g)| *g == Grade::Excellent);
    tally.start("reviews (3 steps each)", plan.len() * 3);
    let run = |step: u8, plan: Vec<(String, Grade)>| {
        let reviews = if step == 2 {
            decisions.clone()
        } else {
            reviews.clone()
        };
        async move {
            stream::iter(plan)
                .map(|(member, grade)| {
                    let mut client = reviews.clone();
                    async move {
                        let name = format!("{member}/reviews/{year}");
                        let r = match step {
                            0 => client
                                .submit_self_assessment(SubmitSelfAssessmentRequest {
                                    member,
                                    year,
                                    grade: grade as i32,
                                    comment: "Tự kiểm điểm cuối năm".into(),
                                    request_id: String::new(),
                                })
                                .await
                                .map(|_| ()),
                            1 => client
                                .propose_grade(ProposeGradeRequest {
                                    name,
                                    grade: grade as i32,
                                    ..Default::default()
                                })
                                .await
                                .map(|_| ()),
                            _ => client
                                .decide_grade(DecideGradeRequest {
                                    name,
                                    grade: grade as i32,
                                    comment: "Quyết định xếp loại".into(),
                                    decision_date: date(year, 12, 20),
                                    etag: String::new(),
                                })
                                .await
                                .map(|_| ()),
                        };
                        r.map(|()| tally.add(1)).map_err(status("review"))
                    }
                })
                .buffer_unordered(concurrency)
                .try_collect::<Vec<()>>()
                .await
        }
    };
    run(0, plan.clone()).await.context("self-assessments")?;
    run(1, plan.clone()).await.context("proposals")?;
    let (excellent, others): (Vec<_>, Vec<_>) =
        plan.into_iter().partition(|(_, g)| *g == Grade::Excellent);
    activity.reviews = excellent.len() + others.len();
    run(2, others).await.context("decisions")?;
    run(2, excellent).await.context("excellent decisions")?;
    Ok(activity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_grades_respect_the_quota() {
        for n in 1..60 {
            let g = grades_for_cell(n);
            assert_eq!(g.len(), n);
            let good = g.iter().filter(|x| **x == Grade::Good).count();
            let excellent = g.iter().filter(|x| **x == Grade::Excellent).count();
            assert!(excellent * 100 <= 20 * good, "n={n}");
        }
    }
}
