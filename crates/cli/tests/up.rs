//! The `probity` binary as a user runs it: `probity up` in its own process,
//! probed and called through the CLI, then stopped with SIGTERM.

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

mod common;

use common::{PROBITY, Server, free_port, mode, probity};

#[test]
fn up_refuses_a_data_directory_others_can_read() {
    use std::os::unix::fs::PermissionsExt;
    let data = tempfile::tempdir().unwrap();
    std::fs::set_permissions(data.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = probity(&[
        "up",
        "--listen",
        &format!("127.0.0.1:{}", free_port()),
        "--data-dir",
        data.path().to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("open to other users"), "{said}");
    assert!(said.contains("chmod 700"), "{said}");
    assert!(!data.path().join("issuer.key").exists(), "nothing written");
}

#[test]
fn up_serves_answers_and_stops_on_sigterm() {
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    let data_dir = data.to_str().unwrap();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let addr = format!("http://{listen}");
    let child = Command::new(PROBITY)
        .args(["up", "--listen", &listen, "--data-dir", data_dir])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Server(child);

    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = probity(&["health", "--addr", &addr]);
        if out.status.success() {
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "SERVING");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "probity up did not become healthy"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // The data folder, made by `up`, is its owner's only, and so are the
    // key, the tokens and the databases.
    assert_eq!(mode(&data), 0o700);
    for file in [
        "issuer.key",
        "page.key",
        "audit.key",
        "dev-token",
        "dev-committee-token",
        "members.db",
        "study.db",
        "oversight.db",
    ] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    // The development token was left in the data folder; client commands
    // find it there by themselves.
    assert!(data.join("dev-token").exists());
    let out = probity(&["audit", "verify", "--addr", &addr, "--data-dir", data_dir]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("members audit chain intact: 0 entries"),
        "{said}"
    );
    assert!(
        said.contains("study audit chain intact: 0 entries"),
        "{said}"
    );
    assert!(
        said.contains("oversight audit chain intact: 0 entries"),
        "{said}"
    );
    // An inspector saves signed checkpoints, and later checks the logs
    // against them on their side; a file altered since is refused.
    let saved = parent.path().join("checkpoint.json");
    let out = probity(&[
        "audit",
        "checkpoint",
        "--addr",
        &addr,
        "--data-dir",
        data_dir,
        "--out",
        saved.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = probity(&[
        "audit",
        "verify",
        "--addr",
        &addr,
        "--data-dir",
        data_dir,
        "--checkpoint",
        saved.to_str().unwrap(),
    ]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("members audit log holds the saved checkpoint"),
        "{said}"
    );
    assert!(
        said.contains("study audit log holds the saved checkpoint"),
        "{said}"
    );
    assert!(
        said.contains("oversight audit log holds the saved checkpoint"),
        "{said}"
    );
    let forged = std::fs::read_to_string(&saved)
        .unwrap()
        .replacen("\"size\": 0", "\"size\": 5", 1);
    std::fs::write(&saved, forged).unwrap();
    let out = probity(&[
        "audit",
        "verify",
        "--addr",
        &addr,
        "--data-dir",
        data_dir,
        "--checkpoint",
        saved.to_str().unwrap(),
    ]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("DOES NOT HOLD the saved checkpoint: the signature does not match"),
        "{said}"
    );
    // Without a token anywhere, the command says so.
    let out = probity(&[
        "audit",
        "verify",
        "--addr",
        &addr,
        "--data-dir",
        "/nonexistent",
    ]);
    assert_eq!(out.status.code(), Some(2));

    // A token minted with the same key works for other callers.
    let out = probity(&[
        "token",
        "issue",
        "--sub",
        "auditor-1",
        "--agency",
        "thanh-tra",
        "--role",
        "auditor",
        "--scope",
        "*",
        "--data-dir",
        data_dir,
    ]);
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap();
    let out = probity(&["audit", "verify", "--addr", &addr, "--token", token.trim()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // SIGTERM: drain and exit 0.
    let status = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            assert!(status.success(), "exit status {status:?}");
            break;
        }
        assert!(Instant::now() < deadline, "did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = probity(&["health", "--addr", &addr, "--timeout-seconds", "1"]);
    assert!(!out.status.success(), "nothing answers after the stop");
}

#[test]
fn bad_configuration_fails_with_one_clear_line() {
    use std::os::unix::fs::PermissionsExt;
    let data = tempfile::tempdir().unwrap();
    std::fs::set_permissions(data.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let out = probity(&[
        "serve",
        "members",
        "--data-dir",
        data.path().to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no trusted public keys"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    let out = probity(&[
        "up",
        "--data-dir",
        data.path().to_str().unwrap(),
        "--database-url",
        "mysql://x/y",
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("must start with sqlite:// or postgres://")
    );
}

#[test]
fn up_with_tls_serves_mutual_tls_with_a_development_ca() {
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    let data_dir = data.to_str().unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let child = Command::new(PROBITY)
        .args(["up", "--tls", "--listen", &listen, "--data-dir", data_dir])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Server(child);
    let https = format!("https://{listen}");
    let deadline = Instant::now() + Duration::from_secs(60);
    // Client commands find the development CA and client certificate in
    // the data folder.
    while !probity(&["health", "--addr", &https, "--data-dir", data_dir])
        .status
        .success()
    {
        assert!(
            Instant::now() < deadline,
            "probity up --tls did not become healthy"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(mode(&data.join("tls/ca.key")), 0o600);
    assert_eq!(mode(&data.join("tls/client.key")), 0o600);
    let out = probity(&["audit", "verify", "--addr", &https, "--data-dir", data_dir]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Plaintext, or TLS without a client certificate, gets nowhere.
    let plain = format!("http://{listen}");
    assert!(
        !probity(&["health", "--addr", &plain, "--timeout-seconds", "2"])
            .status
            .success()
    );
    let ca = data.join("tls/ca.pem");
    let out = probity(&[
        "health",
        "--addr",
        &https,
        "--ca-file",
        ca.to_str().unwrap(),
        "--timeout-seconds",
        "2",
    ]);
    assert!(!out.status.success(), "no client certificate");

    // A new agency's certificate from the development CA works once made.
    let out_dir = parent.path().join("agency");
    let said = probity(&[
        "tls",
        "dev-client",
        "--agency",
        "thanh-tra-tinh",
        "--data-dir",
        data_dir,
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(
        said.status.success(),
        "{}",
        String::from_utf8_lossy(&said.stderr)
    );
    let cert = out_dir.join("thanh-tra-tinh.pem");
    let key = out_dir.join("thanh-tra-tinh.key");
    let issued = probity(&[
        "token",
        "issue",
        "--sub",
        "inspector",
        "--agency",
        "thanh-tra-tinh",
        "--role",
        "auditor",
        "--scope",
        "*",
        "--data-dir",
        data_dir,
    ]);
    let token = String::from_utf8(issued.stdout).unwrap();
    let verify = |agency_cert: &std::path::Path, agency_key: &std::path::Path| {
        probity(&[
            "audit",
            "verify",
            "--addr",
            &https,
            "--token",
            token.trim(),
            "--ca-file",
            ca.to_str().unwrap(),
            "--cert-file",
            agency_cert.to_str().unwrap(),
            "--key-file",
            agency_key.to_str().unwrap(),
        ])
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while !verify(&cert, &key).status.success() {
        assert!(Instant::now() < deadline, "the new agency was refused");
        std::thread::sleep(Duration::from_millis(200));
    }
    // Its token over the development agency's certificate: refused.
    let out = verify(&data.join("tls/client.pem"), &data.join("tls/client.key"));
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("agency of the client certificate"), "{said}");
}
