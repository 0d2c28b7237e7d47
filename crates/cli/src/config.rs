//! Command-line flags and their environment variables. Every setting has a
//! default that works out of the box on one machine.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Probity: corruption-prevention records for a provincial Party committee.
#[derive(Debug, Parser)]
#[command(name = "probity", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs every service in one process on one port, with embedded SQLite.
    Up(ServeArgs),
    /// Runs one service alone.
    Serve {
        /// Which service.
        service: ServiceName,
        /// Server settings.
        #[command(flatten)]
        args: ServeArgs,
    },
    /// Asks a server for its health; exits 0 only when it is SERVING.
    Health {
        /// Client settings.
        #[command(flatten)]
        client: ClientArgs,
        /// A service name to ask about (default: the whole server).
        #[arg(long, default_value = "")]
        service: String,
    },
    /// Token commands.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Key commands: the issuer key, trusted public keys, the page key.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// TLS commands: fingerprints, the agency table, development
    /// certificates.
    #[command(subcommand)]
    Tls(TlsCommand),
    /// Audit-log commands.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Demonstration data, made through the public API.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Imports the spreadsheets clerks keep (CSV or XLSX) through the
    /// public API: `examples/` has a sample of each.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Period reports: issue one, list them, check one again, write one
    /// out as HTML or CSV.
    #[command(subcommand)]
    Report(ReportCommand),
}

/// Report subcommands, continued: checks and submissions.
#[derive(Debug, Args)]
pub struct PeriodArgs {
    /// The organisation, `organizations/{id}`.
    #[arg(long, value_parser = organization_name)]
    pub organization: String,
    /// First day of the period, `YYYY-MM-DD`.
    #[arg(long)]
    pub from: Option<String>,
    /// Last day of the period, `YYYY-MM-DD`.
    #[arg(long)]
    pub to: Option<String>,
    /// Client settings.
    #[command(flatten)]
    pub client: ClientArgs,
}

