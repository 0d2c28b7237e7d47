//! Sealing what a role must unlock, and receipt codes.
//!
//! **Envelope encryption.** [`KeyRing::seal`] encrypts a record under a
//! fresh random key of its own (XChaCha20-Poly1305, the record's resource
//! name as associated data, so a sealed record moved to another row does not
//! open), and wraps that record key with the ring's current key-encryption
//! key (KEK), also XChaCha20-Poly1305, bound to the resource name and the
//! KEK's id. The database holds only ciphertext, the wrapped key and the
//! KEK's id; the KEKs live in configuration (a key file), never in the
//! database. Rotation: put a new key first in the file; records sealed
//! under the old one still open, and [`KeyRing::rewrap`] moves a record to
//! the current key by re-wrapping its record key only (the record itself is
//! not re-encrypted); once none is left under the old key it can leave the
//! file. Destroying a record's wrapped key destroys the record (what
//! retention does).
//!
//! **Receipt codes.** [`Receipt::issue`] makes a high-entropy code for a
//! person without an account: a public locator (40 bits, to find the
//! record) and a secret (100 bits), stored only as an Argon2id hash
//! ([`ReceiptHasher`]). [`ReceiptHasher::verify`] of an unknown locator
//! checks a dummy hash of the same cost, so a wrong code and an unknown one
//! take the same time and get the same answer.

use std::{collections::HashMap, fmt, path::Path, sync::Arc};

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::{SaltString, rand_core::OsRng},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use ring::rand::{SecureRandom, SystemRandom};

/// Bytes of a key (record key or KEK).
const KEY_LEN: usize = 32;
/// Bytes of an XChaCha20 nonce.
const NONCE_LEN: usize = 24;
/// Longest key id in a key file.
const MAX_KID_LEN: usize = 32;

/// What a sealed record is stored as: ciphertext, its wrapped record key and
/// the id of the KEK that wrapped it. Holds nothing readable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    /// The id of the key-encryption key that wrapped the record key.
    pub kek_id: String,
    /// Nonce and ciphertext of the record key under the KEK.
    pub wrapped_key: Vec<u8>,
    /// Nonce and ciphertext of the record under its record key.
    pub ciphertext: Vec<u8>,
}

/// Why a sealed record does not open.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// The KEK that wrapped it is no longer in the key file.
    #[error("the key {0:?} that sealed this record is not in the vault's key file")]
    UnknownKey(String),
    /// The wrapped key or the ciphertext was altered, or belongs to another
    /// record.
    #[error("the sealed record does not open: altered, or not this record's")]
    Corrupt,
}

/// The key-encryption keys: the current one (which seals) first, older ones
/// (which still open) after it.
#[derive(Clone)]
pub struct KeyRing {
    current: String,
    keys: Arc<HashMap<String, XChaCha20Poly1305>>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KeyRing(current {:?}, {} keys)",
            self.current,
            self.keys.len()
        )
    }
}

fn random<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    SystemRandom::new()
        .fill(&mut out)
        .expect("the system's random source");
    out
}

fn encrypt(cipher: &XChaCha20Poly1305, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let nonce = random::<NONCE_LEN>();
    let sealed = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .expect("XChaCha20-Poly1305 encrypts any length we store");
    [nonce.as_slice(), &sealed].concat()
}

fn decrypt(cipher: &XChaCha20Poly1305, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
    if sealed.len() < NONCE_LEN {
        return Err(VaultError::Corrupt);
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad })
        .map_err(|_| VaultError::Corrupt)
}

/// What the record key is bound to when it is wrapped.
fn wrap_aad(kek_id: &str, resource: &str) -> Vec<u8> {
    format!("probity-vault-v1\u{1f}{kek_id}\u{1f}{resource}").into_bytes()
}

