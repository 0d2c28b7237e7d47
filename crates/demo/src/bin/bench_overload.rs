//! Benchmarks load shedding (issue 12): what the members service serves
//! when offered ten times what it can do.
//!
//! It starts members in-process (its own runtime) over an SQLite file,
//! generates a small province (default 2,000 members), and loads a heavy
//! read: ListMembers of a district's subtree, 200 a page.
//! 1. Saturation: closed loops of 1, 2, 4, 8, 16 and 32 callers for a few
//!    seconds each; the best throughput is the saturation rate X.
//! 2. Open loop at X and at 10·X calls a second, alternating, `--pairs`
//!    times (default 3), against servers admitting
//!    at most `--limits` calls in progress (the default is 64; a very
//!    large one stands for no shedding). For each: goodput (answers a
//!    second), its ratio to the 1× goodput of the same server, the p50 and
//!    p99 latency of admitted calls, and how many were refused and how fast.
//!
//! Client and server share this machine's cores: the figures are ratios
//! within one run.
//!
//! `taskset -c 1 bench-overload [--members N] [--seconds S] [--pairs P]
//! [--limits 256,64,16,1000000]`

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use probity_demo::{ProvinceSpec, generate_province};
use probity_platform::{
    Database,
    admission::Admission,
    auth::{Issuer, ROLE_ADMIN, TokenRules, Verifier},
    client::{Authed, with_token},
    server::{ServerBuilder, ServerConfig},
};
use probity_proto::probity::members::v1::{
    GetOrganizationRequest, ListMembersRequest, member_service_client::MemberServiceClient,
    organization_service_client::OrganizationServiceClient,
};
use tonic::Code;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    members: usize,
    seconds: u64,
    limits: Vec<usize>,
    pairs: usize,
    /// Only measure how many refusals a second the server answers.
    refusals: bool,
}

fn parse_args() -> Result<Args> {
    let mut out = Args {
        members: 2_000,
        seconds: 8,
        limits: vec![256, 64, 16, 1_000_000],
        pairs: 3,
        refusals: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--refusals" {
            out.refusals = true;
            continue;
        }
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--members" => out.members = value.parse()?,
            "--seconds" => out.seconds = value.parse()?,
            "--pairs" => out.pairs = value.parse::<usize>()?.max(1),
            "--limits" => {
                out.limits = value.split(',').map(str::parse).collect::<Result<_, _>>()?
            }
            other => bail!("unknown flag {other}; see the doc comment of bench_overload.rs"),
        }
    }
    Ok(out)
}

/// A members server in a child process of this program (`--serve`),
/// pinned to CPU 0 with `taskset` when there is one, so that the load
/// generator (run it pinned to CPU 1: `taskset -c 1 bench-overload`) does
/// not take the server's core. It admits `limit` calls at once, with no
/// per-agency rate.
struct Server {
    addr: std::net::SocketAddr,
    child: std::process::Child,
}

impl Server {
    fn start(url: &str, jwks: &std::path::Path, limit: usize) -> Result<Self> {
        use std::io::BufRead;
        let me = std::env::current_exe()?;
        let args = [
            me.to_str().context("program path")?,
            "--serve",
            url,
            jwks.to_str().context("jwks path")?,
            &limit.to_string(),
        ];
        let pinned = std::process::Command::new("taskset")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        let mut command = if pinned {
            let mut c = std::process::Command::new("taskset");
            c.args(["-c", "0"]).args(args);
            c
        } else {
            let mut c = std::process::Command::new(args[0]);
            c.args(&args[1..]);
            c
        };
        let mut child = command
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .context("start the server process")?;
        let stdout = child.stdout.take().context("server output")?;
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line)?;
        let addr = line
            .trim()
            .strip_prefix("listening ")
            .context("the server did not start")?
            .parse()?;
        Ok(Self { addr, child })
    }

    /// CPU seconds the server process has used (Linux `/proc`; 0 elsewhere).
    fn cpu_seconds(&self) -> f64 {
        // With taskset in front, the server is taskset's child after exec:
        // the same process.
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // Fields after the command name in parentheses; utime and stime
        // are the 14th and 15th fields, in clock ticks (100 a second).
        let after = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest)
            .unwrap_or_default();
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (ticks(11) + ticks(12)) / 100.0
    }

    fn stop(mut self) {
        // Closing its input stops it.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// `--serve URL JWKS LIMIT`: the server process.
fn serve(url: String, jwks: String, limit: usize) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let jwks = std::fs::read_to_string(&jwks)?;
        let verifier =
            Verifier::from_jwks(&jwks, TokenRules::default()).map_err(anyhow::Error::msg)?;
        let db = Database::connect(&url, "bench_members", 8)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut config = ServerConfig::new(Arc::new(verifier));
        config.max_calls_in_progress = limit;
        config.admission = Admission {
            streams_per_connection: 1024,
            ..Admission::default().without_rates()
        };
        let mut builder = ServerBuilder::new(config);
        probity_members::register(&mut builder, db).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let server = builder.spawn("127.0.0.1:0".parse()?).await?;
        println!("listening {}", server.addr);
        // Until the parent closes our input.
        tokio::task::spawn_blocking(|| {
            let mut sink = String::new();
            while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {}
        })
        .await?;
        let _ = server.shutdown().await;
        Ok(())
    })
}