/// Report subcommands (the reports service; a token with the
/// `steering-committee` role issues and verifies, a reader reads).
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Issues the period report of an organisation: every figure read from
    /// members, study and oversight as of a date, stored with its
    /// provenance. Prints the report's name and digest; with `--out`, also
    /// writes `report.vi.html`, `report.en.html` and `report.csv` there.
    Issue {
        /// The organisation, `organizations/{id}`.
        #[arg(long, value_parser = organization_name)]
        organization: String,
        /// First day of the period, `YYYY-MM-DD`.
        #[arg(long)]
        from: String,
        /// Last day of the period, `YYYY-MM-DD`.
        #[arg(long)]
        to: String,
        /// The date figures are taken as of (default: the period's end, or
        /// today).
        #[arg(long)]
        as_of: Option<String>,
        /// A folder to write the rendered report to.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Client settings.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Submits an issued report to the committee above its organisation;
    /// prints the deadline and whether it is late.
    Submit {
        /// The report, `reports/{id}`.
        report: String,
        /// Client settings.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// The units under an organisation and what each submitted for a
    /// period (`--from` and `--to` required): on time, late, missing, not
    /// due.
    Submissions(PeriodArgs),
    /// Checks what the services record of one another over an
    /// organisation's subtree (plan rosters, attendance after expulsions,
    /// applied expulsions, case subjects); plans issued from `--from` to
    /// `--to` when given. Exits 1 when a mismatch is found.
    Check(PeriodArgs),
    /// Lists issued reports, newest first.
    List {
        /// Only reports on this organisation.
        #[arg(long, value_parser = organization_name)]
        organization: Option<String>,
        /// Client settings.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Reads a report's inputs again as of its date and says, figure by
    /// figure, whether they still give the value issued, naming the input
    /// behind any that changed. Exits 0 only when nothing changed.
    Verify {
        /// The report, `reports/{id}`.
        report: String,
        /// Client settings.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Writes a report as HTML (Vietnamese or English), CSV, or PDF (the
    /// HTML printed by Debian's headless Chromium: `apt-get install
    /// chromium`, or `PROBITY_CHROMIUM` naming another binary).
    Render {
        /// The report, `reports/{id}`.
        report: String,
        /// `vi` or `en`.
        #[arg(long, default_value = "vi")]
        lang: String,
        /// `html`, `csv` or `pdf`.
        #[arg(long, default_value = "html")]
        format: String,
        /// The file to write (default: the name the server gives, here).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Client settings.
        #[command(flatten)]
        client: ClientArgs,
    },
}

/// Import subcommands.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Members: full_name, date_of_birth, gender, party_card_number,
    /// organization_code, admission_date, official_date, position, status
    /// (or their Vietnamese headings: Họ và tên, Ngày sinh, …). A member
    /// already recorded (same card, name and date of birth) is skipped.
    Members(ImportArgs),
    /// Organisations: code, display_name, kind, parent_code, valid_from
    /// (or Mã tổ chức, Tên tổ chức, Cấp, Mã cấp trên, Ngày thành lập),
    /// created parents first. One already recorded is skipped.
    Organizations(ImportArgs),
}

/// What to import and how.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The sheet: `.csv` (UTF-8, `,` or `;`) or `.xlsx` (its first sheet).
    pub file: PathBuf,
    /// Check every row against the server and write the error report, but
    /// create nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Resolve organisation codes under this organisation
    /// (`organizations/{id}`) only: for a caller whose scope is a subtree.
    /// Default: under every root the caller may see.
    #[arg(long, value_parser = organization_name)]
    pub under: Option<String>,
    /// Members per batch call.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub batch: u16,
    /// Client settings.
    #[command(flatten)]
    pub client: ClientArgs,
}

/// Demonstration subcommands.
#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Generates a province (organisations, members, heads) and, with
    /// `--year`, a year of books and reviews, on a running server.
    GenerateProvince {
        /// Client settings.
        #[command(flatten)]
        client: ClientArgs,
        /// Token of the review committee that decides the year's grades
        /// (another caller than `--token`, who proposes them). Default:
        /// `PROBITY_COMMITTEE_TOKEN`, else the one `probity up` left in
        /// the data folder.
        #[arg(long, env = "PROBITY_COMMITTEE_TOKEN", hide_env_values = true)]
        committee_token: Option<String>,
        /// Members to create.
        #[arg(long, default_value_t = 33_000)]
        members: usize,
        /// Districts.
        #[arg(long, default_value_t = 9)]
        districts: usize,
        /// Organisation code prefix; must be new on that server.
        #[arg(long, default_value = "TN")]
        code: String,
        /// First party card number (consecutive numbers follow).
        #[arg(long, default_value_t = 10_000_000)]
        first_card: u64,
        /// Also record this (finished) year of books and reviews.
        #[arg(long)]
        year: Option<i32>,
    },
    /// Loads the source document's scenario: a province of 33,000 members
    /// and plan 31-KH/TU of 30/11/2016 with its classes, attendance,
    /// non-members, learning reports and supervision, then prints the
    /// plan's progress (317 classes, 32,560/32,986 = 98.71%, 5,873
    /// non-members), the period's oversight, and issues the province's
    /// period report (30/6/2016 to 31/3/2021), writing `report.vi.html`,
    /// `report.en.html` and `report.csv` to `--data-dir`. Run it on an
    /// empty server; a second run records nothing new (the report issued
    /// first is written out again).
    SeedScenario {
        /// Client settings (`--addr` is the members service).
        #[command(flatten)]
        client: ClientArgs,
        /// The study service, when it runs apart from members. Default:
        /// `--addr`.
        #[arg(long, env = "PROBITY_STUDY_ADDR")]
        study_addr: Option<String>,
        /// The oversight service, when it runs apart from members.
        /// Default: `--addr`.
        #[arg(long, env = "PROBITY_OVERSIGHT_ADDR")]
        oversight_addr: Option<String>,
        /// The reports service, when it runs apart from members. Default:
        /// `--addr`.
        #[arg(long, env = "PROBITY_REPORTS_ADDR")]
        reports_addr: Option<String>,
    },
}