impl KeyRing {
    /// Reads a key file: one key per line, `<id> <base64 of 32 bytes>`; the
    /// first is the current one; blank lines and `#` comments are skipped.
    /// Errors name the line, never a key.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut current = None;
        let mut keys = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = || {
                format!(
                    "vault key file, line {}: expected `<id> <base64 of 32 bytes>`",
                    n + 1
                )
            };
            let (id, key) = line.split_once(char::is_whitespace).ok_or_else(bad)?;
            let key = STANDARD.decode(key.trim()).map_err(|_| bad())?;
            if key.len() != KEY_LEN
                || id.is_empty()
                || id.len() > MAX_KID_LEN
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(bad());
            }
            if keys.contains_key(id) {
                return Err(format!(
                    "vault key file, line {}: key id {id:?} twice",
                    n + 1
                ));
            }
            current.get_or_insert_with(|| id.to_string());
            let cipher = XChaCha20Poly1305::new_from_slice(&key).map_err(|_| bad())?;
            keys.insert(id.to_string(), cipher);
        }
        let current = current.ok_or("vault key file: no key")?;
        Ok(Self {
            current,
            keys: Arc::new(keys),
        })
    }

    /// Reads the key file at `path`.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("vault key file {}: {e}", path.display()))?;
        Self::parse(&text)
    }

    /// The text of a new key file holding one fresh key named `id`.
    pub fn new_file(id: &str) -> String {
        format!(
            "# Probity vault key-encryption keys: `<id> <base64 of 32 bytes>`, the current one first.\n\
             # Rotate: add a new key as the first line, call ProtectionService.RewrapIdentities,\n\
             # then remove the old line. Keep this file out of the database's backups.\n\
             {id} {}\n",
            STANDARD.encode(random::<KEY_LEN>())
        )
    }

    /// Reads the key file at `path`, first writing one with a fresh key
    /// (readable by its owner only) when there is none: how `probity up`
    /// keeps its keys beside its data.
    pub fn load_or_create(path: &Path) -> Result<Self, String> {
        if !path.exists() {
            let text = Self::new_file(&format!(
                "k{}",
                time::OffsetDateTime::now_utc().unix_timestamp()
            ));
            write_private(path, &text)
                .map_err(|e| format!("vault key file {}: {e}", path.display()))?;
        }
        Self::load(path)
    }

    /// A ring of one random key that lives as long as the process: for
    /// tests and benchmarks (what it seals is lost at exit).
    pub fn ephemeral() -> Self {
        Self::parse(&Self::new_file("ephemeral")).expect("a fresh key file parses")
    }

    /// The id of the current key.
    pub fn current(&self) -> &str {
        &self.current
    }

    /// Seals `plaintext` as the record `resource` under a fresh record key
    /// wrapped by the current KEK.
    pub fn seal(&self, resource: &str, plaintext: &[u8]) -> Sealed {
        let record_key = random::<KEY_LEN>();
        let record = XChaCha20Poly1305::new_from_slice(&record_key).expect("32-byte key");
        let ciphertext = encrypt(&record, resource.as_bytes(), plaintext);
        let kek = &self.keys[&self.current];
        Sealed {
            kek_id: self.current.clone(),
            wrapped_key: encrypt(kek, &wrap_aad(&self.current, resource), &record_key),
            ciphertext,
        }
    }

    fn record_key(&self, resource: &str, sealed: &Sealed) -> Result<Vec<u8>, VaultError> {
        let kek = self
            .keys
            .get(&sealed.kek_id)
            .ok_or_else(|| VaultError::UnknownKey(sealed.kek_id.clone()))?;
        decrypt(
            kek,
            &wrap_aad(&sealed.kek_id, resource),
            &sealed.wrapped_key,
        )
    }

    /// Opens the record `resource` sealed as `sealed`.
    pub fn open(&self, resource: &str, sealed: &Sealed) -> Result<Vec<u8>, VaultError> {
        let key = self.record_key(resource, sealed)?;
        let record = XChaCha20Poly1305::new_from_slice(&key).map_err(|_| VaultError::Corrupt)?;
        decrypt(&record, resource.as_bytes(), &sealed.ciphertext)
    }

    /// The record sealed under the current KEK: its record key unwrapped
    /// and wrapped again, the ciphertext unchanged. `None` when it is under
    /// the current key already.
    pub fn rewrap(&self, resource: &str, sealed: &Sealed) -> Result<Option<Sealed>, VaultError> {
        if sealed.kek_id == self.current {
            return Ok(None);
        }
        let key = self.record_key(resource, sealed)?;
        let kek = &self.keys[&self.current];
        Ok(Some(Sealed {
            kek_id: self.current.clone(),
            wrapped_key: encrypt(kek, &wrap_aad(&self.current, resource), &key),
            ciphertext: sealed.ciphertext.clone(),
        }))
    }
}

/// Writes `text` to a new file at `path` that only its owner can read.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

/// The alphabet of receipt codes: Crockford's base 32 (no I, L, O, U).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters of the locator (40 bits).
pub const LOCATOR_LEN: usize = 8;
/// Characters of the secret (100 bits).
const SECRET_LEN: usize = 20;

/// A receipt code as handed to a reporter, in its parts.
pub struct Receipt {
    /// The code to hand over, in groups of four: `XXXX-XXXX-…` (28
    /// characters without the dashes).
    pub code: String,
    /// Its public part, stored in the clear to find the record.
    pub locator: String,
    /// Its Argon2id hash (PHC string), the only form the code is stored in.
    pub hash: String,
}

