//! `probity.members.v1.DeclarationService`, the control part: asset changes
//! year over year, the verification draw and its conclusions, the dated
//! rules.

use std::collections::BTreeMap;

use probity_platform::{
    ApiError, Call, Violations, dates,
    pagination::PageRequest,
    resource::{new_id, parse_name},
};
use probity_proto::probity::members::v1::{
    AssetChange, Declaration, DeclarationRule, DrawCandidate, DrawVerificationRequest, ErrorReason,
    GetAssetChangeRequest, GetVerificationDrawRequest, ListAssetChangeFlagsRequest,
    ListAssetChangeFlagsResponse, ListDeclarationRulesRequest, ListDeclarationRulesResponse,
    RecordVerificationConclusionRequest, VerificationDraw,
};
use sqlx::AnyConnection;

use super::{
    access::{visible, visible_member, year_subtree},
    declarations::Declarations,
};
use crate::{
    error::{Error, Result},
    rules::{
        deadlines::RuleBook,
        declarations::{self as rules, step_date},
        names::{member_id, member_name, org_name},
        verification::{self as draws, Candidate},
        years::{reference_date, validate_year},
    },
    store::{
        declarations as store,
        draws::{self as draw_store, DrawRow},
        organizations,
    },
};

/// The wire form of a draw: the candidates with their scores, recomputed
/// from the stored seed and input.
fn draw(row: &DrawRow) -> VerificationDraw {
    let candidates = row
        .input
        .lines()
        .filter_map(|l| l.rsplit_once(','))
        .map(|(member, leader)| DrawCandidate {
            score: draws::score(&row.seed, member),
            member: member.to_string(),
            leader: leader == "1",
        })
        .collect();
    VerificationDraw {
        name: format!("verificationDraws/{}", row.id),
        organization: org_name(&row.org_id),
        year: row.year as i32,
        seed: row.seed.clone(),
        percent: row.percent as i32,
        candidates,
        selected: row.selected.lines().map(str::to_string).collect(),
        input_digest: row.input_digest.clone(),
        drawn_by: row.drawn_by.clone(),
        create_time: Some(dates::timestamp(row.create_micros)),
        attempt: row.attempt as i32,
        redraw_reason: row.redraw_reason.clone(),
    }
}

/// The asset change of `member_id` in `year`; `None` without a declaration
/// of the year.
async fn asset_change(
    conn: &mut AnyConnection,
    member_id: &str,
    year: i32,
    book: &RuleBook,
) -> Result<Option<AssetChange>> {
    let (Some(now), before) = store::filed_pair(conn, member_id, year).await? else {
        return Ok(None);
    };
    Ok(Some(rules::asset_change(
        member_id,
        year,
        &now,
        before.as_ref(),
        book,
    )?))
}

impl Declarations {
    pub(super) async fn conclude(
        &self,
        call: Call,
        req: RecordVerificationConclusionRequest,
    ) -> Result<Declaration> {
        let mut v = Violations::new();
        let (outcome, findings) = rules::validate_conclusion(&mut v, req.outcome, &req.findings);
        let when = step_date(
            &mut v,
            "concluded_date",
            req.concluded_date.as_ref(),
            call.today(),
        );
        v.into_result()?;
        let when = when.unwrap_or_else(|| call.today());
        let (mut w, d, book) = self
            .begin_step(&call, &req, &req.request_id, &req.name)
            .await?;
        if let Some(done) = Self::replay(&call, &mut w).await? {
            return Ok(done);
        }
        rules::check_concludable(&d)?;
        rules::after(when, &d.received_date, "concluded_date", "received date")?;
        let id = d.name.trim_start_matches("declarations/").to_string();
        store::conclude(w.conn(), &id, outcome, &findings, &dates::to_sql(when)).await?;
        Self::finish(&call, w, &id, &book).await
    }

    pub(super) async fn change(
        &self,
        call: Call,
        req: GetAssetChangeRequest,
    ) -> Result<AssetChange> {
        validate_year("year", req.year, call.today())?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let id = visible_member(&mut conn, &call, "declarant", &req.declarant)
            .await?
            .member
            .id;
        let book = store::rule_book(&mut conn).await?;
        asset_change(&mut conn, &id, req.year, &book)
            .await?
            .ok_or_else(|| {
                Error::refused(
                    ErrorReason::NoDeclaration,
                    format!("{} filed no declaration for {}", req.declarant, req.year),
                )
            })
    }