/// Audit-log subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Re-computes the audit hash chain of every service the server runs;
    /// with `--checkpoint`, also lists each log and checks on this side that
    /// it still holds the saved checkpoint. Exits 0 only when all hold.
    /// Needs a token with the `auditor` (or `admin`) role.
    Verify {
        /// A file written by `probity audit checkpoint`.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// Client settings.
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Saves every service's signed audit checkpoint (size, head hash,
    /// time, signature) to a file, for `verify --checkpoint` later.
    Checkpoint {
        /// Where to write the checkpoints (JSON).
        #[arg(long)]
        out: PathBuf,
        /// Client settings.
        #[command(flatten)]
        client: ClientArgs,
    },
}

/// The services that can be served alone.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ServiceName {
    /// Member records: organisations, members, books, reviews, declarations.
    Members,
    /// Study sessions: documents, plans, classes, attendance, reports.
    Study,
    /// Case oversight: cases and their clock, agencies, sectors.
    Oversight,
    /// Period reports, read from the other three.
    Reports,
}

/// Token subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Prints a token for a caller, signed with the issuer key (the token
    /// on stdout; its id and expiry on stderr).
    Issue {
        /// The caller (token subject).
        #[arg(long)]
        sub: String,
        /// The caller's agency; under mutual TLS it must be the agency of
        /// the certificate the caller connects with.
        #[arg(long)]
        agency: String,
        /// A role (repeat): reader, writer, review-committee,
        /// declaration-control, document-registrar, case-officer, steering-committee, auditor, admin
        /// (`docs/security.md` says what each may do).
        #[arg(long = "role", default_value = "reader", value_parser = role_name)]
        roles: Vec<String>,
        /// An organisation whose subtree the caller may touch, by resource
        /// name `organizations/{id}` (repeat); `*` for all.
        #[arg(long = "scope", value_parser = scope_entry)]
        scope: Vec<String>,
        /// Validity in hours, 1 to 12 (servers refuse longer by default).
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(i64).range(1..=12))]
        hours: i64,
        /// The issuer name (`iss`) servers must trust.
        #[arg(long, default_value = probity_platform::auth::DEFAULT_ISSUER)]
        issuer: String,
        /// Write the token to this file (owner-only) instead of printing it:
        /// a service's own token (`--service-token-file`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Key settings.
        #[command(flatten)]
        key: KeyArgs,
    },
    /// Revokes a token by its id (`jti`): adds it to the revocation list,
    /// which servers read again within seconds.
    Revoke {
        /// The token id, as `token issue` printed it.
        jti: String,
        /// Key settings.
        #[command(flatten)]
        key: KeyArgs,
    },
}