impl fmt::Debug for Receipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Receipt({}…)", self.locator)
    }
}

/// The parts of a code as typed: `(locator, whole normalized code)`, or
/// `None` when it cannot be a code (wrong length or characters). Dashes and
/// spaces are dropped; lower case, O, I and L are read as Crockford says.
pub fn parse_receipt(code: &str) -> Option<(String, String)> {
    let mut out = String::with_capacity(LOCATOR_LEN + SECRET_LEN);
    for c in code.chars() {
        let c = match c.to_ascii_uppercase() {
            '-' | ' ' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !ALPHABET.contains(&(c as u8)) || !c.is_ascii() {
            return None;
        }
        out.push(c);
        if out.len() > LOCATOR_LEN + SECRET_LEN {
            return None;
        }
    }
    (out.len() == LOCATOR_LEN + SECRET_LEN).then(|| (out[..LOCATOR_LEN].to_string(), out))
}

/// Argon2id at a fixed cost: hashes receipt codes and checks them.
#[derive(Clone)]
pub struct ReceiptHasher {
    argon: Argon2<'static>,
    /// A hash of a code nobody holds, checked for unknown locators.
    dummy: Arc<str>,
}

impl fmt::Debug for ReceiptHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReceiptHasher({:?})", self.argon.params())
    }
}

impl ReceiptHasher {
    /// Argon2id with `memory_kib` of memory and `passes` passes (OWASP's
    /// minimum: 19,456 KiB, 2 passes; see [`ReceiptHasher::default`]).
    pub fn new(memory_kib: u32, passes: u32) -> Result<Self, String> {
        let params = Params::new(memory_kib, passes, 1, None).map_err(|e| e.to_string())?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let dummy = argon
            .hash_password(&random::<16>(), &SaltString::generate(&mut OsRng))
            .map_err(|e| e.to_string())?
            .to_string();
        Ok(Self {
            argon,
            dummy: dummy.into(),
        })
    }

    /// A fresh receipt, with its hash.
    pub fn issue(&self) -> Receipt {
        let bytes = random::<{ LOCATOR_LEN + SECRET_LEN }>();
        let plain: String = bytes
            .iter()
            .map(|b| ALPHABET[usize::from(b % 32)] as char)
            .collect();
        let hash = self
            .argon
            .hash_password(plain.as_bytes(), &SaltString::generate(&mut OsRng))
            .expect("Argon2id hashes a 28-byte code")
            .to_string();
        let code = plain
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).expect("ASCII"))
            .collect::<Vec<_>>()
            .join("-");
        Receipt {
            code,
            locator: plain[..LOCATOR_LEN].to_string(),
            hash,
        }
    }

    /// True when `code` (normalized by [`parse_receipt`]) matches `stored`;
    /// with `stored` `None` (no such locator) checks a dummy hash of the
    /// same cost and answers false, so both take the same time.
    pub fn verify(&self, code: &str, stored: Option<&str>) -> bool {
        let known = stored.is_some();
        let hash = PasswordHash::new(stored.unwrap_or(&self.dummy))
            .or_else(|_| PasswordHash::new(&self.dummy));
        let Ok(hash) = hash else {
            return false;
        };
        let matches = self.argon.verify_password(code.as_bytes(), &hash).is_ok();
        matches && known
    }
}

impl Default for ReceiptHasher {
    /// OWASP's minimum for Argon2id: 19 MiB, 2 passes, 1 lane.
    fn default() -> Self {
        Self::new(19_456, 2).expect("OWASP's parameters are valid")
    }
}

/// Attempts per receipt code (by its locator, known or not) a minute.
pub const ATTEMPTS_PER_MINUTE: u32 = 5;

/// Counts attempts per receipt locator, so that a code cannot be guessed
/// from many addresses either: [`ATTEMPTS_PER_MINUTE`] per locator, known
/// or not (the answer to an exhausted one is the same for both).
pub struct Attempts {
    limiter: governor::DefaultKeyedRateLimiter<String>,
}

impl fmt::Debug for Attempts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Attempts({} locators)", self.limiter.len())
    }
}

impl Default for Attempts {
    fn default() -> Self {
        let per_minute = std::num::NonZeroU32::new(ATTEMPTS_PER_MINUTE).expect("non-zero");
        Self {
            limiter: governor::DefaultKeyedRateLimiter::keyed(governor::Quota::per_minute(
                per_minute,
            )),
        }
    }
}