/// Clients over `connections` separate connections, taken in turn.
struct Clients {
    members: Vec<MemberServiceClient<Authed>>,
    next: std::sync::atomic::AtomicUsize,
}

impl Clients {
    fn new(addr: std::net::SocketAddr, token: &str, connections: usize) -> Result<Self> {
        let members = (0..connections)
            .map(|_| {
                let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?
                    .tcp_nodelay(true)
                    .connect_lazy();
                Ok(MemberServiceClient::new(
                    with_token(channel, token).context("token")?,
                ))
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            members,
            next: Default::default(),
        })
    }

    fn one(&self) -> MemberServiceClient<Authed> {
        let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.members[i % self.members.len()].clone()
    }
}

/// One heavy read; its outcome.
async fn heavy(mut client: MemberServiceClient<Authed>, district: String) -> Result<(), Code> {
    client
        .list_members(ListMembersRequest {
            organization: district,
            include_subtree: true,
            page_size: 200,
            ..Default::default()
        })
        .await
        .map(|_| ())
        .map_err(|s| s.code())
}

/// Calls a second of `callers` closed loops over `seconds`.
async fn closed_loop(clients: &Arc<Clients>, district: &str, callers: usize, seconds: f64) -> f64 {
    let end = Instant::now() + Duration::from_secs_f64(seconds);
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let clients = clients.clone();
            let district = district.to_string();
            tokio::spawn(async move {
                let mut n = 0_u64;
                while Instant::now() < end {
                    if heavy(clients.one(), district.clone()).await.is_ok() {
                        n += 1;
                    }
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap_or(0);
    }
    total as f64 / seconds
}

/// What an open-loop run saw.
#[derive(Default)]
struct Outcome {
    ok: Vec<Duration>,
    /// Answers that came within the offered window.
    ok_in_window: usize,
    refused: Vec<Duration>,
    other: std::collections::BTreeMap<String, usize>,
    /// Calls still unanswered a window after the load stopped.
    unfinished: usize,
    /// Calls sent.
    sent: u64,
}

/// Offers `rate` calls a second for `seconds`, whatever the answers.
async fn open_loop(clients: &Arc<Clients>, district: &str, rate: f64, seconds: u64) -> Outcome {
    let seen = Arc::new(Mutex::new(Outcome::default()));
    let start = Instant::now();
    let end = start + Duration::from_secs(seconds);
    let mut sent = 0_u64;
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut tasks = Vec::new();
    while Instant::now() < end {
        tick.tick().await;
        let due = (start.elapsed().as_secs_f64() * rate) as u64;
        while sent < due {
            sent += 1;
            let client = clients.one();
            let district = district.to_string();
            let seen = seen.clone();
            tasks.push(tokio::spawn(async move {
                let began = Instant::now();
                let outcome = heavy(client, district).await;
                let took = began.elapsed();
                let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
                match outcome {
                    Ok(()) => {
                        seen.ok.push(took);
                        if Instant::now() <= end {
                            seen.ok_in_window += 1;
                        }
                    }
                    Err(Code::ResourceExhausted) => seen.refused.push(took),
                    Err(code) => *seen.other.entry(format!("{code:?}")).or_default() += 1,
                }
            }));
        }
    }
    // Calls not answered within another window are cut off.
    let cutoff = tokio::time::Instant::now() + Duration::from_secs(seconds);
    let mut unfinished = 0;
    for mut t in tasks {
        if tokio::time::timeout_at(cutoff, &mut t).await.is_err() {
            t.abort();
            unfinished += 1;
        }
    }
    let mut outcome = std::mem::take(&mut *seen.lock().unwrap_or_else(|p| p.into_inner()));
    outcome.unfinished = unfinished;
    outcome.sent = sent;
    outcome.ok.sort();
    outcome.refused.sort();
    outcome
}

/// `--refusals`: a server that admits no call, and 32 callers asking it as
/// fast as they can for 5 s, three times: what one refusal costs.
async fn refusals(url: &str, jwks: &std::path::Path, token: &str) -> Result<()> {
    let server = Server::start(url, jwks, 0)?;
    let clients = Arc::new(Clients::new(server.addr, token, 32)?);
    let district = "organizations/00000000000000000000000000000000".to_string();
    for _ in 0..3 {
        let cpu = server.cpu_seconds();
        let end = Instant::now() + Duration::from_secs(5);
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let clients = clients.clone();
                let district = district.clone();
                tokio::spawn(async move {
                    let mut n = 0_u64;
                    while Instant::now() < end {
                        if heavy(clients.one(), district.clone()).await
                            == Err(Code::ResourceExhausted)
                        {
                            n += 1;
                        }
                    }
                    n
                })
            })
            .collect();
        let mut total = 0;
        for t in tasks {
            total += t.await.unwrap_or(0);
        }
        let used = server.cpu_seconds() - cpu;
        println!(
            "refusals answered: {:.0} a second; server CPU {:.1} µs a refusal",
            total as f64 / 5.0,
            used * 1e6 / total.max(1) as f64
        );
    }
    server.stop();
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

fn main() -> Result<()> {
    let mut raw = std::env::args().skip(1);
    if raw.next().as_deref() == Some("--serve") {
        let url = raw.next().context("--serve URL JWKS LIMIT")?;
        let jwks = raw.next().context("--serve URL JWKS LIMIT")?;
        let limit = raw.next().context("--serve URL JWKS LIMIT")?.parse()?;
        return serve(url, jwks, limit);
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(bench())
}

async fn bench() -> Result<()> {
    let args = parse_args()?;
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}/members.db", dir.path().display());
    let issuer = Issuer::generate();
    let jwks = dir.path().join("jwks.json");
    std::fs::write(&jwks, Issuer::jwks([&issuer]))?;
    let token = probity_demo::bench::token(&issuer, "bench", ROLE_ADMIN);

    if args.refusals {
        return refusals(&url, &jwks, &token).await;
    }

    // The province, made through the first server.
    let server = Server::start(&url, &jwks, 256)?;
    let channel =
        tonic::transport::Endpoint::from_shared(format!("http://{}", server.addr))?.connect_lazy();
    let admin = with_token(channel, &token).context("token")?;
    let mut orgs = OrganizationServiceClient::new(admin.clone());
    for _ in 0..200 {
        let probe = orgs
            .get_organization(GetOrganizationRequest {
                name: "organizations/00000000000000000000000000000000".into(),
            })
            .await;
        if probe.is_err_and(|s| s.code() == Code::NotFound) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let spec = ProvinceSpec {
        members: args.members,
        districts: 2,
        ..Default::default()
    };
    let province = generate_province(admin, &spec).await?;
    let district = province.districts[0].clone();
    println!(
        "province: {} members; heavy read: ListMembers of {district} with its subtree, 200 a page",
        province.members.len()
    );

    // Saturation.
    let clients = Arc::new(Clients::new(server.addr, &token, 16)?);
    let mut saturation: f64 = 0.0;
    for callers in [1, 2, 4, 8, 16, 32] {
        let rate = closed_loop(&clients, &district, callers, 3.0).await;
        println!("closed loop, {callers:>2} callers: {rate:8.1} calls/s");
        saturation = saturation.max(rate);
    }
    server.stop();
    println!("saturation X = {saturation:.1} calls/s");
    println!();
    println!(
        "| calls in progress allowed | offered (sent) /s | goodput /s | goodput ÷ 1× | p50 admitted ms | p99 admitted ms | refused | p50 / p99 refusal ms | other errors | unanswered |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|");
    let mut summary = Vec::new();
    for limit in &args.limits {
        let server = Server::start(&url, &jwks, *limit)?;
        let clients = Arc::new(Clients::new(server.addr, &token, 32)?);
        // Warm the connections.
        closed_loop(&clients, &district, 32, 0.5).await;
        // 1× and 10× alternate, `--pairs` times; each 10× run is compared
        // with the 1× run just before it, on a machine whose speed drifts.
        let mut base = 0.0;
        let mut ratios = Vec::new();
        for times in (0..args.pairs).flat_map(|_| [1.0, 10.0]) {
            let outcome = open_loop(&clients, &district, saturation * times, args.seconds).await;
            let goodput = outcome.ok_in_window as f64 / args.seconds as f64;
            if times == 1.0 {
                base = goodput;
            } else {
                ratios.push(goodput / base.max(f64::MIN_POSITIVE));
            }
            println!(
                "| {limit} | {times}× {:.0} ({:.0}) | {goodput:.1} | {:.2} | {:.1} | {:.1} | {} | {:.2} / {:.2} | {:?} | {} |",
                saturation * times,
                outcome.sent as f64 / args.seconds as f64,
                goodput / base.max(f64::MIN_POSITIVE),
                percentile(&outcome.ok, 0.5),
                percentile(&outcome.ok, 0.99),
                outcome.refused.len(),
                percentile(&outcome.refused, 0.5),
                percentile(&outcome.refused, 0.99),
                outcome.other,
                outcome.unfinished
            );
        }
        ratios.sort_by(f64::total_cmp);
        summary.push(format!(
            "limit {limit}: goodput at 10× ÷ 1×, median of {}: {:.2} (each: {})",
            ratios.len(),
            ratios[ratios.len() / 2],
            ratios
                .iter()
                .map(|r| format!("{r:.2}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        server.stop();
    }
    println!();
    for line in summary {
        println!("{line}");
    }
    Ok(())
}