/// TLS subcommands.
#[derive(Debug, Subcommand)]
pub enum TlsCommand {
    /// Prints the SHA-256 fingerprint of each certificate in a PEM file:
    /// what the agency table names a client certificate by.
    Fingerprint {
        /// The certificate (PEM).
        cert: PathBuf,
    },
    /// Registers an agency's client certificate in an agency table; servers
    /// accept it (for tokens of that agency) within seconds.
    Register {
        /// The agency the certificate belongs to (`*`: a Probity service
        /// that forwards its callers' tokens).
        #[arg(long)]
        agency: String,
        /// The agency table.
        #[arg(long, env = "PROBITY_TLS_AGENCIES")]
        agencies: PathBuf,
        /// The client certificate (PEM).
        cert: PathBuf,
    },
    /// Makes the development TLS set under `<data-dir>/tls` unless it
    /// exists: a CA, one server certificate for `localhost`, 127.0.0.1 and
    /// every `--host` (each service presents it, also when it calls
    /// another), a client certificate of the development agency, and the
    /// agency table. For a deployment of several hosts (the compose file's
    /// `certs` service); `probity up --tls` makes the same for itself.
    DevInit {
        /// A host name the services are reached by (repeat): `members`, …
        #[arg(long = "host")]
        hosts: Vec<String>,
        /// Data folder to write `tls/` under.
        #[arg(long, env = "PROBITY_DATA_DIR", default_value = "./data")]
        data_dir: PathBuf,
    },
    /// Makes a client certificate for `agency` with the development CA of
    /// `probity up --tls`, and registers it.
    DevClient {
        /// The agency.
        #[arg(long)]
        agency: String,
        /// Data folder holding the development CA (`tls/`).
        #[arg(long, env = "PROBITY_DATA_DIR", default_value = "./data")]
        data_dir: PathBuf,
        /// Folder to write `<agency>.pem` and `<agency>.key` to.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
}

/// TLS settings of a server.
#[derive(Debug, Clone, Default, Args)]
pub struct TlsArgs {
    /// The server's certificate chain (PEM); with `--tls-key` the server
    /// speaks TLS only. Reread when it changes.
    #[arg(long, env = "PROBITY_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// The server's private key (PEM).
    #[arg(long, env = "PROBITY_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// CA certificates (PEM) of client certificates: makes them required
    /// (mutual TLS). Needs `--tls-agencies`.
    #[arg(long, env = "PROBITY_TLS_CLIENT_CA")]
    pub tls_client_ca: Option<PathBuf>,
    /// The agency table: `<sha256 fingerprint> <agency>` a line (`*` for a
    /// Probity service); a client certificate not in it is refused, and a
    /// token of another agency than its certificate's too.
    #[arg(long, env = "PROBITY_TLS_AGENCIES")]
    pub tls_agencies: Option<PathBuf>,
    /// The CA of the services this one calls (study: members). Default:
    /// `--tls-client-ca`.
    #[arg(long, env = "PROBITY_PEER_CA")]
    pub peer_ca: Option<PathBuf>,
    /// The certificate this service presents when it calls another.
    /// Default: `--tls-cert`.
    #[arg(long, env = "PROBITY_PEER_CERT")]
    pub peer_cert: Option<PathBuf>,
    /// The key of `--peer-cert`. Default: `--tls-key`.
    #[arg(long, env = "PROBITY_PEER_KEY")]
    pub peer_key: Option<PathBuf>,
}

/// Key subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Creates what is missing of: the issuer's private key, the JWKS file
    /// of trusted public keys (with the issuer's), the page-token key and
    /// an empty revocation list. Existing files are kept.
    Init {
        /// Key settings.
        #[command(flatten)]
        key: KeyArgs,
    },
    /// Makes a new issuer key and adds its public half to the JWKS file
    /// beside the old ones, so tokens of both are accepted; remove the old
    /// key from the JWKS once its last tokens have expired.
    Rotate {
        /// Key settings.
        #[command(flatten)]
        key: KeyArgs,
    },
    /// Adds the public keys of another issuer (an agency's identity
    /// provider) from its JWKS file to the trusted JWKS file.
    Trust {
        /// The other issuer's JWKS file.
        jwks: PathBuf,
        /// Key settings.
        #[command(flatten)]
        key: KeyArgs,
    },
}

