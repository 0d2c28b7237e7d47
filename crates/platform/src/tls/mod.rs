//! TLS and mutual TLS for servers, and the agency behind a client
//! certificate.
//!
//! A server with [`ServerTls`] speaks only TLS (HTTP/2 by ALPN). Given a
//! client CA bundle it requires a client certificate signed by it (mutual
//! TLS), and then the agency table decides who the certificate is: each
//! line names a certificate by its SHA-256 fingerprint and the agency it
//! belongs to, or `*` for a Probity service that forwards its callers'
//! tokens (study calling members). A certificate not in the table is
//! refused; a token whose agency differs from its certificate's is refused.
//! All files are read again when they change (a new certificate, a new
//! agency, a removed one) without a restart: new connections use them.

mod dev_ca;

pub use dev_ca::{DevCa, Pair};

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, RwLock},
    time::SystemTime,
};

use rustls_pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use sha2::{Digest, Sha256};
use tokio_rustls::{
    TlsAcceptor,
    rustls::{self, server::WebPkiClientVerifier},
};

/// Where a server's TLS material is.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The server's certificate chain (PEM).
    pub cert: PathBuf,
    /// The server's private key (PEM).
    pub key: PathBuf,
    /// CA certificates (PEM) whose client certificates are accepted;
    /// setting it makes client certificates required.
    pub client_ca: Option<PathBuf>,
    /// The agency table (required with a client CA): lines of
    /// `<sha256 fingerprint> <agency>`, `*` for a Probity service; `#`
    /// starts a comment.
    pub agencies: Option<PathBuf>,
}

/// Who a client certificate stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// An agency: tokens presented over this certificate must be its.
    Agency(String),
    /// A Probity service, which forwards its callers' tokens of any agency.
    Service,
}

/// The configuration in force.
struct Loaded {
    acceptor: TlsAcceptor,
    agencies: HashMap<String, Holder>,
}

/// A server's TLS settings, reloadable.
pub struct ServerTls {
    files: TlsFiles,
    current: RwLock<Arc<Loaded>>,
    seen: Mutex<Vec<Option<SystemTime>>>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("files", &self.files)
            .finish()
    }
}

/// The SHA-256 fingerprint of a certificate, lowercase hex.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The fingerprint of each certificate in a PEM text.
pub fn fingerprints_of_pem(pem: &[u8]) -> Result<Vec<String>, String> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("not PEM certificates: {e}"))?;
    if certs.is_empty() {
        return Err("no certificate in the PEM text".into());
    }
    Ok(certs.iter().map(|c| fingerprint(c)).collect())
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate", path.display()));
    }
    Ok(certs)
}

