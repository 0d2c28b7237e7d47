//! Key files: the issuer's private key (only `token issue` and `up` read
//! it), the JWKS of trusted public keys and the revocation list (servers
//! read them, again when they change), and the page-token key.

use std::{path::Path, process::ExitCode, sync::Arc};

use anyhow::{Context, bail};
use probity_platform::{
    auth::{Claims, Issuer, TokenRules, TrustFiles, Verifier},
    pagination::PageKey,
};

use crate::config::{KeyArgs, KeysCommand};

/// Writes `text` to `path`, readable by its owner only.
pub fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    write_file(path, text, 0o600)
}

/// Writes `text` to `path` with `mode` (public files: 0644).
pub fn write_file(path: &Path, text: &str, mode: u32) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // Written beside and renamed over: a server rereading the file sees
    // the old contents or the new, never half of them.
    let mut staged = path.as_os_str().to_owned();
    staged.push(".new");
    let staged = std::path::PathBuf::from(staged);
    std::fs::write(&staged, text).with_context(|| format!("cannot write {}", staged.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot set the mode of {}", staged.display()))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    std::fs::rename(&staged, path).with_context(|| format!("cannot write {}", path.display()))
}

/// Writes `text` (the file's current contents) with `line` added at the
/// end, to `path` (a public file: 0644).
pub fn append_line(path: &Path, mut text: String, line: &str) -> anyhow::Result<()> {
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(line);
    text.push('\n');
    write_file(path, &text, 0o644)
}

/// The issuer key at its configured place.
pub fn read_issuer(args: &KeyArgs) -> anyhow::Result<Issuer> {
    let path = args.issuer_key();
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "no issuer key at {} (run `probity keys init`, or set --issuer-key-file / PROBITY_ISSUER_KEY_FILE)",
            path.display()
        )
    })?;
    Issuer::from_pem(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// The JWKS document at `path` as JSON (an empty set when missing).
fn read_jwks(path: &Path) -> anyhow::Result<serde_json::Value> {
    if !path.exists() {
        return Ok(serde_json::json!({ "keys": [] }));
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    if !doc["keys"].is_array() {
        bail!("{} is not a JWKS document (no `keys` list)", path.display());
    }
    Ok(doc)
}

/// Adds `keys` to the JWKS file, skipping key ids it already holds;
/// how many were added.
fn add_to_jwks(path: &Path, keys: &[serde_json::Value]) -> anyhow::Result<usize> {
    let mut doc = read_jwks(path)?;
    let list = doc["keys"]
        .as_array_mut()
        .unwrap_or_else(|| unreachable!("checked by read_jwks"));
    let mut added = 0;
    for key in keys {
        let Some(kid) = key["kid"].as_str() else {
            bail!("every key to trust needs a `kid`");
        };
        if list.iter().all(|k| k["kid"].as_str() != Some(kid)) {
            list.push(key.clone());
            added += 1;
        }
    }
    let text = serde_json::to_string_pretty(&doc)?;
    // Check before writing: a file the servers could not read would keep
    // them on the old keys.
    Verifier::from_jwks(&text, TokenRules::default())
        .map_err(|e| anyhow::anyhow!("the keys are not usable: {e}"))?;
    write_file(path, &text, 0o644)?;
    Ok(added)
}

/// Creates the key files that are missing; the issuer key.
pub fn ensure(args: &KeyArgs) -> anyhow::Result<Issuer> {
    let issuer = if args.issuer_key().exists() {
        read_issuer(args)?
    } else {
        let issuer = Issuer::generate();
        write_private(&args.issuer_key(), &issuer.to_pem())?;
        issuer
    };
    add_to_jwks(&args.jwks(), &[issuer.jwk()])?;
    if !args.page_key().exists() {
        write_private(&args.page_key(), &PageKey::generate_text())?;
    }
    if !args.audit_key().exists() {
        write_private(&args.audit_key(), &Issuer::generate().to_pem())?;
    }
    if !args.revoked().exists() {
        write_file(
            &args.revoked(),
            "# Revoked token ids (jti), one a line.\n",
            0o644,
        )?;
    }
    Ok(issuer)
}

/// The verifier of a server: the JWKS and revocation files under `rules`.
pub fn verifier(args: &KeyArgs, rules: TokenRules) -> anyhow::Result<Arc<Verifier>> {
    let jwks = args.jwks();
    if !jwks.exists() {
        bail!(
            "no trusted public keys at {} (run `probity keys init`, or give --jwks-file with your issuers' keys)",
            jwks.display()
        );
    }
    let files = TrustFiles {
        jwks,
        revoked: Some(args.revoked()),
    };
    Verifier::from_files(files, rules)
        .map(Arc::new)
        .map_err(anyhow::Error::msg)
}

/// The page key: from its file when one is given or exists, else a random
/// one for this process (logged).
pub fn page_key(args: &KeyArgs) -> anyhow::Result<PageKey> {
    let path = args.page_key();
    if args.page_key_file.is_none() && !path.exists() {
        tracing::info!("no page key file: page tokens are sealed with a key of this process only");
        return Ok(PageKey::generate());
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the page key {}", path.display()))?;
    PageKey::from_text(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// The key that signs audit checkpoints: from its file when one is given
/// or exists, else none (logged: checkpoints are then refused).
pub fn audit_key(args: &KeyArgs) -> anyhow::Result<Option<Issuer>> {
    let path = args.audit_key();
    if args.audit_key_file.is_none() && !path.exists() {
        tracing::info!(
            "no audit key file: audit checkpoints are not signed (run `probity keys init`)"
        );
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the audit key {}", path.display()))?;
    Issuer::from_pem(&text)
        .map(Some)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// `probity keys …`.
pub fn command(command: KeysCommand) -> anyhow::Result<ExitCode> {
    match command {
        KeysCommand::Init { key } => {
            crate::data_dir::prepare(&key.data_dir)?;
            let issuer = ensure(&key)?;
            println!(
                "issuer key {} (kid {})",
                key.issuer_key().display(),
                issuer.kid()
            );
            println!("trusted public keys {}", key.jwks().display());
            println!("page key {}", key.page_key().display());
            println!("audit checkpoint key {}", key.audit_key().display());
            println!("revocation list {}", key.revoked().display());
            probity_oversight::KeyRing::load_or_create(&key.vault_keys())
                .map_err(anyhow::Error::msg)?;
            println!(
                "whistleblower identity vault keys {}",
                key.vault_keys().display()
            );
        }
        KeysCommand::Rotate { key } => {
            let old = read_issuer(&key)?;
            let new = Issuer::generate();
            add_to_jwks(&key.jwks(), &[new.jwk()])?;
            write_private(&key.issuer_key(), &new.to_pem())?;
            println!("new issuer key: kid {}", new.kid());
            println!(
                "tokens of the old key (kid {}) stay valid while its public key is in {}; remove it there once they have expired",
                old.kid(),
                key.jwks().display()
            );
        }
        KeysCommand::Trust { jwks, key } => {
            let other = read_jwks(&jwks)?;
            let keys = other["keys"].as_array().cloned().unwrap_or_default();
            let added = add_to_jwks(&key.jwks(), &keys)?;
            println!(
                "{added} key(s) added to {}; accept their issuer with --token-issuer",
                key.jwks().display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `probity token issue`: signs a token and prints it, or writes it to
/// `out` (owner-only).
pub fn issue(key: &KeyArgs, mut claims: Claims, out: Option<&Path>) -> anyhow::Result<ExitCode> {
    let issuer = read_issuer(key)?;
    claims.nbf = Some(claims.iat);
    let token = issuer.sign(&claims);
    match out {
        Some(path) => {
            write_private(path, &format!("{token}\n"))?;
            eprintln!("token written to {}", path.display());
        }
        None => println!("{token}"),
    }
    eprintln!(
        "token id (jti) {}; valid until {} (Unix seconds)",
        claims.jti, claims.exp
    );
    Ok(ExitCode::SUCCESS)
}

/// `probity token revoke`: adds a token id to the revocation list.
pub fn revoke(key: &KeyArgs, jti: &str) -> anyhow::Result<ExitCode> {
    let jti = jti.trim();
    if jti.is_empty() || jti.contains(char::is_whitespace) || jti.contains('#') {
        bail!("a token id has no spaces and no `#`");
    }
    let path = key.revoked();
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    if text.lines().any(|l| l.trim() == jti) {
        println!("{jti} was already revoked");
        return Ok(ExitCode::SUCCESS);
    }
    append_line(&path, text, jti)?;
    println!(
        "{jti} revoked in {}; servers refuse it once they reread the list (seconds)",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}
