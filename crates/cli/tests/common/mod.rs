//! What the tests of the `probity` binary share: running it, a server
//! child that is killed when dropped, a free port, file modes.

#![allow(dead_code)]

use std::{
    net::TcpListener,
    process::{Child, Command},
};

/// The binary under test.
pub const PROBITY: &str = env!("CARGO_BIN_EXE_probity");

/// A loopback port nobody listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `probity` server process, killed when dropped.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `probity args…` to the end, without a token from the environment.
pub fn probity(args: &[&str]) -> std::process::Output {
    Command::new(PROBITY)
        .args(args)
        .env_remove("PROBITY_TOKEN")
        .output()
        .expect("run probity")
}

/// The permission bits of `path`.
pub fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Waits (60 s at most) for `probity up` to leave its development token in
/// `data`, and returns it, trimmed.
pub async fn dev_token(data: &std::path::Path) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !data.join("dev-token").exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "probity up did not start"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    std::fs::read_to_string(data.join("dev-token"))
        .unwrap()
        .trim()
        .to_string()
}

/// `probity up` on a free loopback port with its data in `data`, output
/// discarded, waited for (60 s at most) until its health check answers
/// SERVING: the server (killed when dropped) and its address.
pub async fn up(data: &std::path::Path) -> (Server, String) {
    let listen = format!("127.0.0.1:{}", free_port());
    let addr = format!("http://{listen}");
    let server = Server(
        Command::new(PROBITY)
            .args(["up", "--listen", &listen, "--data-dir"])
            .arg(data)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start probity up"),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !probity(&["health", "--addr", &addr]).status.success() {
        assert!(
            std::time::Instant::now() < deadline,
            "probity up did not start"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    (server, addr)
}
