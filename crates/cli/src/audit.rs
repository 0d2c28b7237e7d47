//! `probity audit verify|checkpoint`: an inspector's view of the services'
//! audit logs.
//!
//! `checkpoint` saves each service's signed checkpoint to a file;
//! `verify --checkpoint FILE` then lists each log in full and checks it on
//! this side (hashes, links, and that the first `size` entries still end in
//! the saved head), trusting the saved file rather than the server — the
//! server's own `VerifyAuditChain` cannot see a log rewritten with every
//! hash recomputed, or cut short with its head moved back.

use std::{path::Path, process::ExitCode};

use anyhow::{Context, bail};
use probity_platform::{audit::checkpoint, dates};
use probity_proto::probity::{
    common::v1::{AuditChainVerification, AuditCheckpoint, AuditEntry},
    members, oversight, reports, study,
};
use serde_json::json;
use tonic::Status;

use crate::config::ClientArgs;

/// One service's audit API, whichever package it is generated in.
#[tonic::async_trait]
trait AuditApi: Send {
    /// `VerifyAuditChain`.
    async fn verify(&mut self) -> Result<AuditChainVerification, Status>;
    /// `GetAuditCheckpoint`: the checkpoint and the entries not sealed yet.
    async fn checkpoint(&mut self) -> Result<(AuditCheckpoint, i64), Status>;
    /// One page of `ListAuditEntries`, 1,000 entries.
    async fn page(&mut self, token: String) -> Result<(Vec<AuditEntry>, String), Status>;
}

/// Implements [`AuditApi`] for a service package's generated client.
macro_rules! audit_api {
    ($package:ident) => {
        #[tonic::async_trait]
        impl AuditApi
            for $package::v1::audit_service_client::AuditServiceClient<
                probity_platform::client::Authed,
            >
        {
            async fn verify(&mut self) -> Result<AuditChainVerification, Status> {
                let r = self
                    .verify_audit_chain($package::v1::VerifyAuditChainRequest {})
                    .await?;
                Ok(r.into_inner().verification.unwrap_or_default())
            }
            async fn checkpoint(&mut self) -> Result<(AuditCheckpoint, i64), Status> {
                let r = self
                    .get_audit_checkpoint($package::v1::GetAuditCheckpointRequest {})
                    .await?
                    .into_inner();
                Ok((r.checkpoint.unwrap_or_default(), r.unsealed_entries))
            }
            async fn page(&mut self, token: String) -> Result<(Vec<AuditEntry>, String), Status> {
                let r = self
                    .list_audit_entries($package::v1::ListAuditEntriesRequest {
                        resource: String::new(),
                        page_size: 1000,
                        page_token: token,
                    })
                    .await?
                    .into_inner();
                Ok((r.entries, r.next_page_token))
            }
        }
    };
}
audit_api!(members);
audit_api!(study);
audit_api!(oversight);
audit_api!(reports);

/// The services with an audit log, by the name the file keeps them under.
fn services(channel: &probity_platform::client::Authed) -> Vec<(&'static str, Box<dyn AuditApi>)> {
    vec![
        (
            "members",
            Box::new(members::v1::audit_service_client::AuditServiceClient::new(
                channel.clone(),
            )),
        ),
        (
            "study",
            Box::new(study::v1::audit_service_client::AuditServiceClient::new(
                channel.clone(),
            )),
        ),
        (
            "oversight",
            Box::new(oversight::v1::audit_service_client::AuditServiceClient::new(channel.clone())),
        ),
        (
            "reports",
            Box::new(reports::v1::audit_service_client::AuditServiceClient::new(
                channel.clone(),
            )),
        ),
    ]
}

/// A channel to `--addr` with the client's token; `None` after saying why
/// when the server cannot be reached.
async fn channel(client: &ClientArgs) -> anyhow::Result<Option<probity_platform::client::Authed>> {
    let Some(token) = client.resolve_token() else {
        bail!(
            "no token: give --token, set PROBITY_TOKEN, or run `probity up` with the same --data-dir"
        );
    };
    let channel = match client.endpoint(&client.addr)?.connect().await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("probity: cannot reach {}: {e}", client.addr);
            return Ok(None);
        }
    };
    Ok(Some(
        probity_platform::client::with_token(channel, &token).context("the token is not ASCII")?,
    ))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> anyhow::Result<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        bail!("not hex: {text:?}");
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).context("not hex"))
        .collect()
}

/// A checkpoint as the file keeps it.
fn to_json(api: &str, cp: &AuditCheckpoint) -> serde_json::Value {
    json!({
        "api": api,
        "service": cp.service,
        "size": cp.size,
        "head_hash": cp.head_hash,
        "time_micros": cp.time.as_ref().and_then(dates::micros_of).unwrap_or(0),
        "key_id": cp.key_id,
        "public_key": hex(&cp.public_key),
        "signature": hex(&cp.signature),
    })
}

/// A checkpoint read back from the file, with the API it is of.
fn from_json(v: &serde_json::Value) -> anyhow::Result<(String, AuditCheckpoint)> {
    let text = |k: &str| {
        v[k].as_str()
            .map(str::to_string)
            .with_context(|| format!("checkpoint field {k:?} missing"))
    };
    let number = |k: &str| {
        v[k].as_i64()
            .with_context(|| format!("checkpoint field {k:?} missing"))
    };
    Ok((
        text("api")?,
        AuditCheckpoint {
            service: text("service")?,
            size: number("size")?,
            head_hash: text("head_hash")?,
            time: Some(dates::timestamp(number("time_micros")?)),
            key_id: text("key_id")?,
            public_key: unhex(&text("public_key")?)?,
            signature: unhex(&text("signature")?)?,
        },
    ))
}

