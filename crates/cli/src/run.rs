//! What each subcommand does.

use std::{process::ExitCode, time::Duration};

use anyhow::{Context, bail};
use probity_platform::{
    Database,
    auth::{Claims, ROLE_ADMIN},
    server::{ServerBuilder, ServerConfig, shutdown_signal},
};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

use crate::{
    config::{
        AuditCommand, Cli, ClientArgs, Command, DemoCommand, ServeArgs, ServiceName, TokenCommand,
    },
    keys::write_private,
};

/// Runs the command; `Err` is a one-line failure (exit 2).
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Up(args) => up(args).await,
        Command::Serve { service, args } => serve(service, args).await,
        Command::Health { client, service } => health(client, service).await,
        Command::Audit(AuditCommand::Verify { client, checkpoint }) => {
            crate::audit::verify(client, checkpoint.as_deref()).await
        }
        Command::Audit(AuditCommand::Checkpoint { client, out }) => {
            crate::audit::save_checkpoint(client, &out).await
        }
        Command::Demo(DemoCommand::GenerateProvince {
            client,
            committee_token,
            members,
            districts,
            code,
            first_card,
            year,
        }) => {
            let spec = probity_demo::ProvinceSpec {
                members,
                districts,
                code,
                first_card,
                ..Default::default()
            };
            generate(client, committee_token, spec, year).await
        }
        Command::Demo(DemoCommand::SeedScenario {
            client,
            study_addr,
            oversight_addr,
            reports_addr,
        }) => seed(client, study_addr, oversight_addr, reports_addr).await,
        Command::Import(command) => crate::import::command(command).await,
        Command::Report(command) => crate::report::command(command).await,
        Command::Token(TokenCommand::Issue {
            sub,
            agency,
            roles,
            scope,
            hours,
            issuer,
            out,
            key,
        }) => {
            let now = probity_platform::Clock::system().now_seconds();
            let roles: Vec<&str> = roles.iter().map(String::as_str).collect();
            let scope: Vec<&str> = scope.iter().map(String::as_str).collect();
            let mut claims = Claims::new(&sub, &agency, &roles, &scope, now, hours * 3600);
            claims.iss = issuer;
            crate::keys::issue(&key, claims, out.as_deref())
        }
        Command::Token(TokenCommand::Revoke { jti, key }) => crate::keys::revoke(&key, &jti),
        Command::Keys(command) => crate::keys::command(command),
        Command::Tls(command) => crate::tls::command(command),
    }
}

/// The file in the data folder holding `probity up`'s development token
/// of the review committee (decisions of grades).
const COMMITTEE_TOKEN_FILE: &str = "dev-committee-token";

/// Installs logging from `PROBITY_LOG` (or `RUST_LOG`), default `info`,
/// written as `format`.
/// With `--otlp-endpoint`, spans are exported with `service.name`
/// `service` (`probity`, `probity-members`, …) until the
/// returned guard is dropped.
fn init_tracing(
    args: &ServeArgs,
    service: &str,
) -> anyhow::Result<Option<probity_platform::telemetry::Tracing>> {
    let filter = std::env::var("PROBITY_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".into());
    let otlp = args
        .otlp_endpoint
        .as_ref()
        .map(|endpoint| probity_platform::telemetry::Otlp {
            endpoint: endpoint.clone(),
            service: service.to_string(),
        });
    probity_platform::logging::init_with(&filter, args.log_format.into(), otlp.as_ref())
        .map_err(|e| anyhow::anyhow!(e))
}

/// The server settings of `args`: token trust from the key files, the
/// page key, sizes and timings.
fn server_config(args: &ServeArgs) -> anyhow::Result<ServerConfig> {
    let verifier = crate::keys::verifier(&args.key, args.tokens.rules())?;
    let mut config = ServerConfig::new(verifier);
    config.metrics_listen = args.metrics_listen;
    config.page_key = crate::keys::page_key(&args.key)?;
    config.audit_key = crate::keys::audit_key(&args.key)?.map(std::sync::Arc::new);
    config.tls = args.tls.server()?;
    config.max_calls_in_progress = args.max_calls_in_progress;
    config.admission = args.admission();
    config.max_message_bytes = args.max_message_bytes;
    config.shutdown_grace = Duration::from_secs(args.shutdown_grace_seconds);
    config.drain_deadline = Duration::from_secs(args.drain_seconds);
    Ok(config)
}

