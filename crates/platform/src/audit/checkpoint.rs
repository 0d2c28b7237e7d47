//! Signed checkpoints of an audit log: "the first `size` entries of
//! `service`'s log end in `head_hash`", signed with the service's Ed25519
//! audit key (Certificate Transparency's signed tree head, for a chain).
//!
//! An inspector saves one; later the log must still hold that prefix: an
//! entry rewritten (and every hash after it recomputed) or entries cut off
//! the end no longer reach the saved head at the saved size.

use probity_proto::probity::common::v1::AuditCheckpoint;
use ring::signature::{ED25519, UnparsedPublicKey};

use super::{CATCH_UP_WAIT, sealer};
use crate::{auth::Issuer, call::Call, dates, db::Database, error::ApiError};

/// The first line of the signed text; names the format.
pub const FORMAT: &str = "probity.audit.checkpoint.v1";

/// The exact text a checkpoint's signature covers.
pub fn signed_text(service: &str, size: i64, head_hash: &str, time_micros: i64) -> String {
    format!("{FORMAT}\n{service}\n{size}\n{head_hash}\n{time_micros}\n")
}

/// Signs `(service, size, head_hash, time)` with `key`.
pub fn sign(
    key: &Issuer,
    service: &str,
    size: i64,
    head_hash: &str,
    time_micros: i64,
) -> AuditCheckpoint {
    let text = signed_text(service, size, head_hash, time_micros);
    AuditCheckpoint {
        service: service.to_string(),
        size,
        head_hash: head_hash.to_string(),
        time: Some(dates::timestamp(time_micros)),
        key_id: key.kid().to_string(),
        public_key: key.public_key().to_vec(),
        signature: key.sign_bytes(text.as_bytes()),
    }
}

/// Checks a checkpoint's signature against the public key it carries (the
/// one its holder trusts: compare `key_id` with the service's published
/// key). Says what is wrong otherwise.
pub fn check_signature(cp: &AuditCheckpoint) -> Result<(), String> {
    let time = cp
        .time
        .as_ref()
        .and_then(dates::micros_of)
        .ok_or("the checkpoint has no time")?;
    if Issuer::kid_of(&cp.public_key) != cp.key_id {
        return Err("the key id is not the public key's thumbprint".into());
    }
    let text = signed_text(&cp.service, cp.size, &cp.head_hash, time);
    UnparsedPublicKey::new(&ED25519, &cp.public_key)
        .verify(text.as_bytes(), &cp.signature)
        .map_err(|_| "the signature does not match the checkpoint".to_string())
}

/// How a log compares with a saved checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holds {
    /// Entries checked (the whole log listed).
    pub entries: i64,
    /// The hash of the last of them.
    pub head_hash: String,
}

/// Checks a service's whole log, listed oldest first a page at a time,
/// against a saved checkpoint: an intact chain whose first `size` entries
/// end in the checkpoint's head, the checkpoint signed by the key it names.
/// This is what an inspector runs on their side (`probity audit verify
/// --checkpoint`), trusting only the saved checkpoint, not the server; it
/// keeps one hash, not the log.
#[derive(Debug, Clone)]
pub struct LogCheck {
    checkpoint: AuditCheckpoint,
    chain: super::ChainCheck,
    reached: bool,
}

impl LogCheck {
    /// Starts a check against `cp`; fails when its signature does not hold.
    pub fn new(cp: &AuditCheckpoint) -> Result<Self, String> {
        check_signature(cp)?;
        Ok(Self {
            reached: cp.size == 0 && cp.head_hash == super::GENESIS,
            checkpoint: cp.clone(),
            chain: super::ChainCheck::default(),
        })
    }

    /// Checks the next entry.
    pub fn push(
        &mut self,
        e: &probity_proto::probity::common::v1::AuditEntry,
    ) -> Result<(), String> {
        self.chain
            .push_entry(e)
            .map_err(|b| format!("entry {}: {}", b.sequence, b.problem))?;
        if self.chain.size() == self.checkpoint.size {
            if self.chain.head() != self.checkpoint.head_hash {
                return Err(format!(
                    "entry {} is not the one the checkpoint signed: the log was rewritten at or before it",
                    self.checkpoint.size
                ));
            }
            self.reached = true;
        }
        Ok(())
    }

    /// After the last entry: whether the log reached the checkpoint.
    pub fn finish(self) -> Result<Holds, String> {
        if !self.reached {
            return Err(format!(
                "the log has {} entries; the checkpoint covers {}: entries were removed",
                self.chain.size(),
                self.checkpoint.size
            ));
        }
        Ok(Holds {
            entries: self.chain.size(),
            head_hash: self.chain.head().to_string(),
        })
    }
}

/// [`LogCheck`] over entries already listed.
pub fn check_log<'a>(
    cp: &AuditCheckpoint,
    entries: impl IntoIterator<Item = &'a probity_proto::probity::common::v1::AuditEntry>,
) -> Result<Holds, String> {
    let mut check = LogCheck::new(cp)?;
    for e in entries {
        check.push(e)?;
    }
    check.finish()
}

