//! TLS files: what `serve` and `up` present, what they require of
//! clients, what study presents to members, what client commands trust;
//! and the development CA that `probity up --tls` makes.

use std::{path::PathBuf, process::ExitCode, sync::Arc};

use anyhow::{Context, bail};
use probity_platform::{
    client::ClientTls,
    tls::{DevCa, ServerTls, TlsFiles, fingerprints_of_pem, parse_agencies},
};

use crate::{
    config::{ClientArgs, ServeArgs, TlsArgs, TlsCommand},
    keys::{append_line, write_file, write_private},
};

/// The agency of `probity up`'s development client certificate and tokens.
pub const DEV_AGENCY: &str = "probity-dev";

/// The files of the development CA under `<data-dir>/tls`.
pub struct DevFiles {
    dir: PathBuf,
}

impl DevFiles {
    /// The development files under `data_dir`.
    pub fn new(data_dir: &std::path::Path) -> Self {
        Self {
            dir: data_dir.join("tls"),
        }
    }

    /// A file of the development set.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Creates the CA, the server certificate (also study's client
    /// certificate), a client certificate of the development agency and
    /// the agency table, unless the CA exists already.
    pub fn ensure(&self) -> anyhow::Result<()> {
        self.ensure_for(&[]).map(|_| ())
    }

    /// [`ensure`](Self::ensure), the server certificate also naming
    /// `hosts`; true when the set was made now.
    pub fn ensure_for(&self, hosts: &[String]) -> anyhow::Result<bool> {
        if self.path("ca.pem").exists() {
            return Ok(false);
        }
        let ca = DevCa::generate().map_err(anyhow::Error::msg)?;
        let mut names = vec!["localhost", "127.0.0.1", "::1"];
        names.extend(hosts.iter().map(String::as_str));
        let server = ca.server(&names).map_err(anyhow::Error::msg)?;
        let client = ca.client(DEV_AGENCY).map_err(anyhow::Error::msg)?;
        write_private(&self.path("ca.key"), &ca.key())?;
        write_private(&self.path("server.key"), &server.key)?;
        write_file(&self.path("server.pem"), &server.cert, 0o644)?;
        write_private(&self.path("client.key"), &client.key)?;
        write_file(&self.path("client.pem"), &client.cert, 0o644)?;
        write_file(
            &self.path("agencies"),
            &format!(
                "# SHA-256 fingerprint of a client certificate, then its agency (`*`: a Probity service).\n{} *\n{} {DEV_AGENCY}\n",
                server.fingerprint, client.fingerprint
            ),
            0o644,
        )?;
        // The CA last: its presence says the set is complete.
        write_file(&self.path("ca.pem"), ca.cert(), 0o644)?;
        Ok(true)
    }

    /// The server's TLS flags pointing at the development files.
    pub fn server_args(&self) -> TlsArgs {
        TlsArgs {
            tls_cert: Some(self.path("server.pem")),
            tls_key: Some(self.path("server.key")),
            tls_client_ca: Some(self.path("ca.pem")),
            tls_agencies: Some(self.path("agencies")),
            peer_ca: None,
            peer_cert: None,
            peer_key: None,
        }
    }
}

impl TlsArgs {
    /// True when the server is to speak TLS.
    pub fn enabled(&self) -> bool {
        self.tls_cert.is_some()
    }

    /// The server's TLS settings, if it speaks TLS.
    pub fn server(&self) -> anyhow::Result<Option<Arc<ServerTls>>> {
        let (cert, key) = match (&self.tls_cert, &self.tls_key) {
            (None, None) => {
                if self.tls_client_ca.is_some() || self.tls_agencies.is_some() {
                    bail!("--tls-client-ca and --tls-agencies need --tls-cert and --tls-key");
                }
                return Ok(None);
            }
            (Some(c), Some(k)) => (c.clone(), k.clone()),
            _ => bail!("--tls-cert and --tls-key go together"),
        };
        let files = TlsFiles {
            cert,
            key,
            client_ca: self.tls_client_ca.clone(),
            agencies: self.tls_agencies.clone(),
        };
        ServerTls::load(files)
            .map(|t| Some(Arc::new(t)))
            .map_err(anyhow::Error::msg)
    }

    /// What this service presents and trusts when it calls another over
    /// TLS: `--peer-*`, defaulting to its own certificate and the client CA.
    pub fn peer(&self) -> anyhow::Result<Option<ClientTls>> {
        let Some(ca) = self.peer_ca.as_ref().or(self.tls_client_ca.as_ref()) else {
            return Ok(None);
        };
        let cert = self.peer_cert.as_ref().or(self.tls_cert.as_ref());
        let key = self.peer_key.as_ref().or(self.tls_key.as_ref());
        ClientTls::from_files(ca, cert.map(|p| p.as_path()), key.map(|p| p.as_path()))
            .map(Some)
            .map_err(anyhow::Error::msg)
    }
}