impl Attempts {
    /// Takes an attempt for `locator`, or says how long until one is free.
    pub fn take(&self, locator: &str) -> Result<(), std::time::Duration> {
        use governor::clock::Clock as _;
        // Forget locators whose bucket is full again, so random locators
        // cannot grow the table without bound.
        if self.limiter.len() > 10_000 {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&locator.to_string())
            .map_err(|not_until| not_until.wait_time_from(self.limiter.clock().now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_record_opens_only_as_itself() {
        let ring = KeyRing::ephemeral();
        let sealed = ring.seal("reports/1", b"Nguyen Van A");
        assert_eq!(ring.open("reports/1", &sealed).unwrap(), b"Nguyen Van A");
        assert_eq!(ring.open("reports/2", &sealed), Err(VaultError::Corrupt));
        let mut altered = sealed.clone();
        *altered.ciphertext.last_mut().unwrap() ^= 1;
        assert_eq!(ring.open("reports/1", &altered), Err(VaultError::Corrupt));
        assert!(!sealed.ciphertext.windows(6).any(|w| w == b"Nguyen"));
    }

    #[test]
    fn each_record_has_its_own_key() {
        let ring = KeyRing::ephemeral();
        let a = ring.seal("r", b"same");
        let b = ring.seal("r", b"same");
        assert_ne!(a.wrapped_key, b.wrapped_key);
        assert_ne!(a.ciphertext, b.ciphertext);
    }

    #[test]
    fn rotation_rewraps_the_record_key_and_old_records_still_open() {
        let old_file = KeyRing::new_file("old");
        let new_file = KeyRing::new_file("new");
        let sealed = KeyRing::parse(&old_file)
            .unwrap()
            .seal("reports/1", b"identity");
        // The new key first, the old one after it.
        let ring = KeyRing::parse(&format!("{new_file}{old_file}")).unwrap();
        assert_eq!(ring.current(), "new");
        assert_eq!(ring.open("reports/1", &sealed).unwrap(), b"identity");
        let moved = ring.rewrap("reports/1", &sealed).unwrap().unwrap();
        assert_eq!(moved.kek_id, "new");
        assert_eq!(moved.ciphertext, sealed.ciphertext);
        assert!(ring.rewrap("reports/1", &moved).unwrap().is_none());
        let only_new = KeyRing::parse(&new_file).unwrap();
        assert_eq!(only_new.open("reports/1", &moved).unwrap(), b"identity");
        assert_eq!(
            only_new.open("reports/1", &sealed),
            Err(VaultError::UnknownKey("old".into()))
        );
    }

    #[test]
    fn key_files_are_checked_without_echoing_keys() {
        assert!(KeyRing::parse("").is_err());
        let err = KeyRing::parse("k1 c2VjcmV0").unwrap_err();
        assert!(err.contains("line 1") && !err.contains("c2VjcmV0"), "{err}");
        let line = KeyRing::new_file("k1");
        assert!(
            KeyRing::parse(&format!("{line}{line}"))
                .unwrap_err()
                .contains("twice")
        );
    }

    #[test]
    fn a_receipt_verifies_and_a_wrong_or_unknown_code_does_not() {
        let hasher = ReceiptHasher::new(256, 1).unwrap();
        let receipt = hasher.issue();
        assert_eq!(receipt.code.len(), 28 + 6);
        let (locator, code) = parse_receipt(&receipt.code.to_lowercase()).unwrap();
        assert_eq!(locator, receipt.locator);
        assert!(hasher.verify(&code, Some(&receipt.hash)));
        let mut wrong = code.clone();
        wrong.replace_range(27.., if code.ends_with('0') { "1" } else { "0" });
        assert!(!hasher.verify(&wrong, Some(&receipt.hash)));
        assert!(!hasher.verify(&code, None));
        assert!(!receipt.hash.contains(&code[LOCATOR_LEN..]));
    }

    #[test]
    fn a_locator_gets_five_attempts_a_minute() {
        let attempts = Attempts::default();
        for _ in 0..ATTEMPTS_PER_MINUTE {
            assert!(attempts.take("ABCD1234").is_ok());
        }
        assert!(attempts.take("ABCD1234").is_err());
        assert!(attempts.take("ZZZZ9999").is_ok(), "another locator");
    }

    #[test]
    fn only_well_formed_codes_parse() {
        assert!(parse_receipt("").is_none());
        assert!(parse_receipt("ABCD-EFGH").is_none());
        assert!(parse_receipt("ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-234U").is_none());
        assert!(parse_receipt("ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345-6").is_none());
        let (_, code) = parse_receipt("abcd efgh jkmn pqrs tvwx yzo1 2345").unwrap();
        assert_eq!(code, "ABCDEFGHJKMNPQRSTVWXYZ012345");
    }
}