    pub(super) async fn flags(
        &self,
        call: Call,
        req: ListAssetChangeFlagsRequest,
    ) -> Result<ListAssetChangeFlagsResponse> {
        validate_year("year", req.year, call.today())?;
        let page = PageRequest::parse(
            &call,
            req.page_size,
            &req.page_token,
            &format!("{};{}", req.organization, req.year),
        )?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let Some((date, root)) = year_subtree(
            &mut conn,
            &call,
            "organization",
            &req.organization,
            req.year,
        )
        .await?
        else {
            return Ok(ListAssetChangeFlagsResponse::default());
        };
        let book = store::rule_book(&mut conn).await?;
        let mut changes = Vec::new();
        let mut after = page.after.clone().unwrap_or_default();
        // Scan declarants in id order until a page of flags is full.
        loop {
            let batch = store::declarants(&mut conn, &date, &root.path, req.year, &after).await?;
            let exhausted = batch.len() < store::DECLARANT_BATCH;
            for member in batch {
                after = member.clone();
                if let Some(c) = asset_change(&mut conn, &member, req.year, &book).await?
                    && c.flagged
                {
                    changes.push(c);
                    if changes.len() as i64 == page.limit() {
                        break;
                    }
                }
            }
            if exhausted || changes.len() as i64 == page.limit() {
                break;
            }
        }
        let next_page_token = page.finish(&mut changes, |c| member_id(&c.declarant).to_string());
        Ok(ListAssetChangeFlagsResponse {
            changes,
            next_page_token,
        })
    }

    pub(super) async fn draw(
        &self,
        call: Call,
        req: DrawVerificationRequest,
    ) -> Result<VerificationDraw> {
        validate_year("year", req.year, call.today())?;
        #[allow(deprecated)]
        let percent = draws::validate_draw(req.percent, &req.seed, &req.redraw_reason)?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let org = visible(w.conn(), &call, "organization", &req.organization).await?;
        if let Some(done) = w.replayed::<VerificationDraw>()? {
            return Ok(done);
        }
        let date = reference_date(req.year, call.today());
        let root = organizations::require_on_date(w.conn(), &org.id, &date).await?;
        let made = draw_store::attempts(w.conn(), &root.id, req.year).await?;
        let attempt = draws::next_attempt(made, &req.redraw_reason, &req.organization, req.year)?;
        let by_member: BTreeMap<String, bool> =
            draw_store::candidates(w.conn(), &date, &root.path, req.year)
                .await?
                .into_iter()
                .map(|(id, leader)| (member_name(&id), leader))
                .collect();
        let input: Vec<Candidate> = by_member
            .into_iter()
            .map(|(member, leader)| Candidate { member, leader })
            .collect();
        let input_digest = draws::input_digest(&input);
        let seed = draws::committed_seed(&org_name(&root.id), req.year, attempt, &input_digest);
        let selected = draws::draw(&seed, percent as u32, &input);
        let encode = |c: &Candidate| format!("{},{}", c.member, u8::from(c.leader));
        let row = DrawRow {
            id: new_id(),
            org_id: root.id.clone(),
            year: i64::from(req.year),
            seed,
            percent: i64::from(percent),
            input: input.iter().map(encode).collect::<Vec<_>>().join("\n"),
            selected: selected.join("\n"),
            input_digest,
            drawn_by: call.caller.subject.clone(),
            create_micros: call.now_micros(),
            attempt,
            redraw_reason: probity_platform::text::tidy(&req.redraw_reason),
        };
        draw_store::insert(w.conn(), &row).await?;
        let drawn = draw(&row);
        w.commit(&drawn.name, &drawn).await?;
        Ok(drawn)
    }

    pub(super) async fn get_draw(
        &self,
        call: Call,
        req: GetVerificationDrawRequest,
    ) -> Result<VerificationDraw> {
        let id = parse_name("name", &req.name, "verificationDraws")?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let row = draw_store::load(&mut conn, id)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name))?;
        visible(&mut conn, &call, "name", &org_name(&row.org_id))
            .await
            .map_err(|e| e.not_found_as(&req.name))?;
        Ok(draw(&row))
    }

    pub(super) async fn rules(
        &self,
        _call: Call,
        _req: ListDeclarationRulesRequest,
    ) -> Result<ListDeclarationRulesResponse> {
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let book = store::rule_book(&mut conn).await?;
        let rules = book
            .versions()
            .iter()
            .map(|r| {
                Ok(DeclarationRule {
                    kind: r.kind as i32,
                    value: r.value,
                    valid_from: Some(dates::sql_to_proto(&r.valid_from)?),
                    citation: r.citation.clone(),
                })
            })
            .collect::<Result<_, ApiError>>()?;
        Ok(ListDeclarationRulesResponse { rules })
    }
}
