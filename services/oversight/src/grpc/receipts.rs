//! `probity.oversight.v1.ReceiptService`: a reporter follows their report
//! up with its receipt code, without an account. The gateway lets these
//! calls in without a token (their rule is `Access::Open`) and counts them
//! per source address; here each code (by its locator, known or not) gets
//! a few attempts a minute, and a wrong code and an unknown one cost the
//! same Argon2id check and get the same `NOT_FOUND`. The reporter sees the
//! status, the due dates and the messages shared with them — never the
//! content, the accused, internal notes or who handles the report.

use probity_platform::{ApiError, Call, Database, dates, unary, vault::parse_receipt};
use probity_proto::probity::oversight::v1::{
    CheckReportRequest, ErrorReason, MessageAuthor, ReportReceipt, SendReceiptMessageRequest,
    receipt_service_server::ReceiptService,
};
use sqlx::AnyConnection;
use tonic::{Request, Response, Status};

use super::{report_view, vault::Vault};
use crate::{
    error::{Error, Result},
    rules::reports as rules,
    store::reports::{self as store, MessageRow, ReportRow},
};

/// Messages a receipt shows: the latest.
const SHOWN_MESSAGES: i64 = 100;

/// The one answer to a code that matches no report, wrong or unknown.
fn no_match() -> Error {
    ApiError::not_found("a report with this receipt code").into()
}

/// `ReceiptService` over one database and the vault.
#[derive(Clone)]
pub struct Receipts {
    db: Database,
    vault: Vault,
}

impl std::fmt::Debug for Receipts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Receipts")
    }
}

impl Receipts {
    /// The service over `db`, checking codes with `vault`.
    pub fn new(db: Database, vault: Vault) -> Self {
        Self { db, vault }
    }

    /// The report `code` proves, and the code's locator.
    async fn proven(&self, code: &str) -> Result<(ReportRow, String)> {
        let (locator, code) = parse_receipt(code).ok_or_else(|| {
            ApiError::invalid(
                "receipt_code",
                "28 characters of Crockford base 32, as the receipt shows them",
            )
        })?;
        self.vault.attempt(&locator)?;
        let row = {
            let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
            store::by_locator(&mut conn, &locator).await?
        };
        let matches = self
            .vault
            .verify(code, row.as_ref().map(|r| r.receipt_hash.clone()))
            .await?;
        match row {
            Some(row) if matches => Ok((row, locator)),
            _ => Err(no_match()),
        }
    }

    async fn receipt(conn: &mut AnyConnection, row: &ReportRow) -> Result<ReportReceipt> {
        let messages = store::latest_shared(conn, &row.id, SHOWN_MESSAGES).await?;
        Ok(ReportReceipt {
            received_date: Some(dates::sql_to_proto(&row.received_date)?),
            status: row.status as i32,
            outcome: row.outcome as i32,
            accept_due_date: row
                .accept_due
                .as_deref()
                .map(dates::sql_to_proto)
                .transpose()?,
            resolve_due_date: row
                .resolve_due
                .as_deref()
                .map(dates::sql_to_proto)
                .transpose()?,
            messages: messages.iter().map(report_view::message).collect(),
        })
    }

    async fn check(&self, _call: Call, req: CheckReportRequest) -> Result<ReportReceipt> {
        let (row, _) = self.proven(&req.receipt_code).await?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        Self::receipt(&mut conn, &row).await
    }

    async fn send(&self, call: Call, req: SendReceiptMessageRequest) -> Result<ReportReceipt> {
        let text = rules::message_text("text", &req.text)?;
        let (row, locator) = self.proven(&req.receipt_code).await?;
        // The reporter is known to the records by their code's locator
        // only; the request is kept for retries without the code.
        let mut call = call;
        call.caller.subject = format!("receipt:{locator}");
        let kept = SendReceiptMessageRequest {
            receipt_code: String::new(),
            ..req.clone()
        };
        let mut w = self.db.begin_write(&call, &req.request_id, &kept).await?;
        if let Some(done) = w.replayed::<ReportReceipt>()? {
            return Ok(done);
        }
        if row.expired == 1 {
            return Err(Error::state(
                ErrorReason::IllegalTransition,
                "this report's retention ended; messages can no longer be added",
            ));
        }
        let mut message = MessageRow {
            report_id: row.id.clone(),
            seq: 0,
            author: MessageAuthor::Reporter as i64,
            internal: 0,
            text,
            author_subject: call.caller.subject.clone(),
            create_micros: call.now_micros(),
        };
        message.seq = store::add_message(w.conn(), &message).await?;
        let sent = report_view::message(&message);
        w.record(&sent.name, &sent);
        let receipt = Self::receipt(w.conn(), &row).await?;
        w.commit_batch(&receipt).await?;
        Ok(receipt)
    }
}

#[tonic::async_trait]
impl ReceiptService for Receipts {
    async fn check_report(
        &self,
        r: Request<CheckReportRequest>,
    ) -> Result<Response<ReportReceipt>, Status> {
        unary(r, |c, m| self.check(c, m)).await
    }
    async fn send_receipt_message(
        &self,
        r: Request<SendReceiptMessageRequest>,
    ) -> Result<Response<ReportReceipt>, Status> {
        unary(r, |c, m| self.send(c, m)).await
    }
}