/// Reads an agency table.
pub fn parse_agencies(text: &str) -> Result<HashMap<String, Holder>, String> {
    let mut table = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let (Some(print), Some(agency), None) = (words.next(), words.next(), words.next()) else {
            return Err(format!(
                "line {}: expected `<sha256 fingerprint> <agency>`",
                n + 1
            ));
        };
        let print = print.replace(':', "").to_ascii_lowercase();
        if print.len() != 64 || !print.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "line {}: a fingerprint is 64 hex digits (SHA-256)",
                n + 1
            ));
        }
        let holder = match agency {
            "*" => Holder::Service,
            a => Holder::Agency(a.to_string()),
        };
        table.insert(print, holder);
    }
    Ok(table)
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl ServerTls {
    /// Reads `files` now; an error names the file and what is wrong.
    pub fn load(files: TlsFiles) -> Result<Self, String> {
        if files.client_ca.is_some() != files.agencies.is_some() {
            return Err(
                "a client CA and an agency table go together: the table says whose each client certificate is"
                    .into(),
            );
        }
        let loaded = Self::read(&files)?;
        let seen = Self::stamps(&files);
        Ok(Self {
            files,
            current: RwLock::new(Arc::new(loaded)),
            seen: Mutex::new(seen),
        })
    }

    fn paths(files: &TlsFiles) -> Vec<&Path> {
        let mut out = vec![files.cert.as_path(), files.key.as_path()];
        out.extend(files.client_ca.as_deref());
        out.extend(files.agencies.as_deref());
        out
    }

    fn stamps(files: &TlsFiles) -> Vec<Option<SystemTime>> {
        Self::paths(files).into_iter().map(modified).collect()
    }

    fn read(files: &TlsFiles) -> Result<Loaded, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let chain = read_certs(&files.cert)?;
        let key = PrivateKeyDer::from_pem_file(&files.key)
            .map_err(|e| format!("{}: {e}", files.key.display()))?;
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?;
        let builder = match &files.client_ca {
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                for cert in read_certs(ca)? {
                    roots
                        .add(cert)
                        .map_err(|e| format!("{}: {e}", ca.display()))?;
                }
                let verifier = WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .build()
                    .map_err(|e| format!("{}: {e}", ca.display()))?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = builder
            .with_single_cert(chain, key)
            .map_err(|e| format!("{}: {e}", files.cert.display()))?;
        config.alpn_protocols = vec![b"h2".to_vec()];
        let agencies = match &files.agencies {
            Some(path) => parse_agencies(
                &std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?,
            )
            .map_err(|e| format!("{}: {e}", path.display()))?,
            None => HashMap::new(),
        };
        Ok(Loaded {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            agencies,
        })
    }

    /// Reads the files again if any changed; true when it did. On an error
    /// the last good configuration stays in force.
    pub fn reload(&self) -> Result<bool, String> {
        let now = Self::stamps(&self.files);
        if *self.seen.lock().unwrap_or_else(|p| p.into_inner()) == now {
            return Ok(false);
        }
        let loaded = Self::read(&self.files);
        // Remember the times even on failure: a broken file is reported
        // once, not every round.
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = now;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(loaded?);
        Ok(true)
    }

    fn current(&self) -> Arc<Loaded> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The acceptor for a new connection.
    pub fn acceptor(&self) -> TlsAcceptor {
        self.current().acceptor.clone()
    }

    /// True when client certificates are required.
    pub fn mutual(&self) -> bool {
        self.files.client_ca.is_some()
    }

    /// Who the client certificate `der` stands for, if the table knows it.
    pub fn holder(&self, der: &[u8]) -> Option<Holder> {
        self.current().agencies.get(&fingerprint(der)).cloned()
    }

    /// Under mutual TLS, whether a token of `agency` may be presented over
    /// a connection with client certificate `cert`: the certificate must be
    /// in the agency table, and the agency its own (a Probity service's
    /// certificate carries tokens of any agency). Without mutual TLS, yes.
    /// The holder when it is known (mutual TLS).
    pub fn admit(&self, cert: Option<&[u8]>, agency: &str) -> Result<Option<Holder>, &'static str> {
        if !self.mutual() {
            return Ok(None);
        }
        let cert = cert.ok_or("a client certificate is required")?;
        match self.holder(cert) {
            None => Err("the client certificate is not registered to an agency"),
            Some(Holder::Service) => Ok(Some(Holder::Service)),
            Some(Holder::Agency(a)) if a == agency => Ok(Some(Holder::Agency(a))),
            Some(Holder::Agency(_)) => {
                Err("the token's agency is not the agency of the client certificate")
            }
        }
    }
}

/// How long a client may take to complete its TLS handshake.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A task that stops when this is dropped.
pub struct AcceptTask(tokio::task::JoinHandle<()>);

impl Drop for AcceptTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The TLS streams of the connections accepted on `listener`: each
/// handshake runs in its own task (a slow client holds up no other) and
/// must finish within 10 s; failed ones are logged at debug and dropped.
/// Sockets get `TCP_NODELAY`. The returned task accepts until dropped.
pub fn incoming(
    listener: tokio::net::TcpListener,
    tls: Arc<ServerTls>,
) -> (
    tokio_stream::wrappers::ReceiverStream<
        Result<tokio_rustls::server::TlsStream<tokio::net::TcpStream>, std::io::Error>,
    >,
    AcceptTask,
) {
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let task = tokio::spawn(async move {
        loop {
            let (socket, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            if tx.is_closed() {
                return;
            }
            let _ = socket.set_nodelay(true);
            let acceptor = tls.acceptor();
            let tx = tx.clone();
            tokio::spawn(async move {
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(socket)).await {
                    Ok(Ok(stream)) => {
                        let _ = tx.send(Ok(stream)).await;
                    }
                    Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                }
            });
        }
    });
    (
        tokio_stream::wrappers::ReceiverStream::new(rx),
        AcceptTask(task),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agency_table_reads_fingerprints_with_or_without_colons() {
        let hex = "ab".repeat(32);
        let colons = vec!["CD"; 32].join(":");
        let table = parse_agencies(&format!(
            "# agencies\n{hex} ban-to-chuc\n\n{colons}   *  # study\n"
        ))
        .unwrap();
        assert_eq!(table[&hex], Holder::Agency("ban-to-chuc".into()));
        assert_eq!(table[&"cd".repeat(32)], Holder::Service);
        assert!(parse_agencies("abc agency").is_err());
        assert!(parse_agencies(&hex).is_err());
        assert!(parse_agencies(&format!("{hex} a b")).is_err());
    }
}