impl ServeArgs {
    /// The scheme clients use to reach this server.
    pub fn scheme(&self) -> &'static str {
        if self.tls.enabled() { "https" } else { "http" }
    }
}

impl ClientArgs {
    /// An endpoint for `addr` with this client's TLS files: `--ca-file`
    /// and so on, or else the development set that `probity up --tls` left
    /// in the data folder.
    pub fn endpoint(&self, addr: &str) -> anyhow::Result<tonic::transport::Endpoint> {
        let dev = DevFiles::new(&self.data_dir);
        let tls = match &self.ca_file {
            Some(ca) => Some(
                ClientTls::from_files(ca, self.cert_file.as_deref(), self.key_file.as_deref())
                    .map_err(anyhow::Error::msg)?,
            ),
            None if addr.starts_with("https://") && dev.path("ca.pem").exists() => Some(
                ClientTls::from_files(
                    &dev.path("ca.pem"),
                    Some(&dev.path("client.pem")),
                    Some(&dev.path("client.key")),
                )
                .map_err(anyhow::Error::msg)?,
            ),
            None => None,
        };
        let timeout = std::time::Duration::from_secs(self.timeout_seconds);
        Ok(probity_platform::client::endpoint(addr, tls.as_ref())
            .map_err(anyhow::Error::msg)?
            .timeout(timeout)
            .connect_timeout(timeout))
    }
}

/// An agency as the table names it: one word, no `#`.
fn check_agency(agency: &str) -> anyhow::Result<()> {
    if agency.is_empty() || agency.contains(char::is_whitespace) || agency.contains('#') {
        bail!("an agency is one word without `#`");
    }
    Ok(())
}

/// Adds the certificate of fingerprint `print` to the agency table at
/// `agencies` as `agency`'s; refused when the table holds it already.
fn register(agencies: &std::path::Path, print: &str, agency: &str) -> anyhow::Result<()> {
    check_agency(agency)?;
    let table = std::fs::read_to_string(agencies).unwrap_or_default();
    if parse_agencies(&table)
        .map_err(|e| anyhow::anyhow!("{}: {e}", agencies.display()))?
        .contains_key(print)
    {
        bail!("{print} is in {} already", agencies.display());
    }
    append_line(agencies, table, &format!("{print} {agency}"))
}

/// `probity tls …`.
pub fn command(command: TlsCommand) -> anyhow::Result<ExitCode> {
    match command {
        TlsCommand::Fingerprint { cert } => {
            let pem =
                std::fs::read(&cert).with_context(|| format!("cannot read {}", cert.display()))?;
            for print in fingerprints_of_pem(&pem).map_err(anyhow::Error::msg)? {
                println!("{print}");
            }
        }
        TlsCommand::Register {
            agency,
            cert,
            agencies,
        } => {
            let pem =
                std::fs::read(&cert).with_context(|| format!("cannot read {}", cert.display()))?;
            let print = fingerprints_of_pem(&pem)
                .map_err(anyhow::Error::msg)?
                .remove(0);
            register(&agencies, &print, &agency)?;
            println!(
                "{print} registered to {agency} in {}; servers read it within seconds",
                agencies.display()
            );
        }
        TlsCommand::DevInit { hosts, data_dir } => {
            crate::data_dir::prepare(&data_dir)?;
            let dev = DevFiles::new(&data_dir);
            let made = dev.ensure_for(&hosts)?;
            println!(
                "development TLS set in {} ({}): ca.pem, server.pem for localhost{}, client.pem, agencies",
                dev.dir.display(),
                if made { "made" } else { "already there, kept" },
                hosts.iter().map(|h| format!(", {h}")).collect::<String>()
            );
        }
        TlsCommand::DevClient {
            agency,
            data_dir,
            out,
        } => {
            let dev = DevFiles::new(&data_dir);
            let read = |name: &str| {
                std::fs::read_to_string(dev.path(name)).with_context(|| {
                    format!(
                        "no development CA in {} (run `probity up --tls` once)",
                        dev.dir.display()
                    )
                })
            };
            let ca = DevCa::load(&read("ca.pem")?, &read("ca.key")?).map_err(anyhow::Error::msg)?;
            check_agency(&agency)?;
            let pair = ca.client(&agency).map_err(anyhow::Error::msg)?;
            let cert = out.join(format!("{agency}.pem"));
            write_file(&cert, &pair.cert, 0o644)?;
            write_private(&out.join(format!("{agency}.key")), &pair.key)?;
            register(&dev.path("agencies"), &pair.fingerprint, &agency)?;
            println!(
                "client certificate {} (key beside it) registered to {agency}; servers accept it within seconds",
                cert.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