/// Where the key files are.
#[derive(Debug, Clone, Args)]
pub struct KeyArgs {
    /// Data folder: SQLite files, keys, development tokens.
    #[arg(long, env = "PROBITY_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// The issuer's private key (Ed25519, PKCS#8 PEM), which only `token
    /// issue` reads. Default: `<data-dir>/issuer.key`.
    #[arg(long, env = "PROBITY_ISSUER_KEY_FILE")]
    pub issuer_key_file: Option<PathBuf>,
    /// The public keys servers trust (a JWKS document), read again when it
    /// changes. Default: `<data-dir>/jwks.json`.
    #[arg(long, env = "PROBITY_JWKS_FILE")]
    pub jwks_file: Option<PathBuf>,
    /// Revoked token ids, one a line, read again when it changes. Default:
    /// `<data-dir>/revoked-tokens`.
    #[arg(long, env = "PROBITY_REVOKED_FILE")]
    pub revoked_file: Option<PathBuf>,
    /// The key that seals page tokens (32 bytes, base64url), shared by the
    /// replicas of a service. Default: `<data-dir>/page.key` when it
    /// exists, else a random key per process.
    #[arg(long, env = "PROBITY_PAGE_KEY_FILE")]
    pub page_key_file: Option<PathBuf>,
    /// The key that signs audit checkpoints (Ed25519, PKCS#8 PEM), shared
    /// by the replicas of a service. Default: `<data-dir>/audit.key` when
    /// it exists (`probity keys init` makes it), else no checkpoints.
    #[arg(long, env = "PROBITY_AUDIT_KEY_FILE")]
    pub audit_key_file: Option<PathBuf>,
    /// Oversight's identity vault: the key-encryption keys that wrap each
    /// whistleblower identity's own key, one `<id> <base64 of 32 bytes>` a
    /// line, the current one first (rotate: add a new first line, call
    /// ProtectionService.RewrapIdentities, drop the old line). Keep it
    /// apart from the database and its backups. Default:
    /// `<data-dir>/vault.keys`, made with a fresh key when missing.
    #[arg(long, env = "PROBITY_VAULT_KEY_FILE")]
    pub vault_key_file: Option<PathBuf>,
}

impl KeyArgs {
    fn or_default(&self, file: &Option<PathBuf>, name: &str) -> PathBuf {
        file.clone().unwrap_or_else(|| self.data_dir.join(name))
    }

    /// The identity vault's key file.
    pub fn vault_keys(&self) -> PathBuf {
        self.or_default(&self.vault_key_file, "vault.keys")
    }

    /// The issuer's private key file.
    pub fn issuer_key(&self) -> PathBuf {
        self.or_default(&self.issuer_key_file, "issuer.key")
    }

    /// The trusted JWKS file.
    pub fn jwks(&self) -> PathBuf {
        self.or_default(&self.jwks_file, "jwks.json")
    }

    /// The revocation list.
    pub fn revoked(&self) -> PathBuf {
        self.or_default(&self.revoked_file, "revoked-tokens")
    }

    /// The page key file.
    pub fn page_key(&self) -> PathBuf {
        self.or_default(&self.page_key_file, "page.key")
    }

    /// The audit checkpoint key file.
    pub fn audit_key(&self) -> PathBuf {
        self.or_default(&self.audit_key_file, "audit.key")
    }
}

/// What a token must satisfy on this server.
#[derive(Debug, Clone, Args)]
pub struct TokenRulesArgs {
    /// An issuer (`iss`) whose tokens are accepted (repeat, or a comma list).
    #[arg(long = "token-issuer", env = "PROBITY_TOKEN_ISSUERS", value_delimiter = ',', default_value = probity_platform::auth::DEFAULT_ISSUER)]
    pub issuers: Vec<String>,
    /// The audience (`aud`) a token must name.
    #[arg(long = "token-audience", env = "PROBITY_TOKEN_AUDIENCE", default_value = probity_platform::auth::DEFAULT_AUDIENCE)]
    pub audience: String,
    /// The longest validity a token may have, in hours.
    #[arg(long = "max-token-hours", env = "PROBITY_MAX_TOKEN_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=168))]
    pub max_hours: u64,
}

