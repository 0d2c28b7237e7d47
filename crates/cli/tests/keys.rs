//! Token keys as an operator handles them: `probity keys init` makes a
//! key pair; a server started with `probity serve` holds only the public
//! half; `keys rotate` adds a key without a restart; `token revoke` takes
//! a token out within seconds; a token longer-lived than the server allows
//! is refused.

use std::{
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

mod common;

use common::{PROBITY, Server, free_port, probity};

fn ok(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn private_dir(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).unwrap();
}

/// `audit verify` with `token`: Ok, or the refusal's text.
fn verify_with(addr: &str, token: &str) -> Result<(), String> {
    let out = probity(&["audit", "verify", "--addr", addr, "--token", token]);
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Issues an auditor token with the issuer key in `issuer_dir`; the token
/// and its id.
fn issue(issuer_dir: &str, hours: &str) -> (String, String) {
    let out = probity(&[
        "token",
        "issue",
        "--sub",
        "inspector-1",
        "--agency",
        "uy-ban-kiem-tra",
        "--role",
        "auditor",
        "--scope",
        "*",
        "--hours",
        hours,
        "--data-dir",
        issuer_dir,
    ]);
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    let token = ok(out).trim().to_string();
    let jti = said
        .split("token id (jti) ")
        .nth(1)
        .and_then(|r| r.split(';').next())
        .expect("the id on stderr")
        .to_string();
    (token, jti)
}

/// Waits up to 20 s for `check` to hold.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_server_with_public_keys_only_rotates_and_revokes_without_a_restart() {
    let root = tempfile::tempdir().unwrap();
    let issuer_dir = root.path().join("issuer");
    private_dir(&issuer_dir);
    let issuer = issuer_dir.to_str().unwrap();
    let said = ok(probity(&["keys", "init", "--data-dir", issuer]));
    assert!(said.contains("kid"), "{said}");
    // A second init keeps the key.
    let again = ok(probity(&["keys", "init", "--data-dir", issuer]));
    assert_eq!(said, again);

    // The server's folder gets the public keys and the revocation list,
    // never the private key.
    let server_dir = root.path().join("server");
    private_dir(&server_dir);
    let jwks = issuer_dir.join("jwks.json");
    let revoked = issuer_dir.join("revoked-tokens");
    let listen = format!("127.0.0.1:{}", free_port());
    let addr = format!("http://{listen}");
    let child = Command::new(PROBITY)
        .args([
            "serve",
            "members",
            "--listen",
            &listen,
            "--data-dir",
            server_dir.to_str().unwrap(),
            "--jwks-file",
            jwks.to_str().unwrap(),
            "--revoked-file",
            revoked.to_str().unwrap(),
            "--max-token-hours",
            "4",
        ])
        .env("PROBITY_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Server(child);
    eventually("serve members did not become healthy", || {
        probity(&["health", "--addr", &addr]).status.success()
    });
    assert!(!server_dir.join("issuer.key").exists());

    let (first, first_id) = issue(issuer, "2");
    verify_with(&addr, &first).expect("a token of the trusted key");

    // Longer than the server allows (4 h): refused.
    let long = issue(issuer, "8").0;
    let refused = verify_with(&addr, &long).unwrap_err();
    assert!(
        refused.contains("longer than this server allows"),
        "{refused}"
    );

    // Rotation: the new key's tokens work once the server rereads the
    // JWKS; the old key's still do.
    let said = ok(probity(&["keys", "rotate", "--data-dir", issuer]));
    assert!(said.contains("new issuer key"), "{said}");
    let (second, _) = issue(issuer, "2");
    eventually("the rotated key was not picked up", || {
        verify_with(&addr, &second).is_ok()
    });
    verify_with(&addr, &first).expect("the old key still trusted");

    // Revocation by id: the first token is refused within seconds, the
    // second is not.
    ok(probity(&[
        "token",
        "revoke",
        &first_id,
        "--data-dir",
        issuer,
    ]));
    eventually("the revoked token was still accepted", || {
        verify_with(&addr, &first).is_err_and(|e| e.contains("revoked"))
    });
    verify_with(&addr, &second).expect("another token unaffected");
}

#[test]
fn token_issue_refuses_scopes_that_are_not_resource_names() {
    let out = probity(&[
        "token", "issue", "--sub", "x", "--agency", "a", "--scope", "12345",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("organizations/{id}"), "{said}");
}