/// What `GetAuditCheckpoint` answers.
#[derive(Debug, Clone)]
pub struct Got {
    /// The signed checkpoint of the sealed log.
    pub checkpoint: AuditCheckpoint,
    /// Committed entries still waiting for the sealer.
    pub unsealed_entries: i64,
    /// Age of the oldest of them.
    pub sealer_lag: prost_types::Duration,
}

/// The `GetAuditCheckpoint` method every service's `AuditService` has:
/// seals what was committed before the call (waiting at most
/// [`CATCH_UP_WAIT`]), then signs the head with the server's audit key.
pub async fn get_for(db: &Database, call: &Call) -> Result<Got, ApiError> {
    let Some(key) = db.audit_key() else {
        return Err(ApiError::FailedPrecondition {
            reason: "NO_AUDIT_KEY",
            message: "this server has no audit signing key (--audit-key-file; `probity keys init` makes one)"
                .into(),
        });
    };
    sealer::catch_up(db, CATCH_UP_WAIT).await?;
    let (size, head_hash) = sealer::head(db).await?;
    let now = call.now_micros();
    let lag = sealer::lag(db, now).await?;
    Ok(Got {
        checkpoint: sign(&key, db.service(), size, &head_hash, now),
        unsealed_entries: lag.entries,
        sealer_lag: prost_types::Duration {
            seconds: i64::try_from(lag.age.as_secs()).unwrap_or(i64::MAX),
            nanos: i32::try_from(lag.age.subsec_nanos()).unwrap_or(0),
        },
    })
}

#[cfg(test)]
mod tests {
    use probity_proto::probity::common::v1::AuditEntry;

    use super::*;
    use crate::audit::EntryFields;

    #[test]
    fn a_signed_checkpoint_checks_and_any_change_breaks_it() {
        let key = Issuer::generate();
        let cp = sign(&key, "members", 42, &"ab".repeat(32), 1_700_000_000_000_000);
        assert_eq!(check_signature(&cp), Ok(()));
        let mut bigger = cp.clone();
        bigger.size = 43;
        assert!(check_signature(&bigger).is_err());
        let mut other_head = cp.clone();
        other_head.head_hash = "cd".repeat(32);
        assert!(check_signature(&other_head).is_err());
        let mut other_key = cp.clone();
        let stranger = Issuer::generate();
        other_key.public_key = stranger.public_key().to_vec();
        other_key.key_id = stranger.kid().to_string();
        assert!(check_signature(&other_key).is_err());
        let mut wrong_kid = cp;
        wrong_kid.key_id = "x".into();
        assert!(check_signature(&wrong_kid).is_err());
    }

    /// A valid log of `n` entries.
    fn log(n: i64) -> Vec<AuditEntry> {
        let mut prev = crate::audit::GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEntry {
                    sequence: seq,
                    time: Some(dates::timestamp(seq * 1000)),
                    caller: "admin".into(),
                    agency: "tinh-uy".into(),
                    method: "/m".into(),
                    resource: format!("organizations/{seq}"),
                    request_id: String::new(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                    change_digest: "ab".repeat(32),
                };
                e.hash = crate::audit::chain_hash(&prev, &EntryFields::from(&e));
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn a_log_holds_its_checkpoint_until_cut_or_rewritten() {
        let key = Issuer::generate();
        let entries = log(10);
        let cp = sign(&key, "members", 6, &entries[5].hash, 7);
        let held = check_log(&cp, &entries).unwrap();
        assert_eq!(held.entries, 10);
        assert_eq!(held.head_hash, entries[9].hash);
        // Cut to 5 entries (the head moved back with them).
        let err = check_log(&cp, &entries[..5]).unwrap_err();
        assert!(err.contains("entries were removed"), "{err}");
        // Entry 3 rewritten and every later hash recomputed: a valid chain,
        // but not the one signed.
        let mut rewritten = entries.clone();
        rewritten[2].caller = "someone-else".into();
        let mut prev = rewritten[1].hash.clone();
        for e in &mut rewritten[2..] {
            e.prev_hash = prev.clone();
            e.hash = crate::audit::chain_hash(&prev, &EntryFields::from(&*e));
            prev = e.hash.clone();
        }
        let err = check_log(&cp, &rewritten).unwrap_err();
        assert!(err.contains("entry 6 is not the one"), "{err}");
        // A rewrite without recomputing is a broken chain.
        let mut edited = entries.clone();
        edited[7].resource = "organizations/x".into();
        let err = check_log(&cp, &edited).unwrap_err();
        assert!(err.starts_with("entry 8:"), "{err}");
        // The empty checkpoint holds for any intact log.
        let empty = sign(&key, "members", 0, crate::audit::GENESIS, 7);
        assert!(check_log(&empty, &entries).is_ok());
    }

    #[test]
    fn the_signed_text_is_fixed() {
        assert_eq!(
            signed_text("study", 3, "00", 5),
            "probity.audit.checkpoint.v1\nstudy\n3\n00\n5\n"
        );
    }
}