impl TokenRulesArgs {
    /// The rules for the verifier.
    pub fn rules(&self) -> probity_platform::auth::TokenRules {
        probity_platform::auth::TokenRules {
            issuers: self.issuers.clone(),
            audience: self.audience.clone(),
            max_lifetime: std::time::Duration::from_secs(self.max_hours * 3600),
            ..Default::default()
        }
    }
}

/// Server settings.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "PROBITY_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    /// Key settings.
    #[command(flatten)]
    pub key: KeyArgs,
    /// Token rules.
    #[command(flatten)]
    pub tokens: TokenRulesArgs,
    /// TLS settings.
    #[command(flatten)]
    pub tls: TlsArgs,
    /// `probity up` only: serve mutual TLS with a development CA, server
    /// and client certificates made under `<data-dir>/tls` (kept across
    /// runs), and print how to call it.
    #[arg(long = "tls")]
    pub dev_tls: bool,
    /// Database URL. Default: SQLite files `<data-dir>/<service>.db`. A
    /// `postgres://` URL puts each service in its own schema of that
    /// database.
    #[arg(long, env = "PROBITY_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Connections per service database pool.
    #[arg(long, env = "PROBITY_DB_MAX_CONNECTIONS", default_value_t = 8)]
    pub db_max_connections: u32,
    /// SQLite page cache per connection, in MiB: a service's database
    /// keeps at most `--db-max-connections` × this in memory.
    #[arg(long, env = "PROBITY_DB_CACHE_MIB", default_value_t = probity_platform::db::DEFAULT_SQLITE_CACHE_KIB / 1024, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub db_cache_mib: u32,
    /// Largest request or response message, in bytes.
    #[arg(long, env = "PROBITY_MAX_MESSAGE_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_message_bytes: usize,
    /// Seconds to keep serving (reporting NOT_SERVING) after a stop signal.
    #[arg(long, env = "PROBITY_SHUTDOWN_GRACE_SECONDS", default_value_t = 0)]
    pub shutdown_grace_seconds: u64,
    /// Seconds in-flight calls may take to finish before they are cut off.
    #[arg(long, env = "PROBITY_DRAIN_SECONDS", default_value_t = 10)]
    pub drain_seconds: u64,
    /// Business calls in progress at once; one more is refused at once
    /// (RESOURCE_EXHAUSTED, OVERLOADED).
    #[arg(long, env = "PROBITY_MAX_CALLS", default_value_t = probity_platform::server::DEFAULT_MAX_CALLS_IN_PROGRESS)]
    pub max_calls_in_progress: usize,
    /// Calls one connection may have open at once (HTTP/2 streams).
    #[arg(long, env = "PROBITY_STREAMS_PER_CONNECTION", default_value_t = probity_platform::admission::DEFAULT_STREAMS_PER_CONNECTION)]
    pub streams_per_connection: u32,
    /// Per-agency rates, calls a second (bursts twice as large), for reads,
    /// writes, bulk imports and server streams; 0 for no limit.
    #[arg(long, env = "PROBITY_RATES", value_delimiter = ',', num_args = 4, default_values_t = probity_platform::admission::DEFAULT_RATES, value_names = ["READS", "WRITES", "BULK", "STREAMS"])]
    pub rates: Vec<u32>,
    /// Calls a second one source address may make to the methods open
    /// without a token (a whistleblower following a report up by receipt
    /// code), and the burst it may make after a quiet spell; 0 for no
    /// limit. Each receipt code also gets 5 attempts a minute, always.
    #[arg(long, env = "PROBITY_OPEN_RATE", value_delimiter = ',', num_args = 2, default_values_t = [probity_platform::admission::DEFAULT_OPEN_RATE, probity_platform::admission::DEFAULT_OPEN_BURST], value_names = ["PER_SECOND", "BURST"])]
    pub open_rate: Vec<u32>,
    /// Seconds a client stream may send nothing before it is ended.
    #[arg(long, env = "PROBITY_STREAM_IDLE_SECONDS", default_value_t = probity_platform::admission::DEFAULT_STREAM_IDLE_SECONDS)]
    pub stream_idle_seconds: u64,
    /// Where study, oversight and reports reach the members service
    /// (`http://host:port`). Required by `serve study`, `serve oversight`
    /// and `serve reports`; `probity up` uses its own address.
    #[arg(long, env = "PROBITY_MEMBERS_URL")]
    pub members_url: Option<String>,
    /// Where members reaches the oversight service (`http://host:port`),
    /// for the disciplinary decisions a review decision is capped by. Without
    /// it `serve members` answers such decisions UNAVAILABLE (never "not
    /// disciplined"); required by `serve reports`; `probity up` uses its
    /// own address.
    #[arg(long, env = "PROBITY_OVERSIGHT_URL")]
    pub oversight_url: Option<String>,
    /// Where members reaches the study service (`http://host:port`), for
    /// the study facts a review's evidence shows. Without it `serve
    /// members` shows none; required by `serve reports`; `probity up` uses
    /// its own address.
    #[arg(long, env = "PROBITY_STUDY_URL")]
    pub study_url: Option<String>,
    /// A file holding oversight's own token for members (subject
    /// `service:oversight`, role `writer`), read again at every delivery so
    /// it can be rotated: oversight applies expulsions and removals from
    /// post with it. Without it those decisions stay pending in `serve
    /// oversight`; `probity up` mints one.
    #[arg(long, env = "PROBITY_SERVICE_TOKEN_FILE")]
    pub service_token_file: Option<std::path::PathBuf>,
    /// Serve plaintext gRPC on an address other than loopback: tokens and
    /// records then cross the network in clear. Without it (or TLS) such
    /// an address is refused.
    #[arg(long, env = "PROBITY_INSECURE")]
    pub insecure: bool,
    /// Where to serve metrics (`GET /metrics`, Prometheus' text format):
    /// calls by method and code, latency, calls in flight and shed, pool
    /// use, job queues. Unauthenticated: bind it where only the scraper
    /// reaches. Default: none.
    #[arg(long, env = "PROBITY_METRICS_LISTEN")]
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// A PostgreSQL hot standby of `--database-url` (streaming
    /// replication): list, progress and statistics reads go there while it
    /// is within `--read-max-lag-ms` of the primary, and to the primary
    /// otherwise (and for a caller's reads right after its own writes).
    #[arg(long, env = "PROBITY_READ_DATABASE_URL", hide_env_values = true)]
    pub read_database_url: Option<String>,
    /// How far behind the primary the read replica may be and still be read.
    #[arg(long, env = "PROBITY_READ_MAX_LAG_MS", default_value_t = 1000)]
    pub read_max_lag_ms: u64,
    /// Export traces (OpenTelemetry, OTLP over gRPC) to this collector,
    /// e.g. `http://127.0.0.1:4317`: a span per call named by its method,
    /// joined to the caller's `traceparent` and carried into the services
    /// this one calls. Batching follows the `OTEL_BSP_*` variables.
    /// Default: none (a `traceparent` that comes in is still passed on).
    #[arg(long, env = "PROBITY_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
    /// How log lines are written on standard error: `text` (coloured only
    /// on a terminal) or `json` (one object a line, for a log collector).
    /// Which lines: `PROBITY_LOG` (e.g. `info`, `probity_members=debug`).
    #[arg(long, env = "PROBITY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object a line.
    Json,
}