/// Reads a checkpoint file written by [`checkpoint`].
fn read_file(path: &Path) -> anyhow::Result<Vec<(String, AuditCheckpoint)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    if doc["format"] != checkpoint::FORMAT {
        bail!("{} is not a Probity audit checkpoint file", path.display());
    }
    doc["checkpoints"]
        .as_array()
        .context("no checkpoints in the file")?
        .iter()
        .map(from_json)
        .collect()
}

/// `probity audit checkpoint --out FILE`: saves every service's signed
/// checkpoint.
pub async fn save_checkpoint(client: ClientArgs, out: &Path) -> anyhow::Result<ExitCode> {
    let Some(channel) = channel(&client).await? else {
        return Ok(ExitCode::FAILURE);
    };
    let mut saved = Vec::new();
    for (api, mut service) in services(&channel) {
        match service.checkpoint().await {
            Ok((cp, unsealed)) => {
                checkpoint::check_signature(&cp)
                    .map_err(|e| anyhow::anyhow!("{api}: the server's checkpoint: {e}"))?;
                println!(
                    "{api}: {} entries, head {}, signed by key {}{}",
                    cp.size,
                    cp.head_hash,
                    cp.key_id,
                    if unsealed > 0 {
                        format!(" ({unsealed} committed entries not sealed yet)")
                    } else {
                        String::new()
                    }
                );
                saved.push(to_json(api, &cp));
            }
            Err(e) if e.code() == tonic::Code::Unimplemented => {}
            Err(e) => bail!("{api}: {} {}", e.code(), e.message()),
        }
    }
    if saved.is_empty() {
        bail!("the server runs no service with an audit log");
    }
    let doc = json!({ "format": checkpoint::FORMAT, "checkpoints": saved });
    std::fs::write(out, serde_json::to_string_pretty(&doc)? + "\n")
        .with_context(|| format!("cannot write {}", out.display()))?;
    println!("saved to {}", out.display());
    Ok(ExitCode::SUCCESS)
}

/// Checks `service`'s whole log against `cp`, page by page; `Ok(Err(..))`
/// when it does not hold.
/// A long log shows its progress (entries read of the checkpoint's size)
/// on a terminal.
async fn check_against(
    api: &str,
    service: &mut dyn AuditApi,
    cp: &AuditCheckpoint,
) -> Result<Result<checkpoint::Holds, String>, Status> {
    let mut check = match checkpoint::LogCheck::new(cp) {
        Ok(check) => check,
        Err(problem) => return Ok(Err(problem)),
    };
    let mut progress = crate::progress::Progress::new(format!("{api} log"));
    let size = usize::try_from(cp.size).unwrap_or(0);
    let mut read = 0;
    let mut token = String::new();
    loop {
        let (page, next) = service.page(token).await?;
        read += page.len();
        progress.update(read, size.max(read));
        for e in &page {
            if let Err(problem) = check.push(e) {
                return Ok(Err(problem));
            }
        }
        if next.is_empty() {
            return Ok(check.finish());
        }
        token = next;
    }
}

/// `probity audit verify [--checkpoint FILE]`: the servers' own check of
/// every service's chain, and with a file, this side's check of each log
/// against its saved checkpoint. Exits 0 only when everything holds.
pub async fn verify(client: ClientArgs, saved: Option<&Path>) -> anyhow::Result<ExitCode> {
    let saved = match saved {
        Some(path) => Some(read_file(path)?),
        None => None,
    };
    let Some(channel) = channel(&client).await? else {
        return Ok(ExitCode::FAILURE);
    };
    let mut code = ExitCode::SUCCESS;
    let mut checked = 0;
    for (api, mut service) in services(&channel) {
        match service.verify().await {
            Ok(v) if v.valid => println!(
                "{api} audit chain intact: {} entries, head {}",
                v.entries_checked, v.head_hash
            ),
            Ok(v) => {
                println!(
                    "{api} audit chain BROKEN at entry {}: {}",
                    v.first_bad_sequence, v.problem
                );
                code = ExitCode::FAILURE;
            }
            Err(e) if e.code() == tonic::Code::Unimplemented => continue,
            Err(e) => {
                eprintln!("probity: {api}: {} {}", e.code(), e.message());
                code = ExitCode::FAILURE;
                continue;
            }
        }
        checked += 1;
        let Some(saved) = &saved else { continue };
        for (_, cp) in saved.iter().filter(|(a, _)| a == api) {
            let outcome = match check_against(api, service.as_mut(), cp).await {
                Ok(outcome) => outcome,
                Err(e) => {
                    eprintln!("probity: {api}: {} {}", e.code(), e.message());
                    code = ExitCode::FAILURE;
                    continue;
                }
            };
            match outcome {
                Ok(held) => println!(
                    "{api} audit log holds the saved checkpoint: its first {} entries are unchanged (now {} entries, head {})",
                    cp.size, held.entries, held.head_hash
                ),
                Err(problem) => {
                    println!("{api} audit log DOES NOT HOLD the saved checkpoint: {problem}");
                    code = ExitCode::FAILURE;
                }
            }
        }
    }
    if checked == 0 {
        eprintln!("probity: the server runs no service with an audit log");
        code = ExitCode::FAILURE;
    }
    Ok(code)
}
