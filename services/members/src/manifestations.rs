//! The 27 manifestations of degradation: the reference data file, its
//! validation at start-up, and `ManifestationService`.

use std::{collections::BTreeMap, sync::Arc};

use probity_platform::{ApiError, Call, Database, unary};
use probity_proto::probity::members::v1::{
    GetManifestationStatisticsRequest, GetManifestationStatisticsResponse,
    ListManifestationsRequest, ListManifestationsResponse, Manifestation, ManifestationCount,
    ManifestationGroup, manifestation_service_server::ManifestationService,
};
use serde::Deserialize;
use sqlx::Row;
use tonic::{Request, Response, Status};

use crate::{
    books::{current_submitted, reference_date, validate_year},
    error::Result,
    organizations::subtree_on,
    tree,
};

/// The data file shipped with the service.
pub const DATA_FILE: &str = include_str!("../data/manifestations.json");

#[derive(Deserialize)]
struct File {
    version: String,
    source: String,
    groups: Vec<GroupRow>,
    manifestations: Vec<Row27>,
}

#[derive(Deserialize)]
struct GroupRow {
    code: String,
    key: String,
}

#[derive(Deserialize)]
struct Row27 {
    code: String,
    group: String,
    label_vi: String,
    gloss_en: String,
}

/// The validated reference data.
#[derive(Debug, Clone)]
pub struct Catalogue {
    /// Data file version.
    pub version: String,
    /// The naming document.
    pub source: String,
    /// By code, in code order.
    pub by_code: BTreeMap<String, Manifestation>,
}

impl Catalogue {
    /// Parses and checks a data file: valid JSON, three groups, nine
    /// manifestations in each, 27 in all, codes unique and of the form
    /// `<group>-NN`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: File =
            serde_json::from_str(text).map_err(|e| format!("manifestations data file: {e}"))?;
        let mut groups = BTreeMap::new();
        for g in &file.groups {
            let group = match g.key.as_str() {
                "POLITICAL_IDEOLOGY" => ManifestationGroup::PoliticalIdeology,
                "ETHICS_LIFESTYLE" => ManifestationGroup::EthicsLifestyle,
                "SELF_EVOLUTION" => ManifestationGroup::SelfEvolution,
                other => {
                    return Err(format!(
                        "manifestations data file: unknown group key {other:?}"
                    ));
                }
            };
            groups.insert(g.code.clone(), group);
        }
        if groups.len() != 3 {
            return Err(format!(
                "manifestations data file: expected 3 groups, found {}",
                groups.len()
            ));
        }
        let mut by_code = BTreeMap::new();
        for m in file.manifestations {
            let group = *groups.get(&m.group).ok_or_else(|| {
                format!(
                    "manifestations data file: {} names unknown group {:?}",
                    m.code, m.group
                )
            })?;
            if !m.code.starts_with(&format!("{}-", m.group))
                || m.label_vi.trim().is_empty()
                || m.gloss_en.trim().is_empty()
            {
                return Err(format!("manifestations data file: {} is malformed", m.code));
            }
            let code = m.code.clone();
            let entry = Manifestation {
                code: m.code,
                group: group as i32,
                label_vi: m.label_vi,
                gloss_en: m.gloss_en,
            };
            if by_code.insert(code.clone(), entry).is_some() {
                return Err(format!("manifestations data file: duplicate code {code}"));
            }
        }
        if by_code.len() != 27 {
            return Err(format!(
                "manifestations data file: expected 27 manifestations, found {}",
                by_code.len()
            ));
        }
        for (code, group) in &groups {
            let n = by_code
                .values()
                .filter(|m| m.group == *group as i32)
                .count();
            if n != 9 {
                return Err(format!(
                    "manifestations data file: group {code} has {n} manifestations, expected 9"
                ));
            }
        }
        Ok(Self {
            version: file.version,
            source: file.source,
            by_code,
        })
    }

    /// The catalogue shipped with the service.
    pub fn shipped() -> Result<Self, String> {
        Self::parse(DATA_FILE)
    }

    /// True when `code` is one of the 27.
    pub fn contains(&self, code: &str) -> bool {
        self.by_code.contains_key(code)
    }
}