impl From<LogFormat> for probity_platform::logging::LogFormat {
    fn from(format: LogFormat) -> Self {
        match format {
            LogFormat::Text => Self::Text,
            LogFormat::Json => Self::Json,
        }
    }
}

impl ServeArgs {
    /// The admission settings of these flags (deadlines: the defaults).
    pub fn admission(&self) -> probity_platform::admission::Admission {
        let mut rates = [0; 4];
        for (slot, rate) in rates.iter_mut().zip(&self.rates) {
            *slot = *rate;
        }
        let mut admission = probity_platform::admission::Admission {
            streams_per_connection: self.streams_per_connection,
            stream_idle: std::time::Duration::from_secs(self.stream_idle_seconds),
            ..Default::default()
        }
        .with_rates(rates);
        if let [per_second, burst] = self.open_rate[..] {
            admission.open.per_second = per_second;
            admission.open.burst = burst;
        }
        admission
    }

    /// Refuses plaintext on a non-loopback address unless `--insecure`
    /// was given (and then warns).
    pub fn check_exposure(&self) -> Result<(), String> {
        if self.listen.ip().is_loopback() || self.tls.enabled() || self.dev_tls {
            return Ok(());
        }
        if !self.insecure {
            return Err(format!(
                "{} is reachable from other machines and Probity would speak plaintext gRPC there: tokens, member records and declarations would cross the network in clear; give --tls-cert and --tls-key, listen on 127.0.0.1, or pass --insecure to accept that",
                self.listen
            ));
        }
        tracing::warn!(listen = %self.listen, "serving plaintext gRPC beyond loopback (--insecure)");
        Ok(())
    }
}

