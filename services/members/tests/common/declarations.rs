//! Declaration fixtures shared by the declaration and verification tests.

use super::date;
use probity_platform::testing::Authed;
use probity_proto::{
    google::r#type::Date,
    probity::members::v1::{
        AssetCategory, Declaration, DeclarationItem, DeclarationKind, Member,
        SubmitDeclarationRequest, declaration_service_client::DeclarationServiceClient,
    },
};

/// The declaration service's client.
pub type Decls = DeclarationServiceClient<Authed>;

/// One declared item.
pub fn item(category: AssetCategory, description: &str, value: i64) -> DeclarationItem {
    DeclarationItem {
        category: category as i32,
        description: description.into(),
        value_vnd: value,
    }
}

/// An annual declaration of `m` for `year`.
pub fn annual(
    m: &Member,
    year: i32,
    items: Vec<DeclarationItem>,
    received: Option<Date>,
) -> Declaration {
    Declaration {
        declarant: m.name.clone(),
        year,
        kind: DeclarationKind::Annual as i32,
        declared_as_of: date(year, 12, 1),
        items,
        received_date: received,
        ..Default::default()
    }
}

/// Submits `d`.
pub async fn submit(decls: &mut Decls, d: Declaration) -> Result<Declaration, tonic::Status> {
    decls
        .submit_declaration(SubmitDeclarationRequest {
            declaration: Some(d),
            request_id: String::new(),
        })
        .await
        .map(|r| r.into_inner())
}

/// A house worth `value` VND.
pub fn house(value: i64) -> DeclarationItem {
    item(AssetCategory::Houses, "Nhà ở, phường 1", value)
}