/// `ManifestationService` over the catalogue and the books.
#[derive(Debug, Clone)]
pub struct Manifestations {
    db: Database,
    catalogue: Arc<Catalogue>,
}

impl Manifestations {
    /// The service.
    pub fn new(db: Database, catalogue: Arc<Catalogue>) -> Self {
        Self { db, catalogue }
    }

    async fn list(
        &self,
        _call: Call,
        req: ListManifestationsRequest,
    ) -> Result<ListManifestationsResponse> {
        let group = ManifestationGroup::try_from(req.group)
            .map_err(|_| ApiError::invalid("group", "unknown group"))?;
        Ok(ListManifestationsResponse {
            manifestations: self
                .catalogue
                .by_code
                .values()
                .filter(|m| group == ManifestationGroup::Unspecified || m.group == group as i32)
                .cloned()
                .collect(),
            version: self.catalogue.version.clone(),
            source: self.catalogue.source.clone(),
        })
    }

    async fn statistics(
        &self,
        call: Call,
        req: GetManifestationStatisticsRequest,
    ) -> Result<GetManifestationStatisticsResponse> {
        validate_year("year", req.year)?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let date = reference_date(req.year);
        let root = subtree_on(&mut conn, &call, "organization", &req.organization, &date).await?;
        let mut counts: BTreeMap<String, ManifestationCount> = self
            .catalogue
            .by_code
            .keys()
            .map(|c| {
                (
                    c.clone(),
                    ManifestationCount {
                        code: c.clone(),
                        ..Default::default()
                    },
                )
            })
            .collect();
        if let Some(org) = root {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT bm.code, e.kind, COUNT(*) AS n FROM book_entries e \
                 JOIN book_entry_manifestations bm ON bm.entry_id = e.id \
                 JOIN organization_placements p ON p.org_id = e.organization_id AND {} \
                 WHERE p.path >= $2 AND p.path < $3 AND e.year = $4 AND {} GROUP BY bm.code, e.kind",
                tree::in_force("p", 1),
                current_submitted("e")
            )))
            .bind(&date)
            .bind(&org.path)
            .bind(tree::upper(&org.path))
            .bind(i64::from(req.year))
            .fetch_all(&mut *conn)
            .await?;
            use probity_proto::probity::members::v1::BookEntryKind as K;
            for row in rows {
                let code: String = row.try_get("code")?;
                let kind: i64 = row.try_get("kind")?;
                let n: i64 = row.try_get("n")?;
                if let Some(c) = counts.get_mut(&code) {
                    if kind == K::SelfAssessment as i64 {
                        c.self_assessments += n;
                    } else if kind == K::Commitment as i64 || kind == K::HeadCommitment as i64 {
                        c.commitments += n;
                    }
                }
            }
        }
        Ok(GetManifestationStatisticsResponse {
            counts: counts.into_values().collect(),
        })
    }
}

#[tonic::async_trait]
impl ManifestationService for Manifestations {
    async fn list_manifestations(
        &self,
        r: Request<ListManifestationsRequest>,
    ) -> Result<Response<ListManifestationsResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
    async fn get_manifestation_statistics(
        &self,
        r: Request<GetManifestationStatisticsRequest>,
    ) -> Result<Response<GetManifestationStatisticsResponse>, Status> {
        unary(r, |c, m| self.statistics(c, m)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_is_valid() {
        let c = Catalogue::shipped().unwrap();
        assert_eq!(c.by_code.len(), 27);
        assert!(c.contains("II-04"));
        assert_eq!(c.source, "04-NQ/TW");
    }

    #[test]
    fn a_wrong_count_or_a_duplicate_is_refused() {
        let mut file: serde_json::Value = serde_json::from_str(DATA_FILE).unwrap();
        let list = file["manifestations"].as_array_mut().unwrap();
        let first = list[0].clone();
        list.pop();
        let short = serde_json::to_string(&file).unwrap();
        assert!(
            Catalogue::parse(&short)
                .unwrap_err()
                .contains("expected 27"),
            "wrong count"
        );
        file["manifestations"].as_array_mut().unwrap().push(first);
        let dup = serde_json::to_string(&file).unwrap();
        assert!(
            Catalogue::parse(&dup)
                .unwrap_err()
                .contains("duplicate code I-01")
        );
        assert!(Catalogue::parse("{").is_err());
    }
}