/// Client settings shared by every client command.
#[derive(Debug, Clone, Args)]
pub struct ClientArgs {
    /// Server address.
    #[arg(long, env = "PROBITY_ADDR", default_value = "http://127.0.0.1:50051")]
    pub addr: String,
    /// Bearer token. Default: `PROBITY_TOKEN`, else the development token
    /// that `probity up` left in the data folder.
    #[arg(long, env = "PROBITY_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Data folder where `probity up` left its development token.
    #[arg(long, env = "PROBITY_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Seconds to wait for an answer.
    #[arg(long, default_value_t = 5)]
    pub timeout_seconds: u64,
    /// The CA of the server's certificate (PEM), for an `https://` address.
    /// Default: the development CA of `probity up --tls` in the data folder.
    #[arg(long, env = "PROBITY_CA_FILE")]
    pub ca_file: Option<PathBuf>,
    /// This client's certificate (PEM), for mutual TLS.
    #[arg(long, env = "PROBITY_CERT_FILE")]
    pub cert_file: Option<PathBuf>,
    /// The key of `--cert-file` (PEM).
    #[arg(long, env = "PROBITY_KEY_FILE")]
    pub key_file: Option<PathBuf>,
}

impl ClientArgs {
    /// The token to send, if any can be found.
    pub fn resolve_token(&self) -> Option<String> {
        self.token.clone().or_else(|| {
            std::fs::read_to_string(self.data_dir.join("dev-token"))
                .ok()
                .map(|t| t.trim().to_string())
        })
    }
}

/// An organisation's resource name, `organizations/{id}`.
fn organization_name(name: &str) -> Result<String, String> {
    match scope_entry(name) {
        Ok(n) if n != "*" => Ok(n),
        _ => Err("an organisation is named `organizations/{id}`, as the API names it".into()),
    }
}

/// A scope entry: `*` or `organizations/{id}`.
fn scope_entry(entry: &str) -> Result<String, String> {
    let ok = entry == "*"
        || entry
            .strip_prefix("organizations/")
            .is_some_and(|id| !id.is_empty() && !id.contains('/'));
    if ok {
        Ok(entry.to_string())
    } else {
        Err("a scope is `organizations/{id}` (as the API names it) or `*`".into())
    }
}

/// A role name a token may carry; anything else is refused with the list.
fn role_name(name: &str) -> Result<String, String> {
    probity_platform::policy::Role::parse(name)
        .map(|r| r.as_str().to_string())
        .ok_or_else(|| {
            let known: Vec<&str> = probity_platform::policy::Role::ALL
                .iter()
                .map(|r| r.as_str())
                .collect();
            format!("unknown role; one of: {}", known.join(", "))
        })
}