/// The database URL of `service` under these settings.
fn database_url(args: &ServeArgs, service: &str) -> anyhow::Result<String> {
    match &args.database_url {
        None => Ok(format!(
            "sqlite://{}/{service}.db",
            args.key.data_dir.display()
        )),
        Some(url) if url.starts_with("postgres") => Ok(url.clone()),
        Some(url) if url.starts_with("sqlite:") => Ok(url.clone()),
        Some(_) => bail!("--database-url must start with sqlite:// or postgres://"),
    }
}

/// Oversight's options: its identity for members, and the identity
/// vault's keys from their file (made with a fresh key when missing).
fn oversight_options(
    args: &ServeArgs,
    service: Option<probity_oversight::MembersAsService>,
) -> anyhow::Result<probity_oversight::Options> {
    let vault_keys = probity_oversight::KeyRing::load_or_create(&args.key.vault_keys())
        .map_err(anyhow::Error::msg)?;
    Ok(probity_oversight::Options {
        service,
        vault_keys,
        receipts: probity_oversight::ReceiptHasher::default(),
    })
}

async fn open(args: &ServeArgs, service: &str, schema: &str) -> anyhow::Result<Database> {
    let url = database_url(args, service)?;
    let db = Database::connect_with_cache(
        &url,
        schema,
        args.db_max_connections,
        args.db_cache_mib * 1024,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    if args.database_url.is_none() {
        crate::data_dir::restrict_database(&args.key.data_dir.join(format!("{service}.db")))?;
    }
    let db = match &args.read_database_url {
        Some(read) => db
            .with_read_replica(
                read,
                std::time::Duration::from_millis(args.read_max_lag_ms),
                args.db_max_connections,
            )
            .await
            .map_err(|e| anyhow::anyhow!("--read-database-url: {e}"))?,
        None => db,
    };
    Ok(db)
}

async fn up(mut args: ServeArgs) -> anyhow::Result<ExitCode> {
    let _tracing = init_tracing(&args, "probity")?;
    if args
        .database_url
        .as_deref()
        .is_some_and(|u| u.starts_with("sqlite:"))
    {
        bail!(
            "`probity up` keeps one SQLite file per service under --data-dir; give --database-url only for PostgreSQL"
        );
    }
    args.check_exposure().map_err(anyhow::Error::msg)?;
    crate::data_dir::prepare(&args.key.data_dir)?;
    let dev_tls = crate::tls::DevFiles::new(&args.key.data_dir);
    if args.dev_tls {
        if args.tls.enabled() {
            bail!("--tls makes development certificates; give it or --tls-cert, not both");
        }
        dev_tls.ensure()?;
        args.tls = dev_tls.server_args();
    }
    let issuer = crate::keys::ensure(&args.key)?;
    // Development tokens for as long as the server allows, minted afresh
    // at every start.
    let now = probity_platform::Clock::system().now_seconds();
    let lifetime = args.tokens.rules().max_lifetime.as_secs() as i64;
    let dev = |sub: &str, role: &str| {
        let mut claims = Claims::new(sub, crate::tls::DEV_AGENCY, &[role], &["*"], now, lifetime);
        claims.iss = args.tokens.issuers.first().cloned().unwrap_or_default();
        claims.aud = vec![args.tokens.audience.clone()];
        issuer.sign(&claims)
    };
    let token = dev("dev-admin", ROLE_ADMIN);
    let token_file = args.key.data_dir.join("dev-token");
    write_private(&token_file, &token)?;
    // The review committee decides grades; the admin who proposes may not
    // (separation of duties), so the demo's decisions need a second caller.
    let committee = dev(
        "dev-committee",
        probity_platform::policy::Role::ReviewCommittee.as_str(),
    );
    write_private(&args.key.data_dir.join(COMMITTEE_TOKEN_FILE), &committee)?;

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    // Study reaches members through members' gRPC API, here at this same
    // server's address.
    let own = if addr.ip().is_unspecified() {
        std::net::SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    };
    let scheme = args.scheme();
    let peer_tls = args.tls.peer()?;
    let peer =
        probity_study::MembersPeer::connect_lazy(&format!("{scheme}://{own}"), peer_tls.as_ref())
            .map_err(|e| anyhow::anyhow!(e))?;

    // Oversight's own identity for members: a development token of
    // `service:oversight`, minted afresh for every delivery.
    let service_token = {
        let issuer = issuer.clone();
        let iss = args.tokens.issuers.first().cloned().unwrap_or_default();
        let aud = args.tokens.audience.clone();
        move || {
            let now = probity_platform::Clock::system().now_seconds();
            let mut claims = Claims::new(
                "service:oversight",
                crate::tls::DEV_AGENCY,
                &[probity_platform::policy::Role::Writer.as_str()],
                &["*"],
                now,
                3600,
            );
            claims.iss = iss.clone();
            claims.aud = vec![aud.clone()];
            Ok::<String, String>(issuer.sign(&claims))
        }
    };
    let own_url = format!("{scheme}://{own}");
    let service = probity_oversight::MembersAsService::connect_lazy(
        &own_url,
        peer_tls.as_ref(),
        service_token,
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    let oversight_peer =
        probity_members::peers::OversightPeer::connect_lazy(&own_url, peer_tls.as_ref())
            .map_err(|e| anyhow::anyhow!(e))?;
    let study_peer = probity_members::peers::StudyPeer::connect_lazy(&own_url, peer_tls.as_ref())
        .map_err(|e| anyhow::anyhow!(e))?;

    let mut server = ServerBuilder::new(server_config(&args)?);
    let members = open(&args, "members", probity_members::SCHEMA).await?;
    probity_members::register_with(
        &mut server,
        members,
        probity_members::peers::Peers {
            discipline: std::sync::Arc::new(oversight_peer),
            study: std::sync::Arc::new(study_peer),
        },
    )?;
    let study = open(&args, "study", probity_study::SCHEMA).await?;
    probity_study::register(&mut server, study, peer.clone())?;
    let oversight = open(&args, "oversight", probity_oversight::SCHEMA).await?;
    probity_oversight::register_with(
        &mut server,
        oversight,
        peer.clone(),
        oversight_options(&args, Some(service))?,
    )?;
    let sources =
        probity_reports::SourcesPeer::connect_lazy(&own_url, &own_url, &own_url, peer_tls.as_ref())
            .map_err(|e| anyhow::anyhow!(e))?;
    let reports = open(&args, "reports", probity_reports::SCHEMA).await?;
    probity_reports::register(&mut server, reports, peer, sources)?;

    println!("Probity is up on {scheme}://{addr} (members, study, oversight, reports)");
    println!("Data: {}", args.key.data_dir.display());
    println!(
        "Development admin token (also in {}):",
        token_file.display()
    );
    println!("{token}");
    if args.dev_tls {
        let file = |name: &str| dev_tls.path(name).display().to_string();
        println!("Mutual TLS with the development CA; call it with:");
        println!(
            "  grpcurl -cacert {} -cert {} -key {} -H \"authorization: Bearer $(cat {})\" {own} list",
            file("ca.pem"),
            file("client.pem"),
            file("client.key"),
            token_file.display()
        );
        println!(
            "  buf curl --protocol grpc --cacert {} --cert {} --key {} -H \"authorization: Bearer $(cat {})\" --list-methods https://{own}",
            file("ca.pem"),
            file("client.pem"),
            file("client.key"),
            token_file.display()
        );
    }
    server
        .serve(listener, shutdown_signal())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(service: ServiceName, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let name = format!("probity-{}", format!("{service:?}").to_lowercase());
    let _tracing = init_tracing(&args, &name)?;
    args.check_exposure().map_err(anyhow::Error::msg)?;
    if args.database_url.is_none() {
        crate::data_dir::prepare(&args.key.data_dir)?;
    }
    let mut server = ServerBuilder::new(server_config(&args)?);
    match service {
        ServiceName::Members => {
            let oversight = match args.oversight_url.as_deref() {
                Some(url) => probity_members::peers::OversightPeer::connect_lazy(
                    url,
                    args.tls.peer()?.as_ref(),
                )
                .map_err(|e| anyhow::anyhow!(e))?,
                None => {
                    tracing::warn!(
                        "no --oversight-url: review decisions will be refused UNAVAILABLE, as disciplinary decisions cannot be read"
                    );
                    probity_members::peers::OversightPeer::deferred()
                }
            };
            let study: std::sync::Arc<dyn probity_members::peers::StudyRecords> = match args
                .study_url
                .as_deref()
            {
                Some(url) => std::sync::Arc::new(
                    probity_members::peers::StudyPeer::connect_lazy(url, args.tls.peer()?.as_ref())
                        .map_err(|e| anyhow::anyhow!(e))?,
                ),
                None => {
                    tracing::warn!("no --study-url: review evidence shows no study facts");
                    std::sync::Arc::new(probity_members::peers::NoRecords)
                }
            };
            let db = open(&args, "members", probity_members::SCHEMA).await?;
            probity_members::register_with(
                &mut server,
                db,
                probity_members::peers::Peers {
                    discipline: std::sync::Arc::new(oversight),
                    study,
                },
            )?;
        }
        ServiceName::Study => {
            let Some(url) = args.members_url.as_deref() else {
                bail!(
                    "`serve study` needs --members-url (or PROBITY_MEMBERS_URL): where the members service is"
                );
            };
            let peer_tls = args.tls.peer()?;
            let peer = probity_study::MembersPeer::connect_lazy(url, peer_tls.as_ref())
                .map_err(|e| anyhow::anyhow!(e))?;
            let db = open(&args, "study", probity_study::SCHEMA).await?;
            probity_study::register(&mut server, db, peer)?;
        }
        ServiceName::Oversight => {
            let Some(url) = args.members_url.as_deref() else {
                bail!(
                    "`serve oversight` needs --members-url (or PROBITY_MEMBERS_URL): where the members service is"
                );
            };
            let peer_tls = args.tls.peer()?;
            let peer = probity_oversight::MembersPeer::connect_lazy(url, peer_tls.as_ref())
                .map_err(|e| anyhow::anyhow!(e))?;
            let service = match &args.service_token_file {
                Some(file) => Some(
                    probity_oversight::MembersAsService::connect_lazy(
                        url,
                        peer_tls.as_ref(),
                        probity_oversight::TokenFile(file.clone()),
                    )
                    .map_err(|e| anyhow::anyhow!(e))?,
                ),
                None => {
                    tracing::warn!(
                        "no --service-token-file: expulsions and removals from post stay pending, not applied in members"
                    );
                    None
                }
            };
            let db = open(&args, "oversight", probity_oversight::SCHEMA).await?;
            probity_oversight::register_with(
                &mut server,
                db,
                peer,
                oversight_options(&args, service)?,
            )?;
        }
        ServiceName::Reports => {
            let (Some(members), Some(study), Some(oversight)) = (
                args.members_url.as_deref(),
                args.study_url.as_deref(),
                args.oversight_url.as_deref(),
            ) else {
                bail!(
                    "`serve reports` needs --members-url, --study-url and --oversight-url (or PROBITY_MEMBERS_URL, PROBITY_STUDY_URL, PROBITY_OVERSIGHT_URL): where the services it reads are"
                );
            };
            let peer_tls = args.tls.peer()?;
            let peer = probity_reports::MembersPeer::connect_lazy(members, peer_tls.as_ref())
                .map_err(|e| anyhow::anyhow!(e))?;
            let sources = probity_reports::SourcesPeer::connect_lazy(
                members,
                study,
                oversight,
                peer_tls.as_ref(),
            )
            .map_err(|e| anyhow::anyhow!(e))?;
            let db = open(&args, "reports", probity_reports::SCHEMA).await?;
            probity_reports::register(&mut server, db, peer, sources)?;
        }
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    tracing::info!(addr = %listener.local_addr()?, ?service, "listening");
    server
        .serve(listener, shutdown_signal())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// Connects to `--addr`; `None` (after saying why) when it cannot.
async fn connect(client: &ClientArgs) -> anyhow::Result<Option<tonic::transport::Channel>> {
    let channel = client.endpoint(&client.addr)?.connect().await;
    match channel {
        Ok(c) => Ok(Some(c)),
        Err(e) => {
            eprintln!("probity: cannot reach {}: {e}", client.addr);
            Ok(None)
        }
    }
}

/// A channel to `addr` with the client's token.
pub(crate) fn authed(
    client: &ClientArgs,
    addr: &str,
) -> anyhow::Result<probity_platform::client::Authed> {
    let Some(token) = client.resolve_token() else {
        bail!(
            "no token: give --token, set PROBITY_TOKEN, or run `probity up` with the same --data-dir"
        );
    };
    let channel = client.endpoint(addr)?.connect_lazy();
    probity_platform::client::with_token(channel, &token).context("the token is not ASCII")
}

async fn seed(
    client: ClientArgs,
    study_addr: Option<String>,
    oversight_addr: Option<String>,
    reports_addr: Option<String>,
) -> anyhow::Result<ExitCode> {
    use probity_proto::probity::study::v1::{
        GetPlanProgressRequest, plan_service_client::PlanServiceClient,
    };
    let members = authed(&client, &client.addr)?;
    let study = authed(&client, study_addr.as_deref().unwrap_or(&client.addr))?;
    let tally = probity_demo::Tally::default();
    let outcome = crate::progress::watching(
        &tally,
        probity_demo::seed_scenario_tallied(members.clone(), study.clone(), &tally),
    )
    .await?;
    let oversight = authed(&client, oversight_addr.as_deref().unwrap_or(&client.addr))?;
    let cases = probity_demo::seed_oversight(members, oversight, &outcome.province).await?;
    println!(
        "loaded: province {} ({} members) in {:.1} s; plan {} with {} classes, {} attendance entries, {} learning reports in {:.1} s",
        outcome.province,
        outcome.members,
        outcome.province_seconds,
        outcome.plan,
        outcome.classes,
        outcome.attendance_entries,
        outcome.reports,
        outcome.study_seconds
    );
    let progress = PlanServiceClient::new(study)
        .get_plan_progress(GetPlanProgressRequest {
            plan: outcome.plan.clone(),
            ..Default::default()
        })
        .await
        .map_err(|s| anyhow::anyhow!("progress: {} {}", s.code(), s.message()))?
        .into_inner();
    let total = progress.total.unwrap_or_default();
    let rate = total.attendance.unwrap_or_default();
    println!(
        "progress of {}: {} classes held; {} of {} eligible members attended ({}%); {} non-members",
        probity_demo::seed::PLAN_SYMBOL,
        total.classes_held,
        rate.numerator,
        rate.denominator,
        rate.percent,
        total.non_members
    );
    println!(
        "oversight: {} inspections, {} cases ({} designated for monitoring, {} closed or dismissed), {} disciplinary decisions, {} VND recovered, {} whistleblower reports",
        cases.inspections,
        cases.cases,
        cases.designated,
        cases.finished,
        cases.decisions,
        cases.recovered_vnd,
        cases.whistleblower_reports
    );
    // The period the source document reports on, issued as the province's
    // report and written out beside the data.
    let reports = authed(&client, reports_addr.as_deref().unwrap_or(&client.addr))?;
    let report = crate::report::issue(
        reports.clone(),
        probity_demo::seed::period_report_request(&outcome.province),
    )
    .await?;
    println!("period report {} (digest {})", report.name, report.digest);
    for path in crate::report::write_all(reports, &report.name, &client.data_dir).await? {
        println!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

async fn generate(
    client: ClientArgs,
    committee_token: Option<String>,
    spec: probity_demo::ProvinceSpec,
    year: Option<i32>,
) -> anyhow::Result<ExitCode> {
    let Some(token) = client.resolve_token() else {
        bail!(
            "no token: give --token, set PROBITY_TOKEN, or run `probity up` with the same --data-dir"
        );
    };
    let plain = client.endpoint(&client.addr)?.connect_lazy();
    let channel = probity_platform::client::with_token(plain.clone(), &token)
        .context("the token is not ASCII")?;
    let start = std::time::Instant::now();
    let committee = match committee_token.or_else(|| {
        std::fs::read_to_string(client.data_dir.join(COMMITTEE_TOKEN_FILE))
            .ok()
            .map(|t| t.trim().to_string())
    }) {
        Some(t) => probity_platform::client::with_token(plain, &t)
            .context("the committee token is not ASCII")?,
        None if year.is_some() => bail!(
            "deciding grades needs a review-committee token other than the proposer's: give --committee-token, or run `probity up` with the same --data-dir"
        ),
        None => channel.clone(),
    };
    let tally = probity_demo::Tally::default();
    let province = crate::progress::watching(
        &tally,
        probity_demo::generate_province_tallied(channel.clone(), &spec, &tally),
    )
    .await?;
    println!(
        "province {}: {} districts, {} grassroots organisations, {} cells, {} members ({:.1} s)",
        province.province,
        province.districts.len(),
        province.grassroots.len(),
        province.cells.len(),
        province.members.len(),
        start.elapsed().as_secs_f64()
    );
    if let Some(year) = year {
        let start = std::time::Instant::now();
        let a = crate::progress::watching(
            &tally,
            probity_demo::record_year_tallied(
                channel,
                committee,
                &province,
                year,
                spec.seed,
                spec.concurrency,
                &tally,
            ),
        )
        .await?;
        println!(
            "{year}: {} book entries, {} commitment results, {} reviews decided ({:.1} s)",
            a.book_entries,
            a.results,
            a.reviews,
            start.elapsed().as_secs_f64()
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn health(client: ClientArgs, service: String) -> anyhow::Result<ExitCode> {
    let Some(channel) = connect(&client).await? else {
        return Ok(ExitCode::FAILURE);
    };
    match HealthClient::new(channel)
        .check(HealthCheckRequest { service })
        .await
    {
        Ok(r) => {
            let status = r.into_inner().status();
            println!("{}", status.as_str_name());
            Ok(if status == ServingStatus::Serving {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Err(e) => {
            eprintln!("probity: health check failed: {} {}", e.code(), e.message());
            Ok(ExitCode::FAILURE)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn defaults_work_out_of_the_box() {
        let cli = Cli::try_parse_from(["probity", "up"]).unwrap();
        let Command::Up(args) = cli.command else {
            panic!("up")
        };
        assert_eq!(args.listen.to_string(), "127.0.0.1:50051");
        assert_eq!(
            database_url(&args, "members").unwrap(),
            "sqlite://./data/members.db"
        );
    }

    #[test]
    fn bad_configuration_is_refused() {
        assert!(Cli::try_parse_from(["probity", "up", "--listen", "nowhere"]).is_err());
        let cli =
            Cli::try_parse_from(["probity", "serve", "members", "--database-url", "mysql://x"])
                .unwrap();
        let Command::Serve { args, .. } = cli.command else {
            panic!("serve")
        };
        assert!(database_url(&args, "members").is_err());
    }

    #[test]
    fn plaintext_beyond_loopback_needs_insecure() {
        let parse = |extra: &[&str]| {
            let mut args = vec!["probity", "up"];
            args.extend_from_slice(extra);
            match Cli::try_parse_from(args).unwrap().command {
                Command::Up(a) => a,
                _ => panic!("up"),
            }
        };
        assert!(parse(&[]).check_exposure().is_ok());
        let open = parse(&["--listen", "0.0.0.0:50051"]);
        assert!(open.check_exposure().unwrap_err().contains("--insecure"));
        assert!(
            parse(&["--listen", "0.0.0.0:50051", "--insecure"])
                .check_exposure()
                .is_ok()
        );
    }
}
