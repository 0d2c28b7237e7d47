//! Benchmarks the write path and a trivial read against their anchors in
//! the same run (issue 13), on embedded SQLite and, when
//! `PROBITY_BENCH_POSTGRES_URL` is set, on PostgreSQL.
//!
//! Anchors, as in `../shared/bench-baseline` and
//! `../shared/reference/performance-baseline.md`, served in this process:
//! - **minimal insert RPC**: a tonic server whose one unary method runs one
//!   `INSERT ... RETURNING id` through a native sqlx pool (PostgreSQL: 10
//!   connections, no ping before acquire; SQLite: one connection, WAL,
//!   `synchronous=FULL` like Probity's);
//! - **minimal read RPC**: the same server running one `SELECT` by primary
//!   key through a native sqlx pool of Probity's size (`--pool`), the floor
//!   a read that touches the database can reach with this stack;
//! - **echo**: the same server answering without storage;
//! - **pgbench** single-row inserts (32 clients), when `pgbench` is on the
//!   PATH and PostgreSQL is measured.
//!
//! Probity: the members service in-process over a fresh database, every
//! call a full write (token, policy, validation, idempotency record, audit
//! entry, one transaction) — CreateOrganization and CreateMember — or a
//! read (GetOrganization), and BatchCreateMembers of 1,000 rows for the bulk
//! path. Closed loops of `--conc` callers (default 1 and 32) over 4 HTTP/2
//! connections; anchor and Probity alternate `--reps` times (default 3) and
//! the medians are compared. Client and servers share this machine's cores,
//! so only the ratios mean anything.
//!
//! `bench-writes [--seconds S] [--reps R] [--conc 1,32] [--only sqlite|postgres]
//! [--pool N] [--loads org,member,get,batch]` (`--pool`: Probity's
//! connections, default 8 as `probity serve`; `--loads`: only these)

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use probity_platform::{
    auth::ROLE_ADMIN,
    client::{Authed, with_token},
};
use probity_proto::{
    google::r#type::Date,
    probity::members::v1::{
        BatchCreateMembersRequest, CreateMemberRequest, CreateOrganizationRequest, Gender,
        GetOrganizationRequest, Member, Organization, OrganizationKind,
        member_service_client::MemberServiceClient,
        organization_service_client::OrganizationServiceClient,
    },
};
use tonic::transport::Channel;
use tonic_health::pb::{
    HealthCheckRequest, HealthCheckResponse,
    health_client::HealthClient,
    health_server::{Health, HealthServer},
};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    seconds: f64,
    reps: usize,
    conc: Vec<usize>,
    only: Option<String>,
    pool: u32,
    /// Only these workloads (`org`, `member`, `get`, `batch`); empty: all.
    loads: Vec<String>,
}

impl Args {
    fn runs(&self, load: &str) -> bool {
        self.loads.is_empty() || self.loads.iter().any(|l| l == load)
    }
}

fn parse_args() -> Result<Args> {
    let mut out = Args {
        seconds: 5.0,
        reps: 3,
        conc: vec![1, 32],
        only: None,
        pool: 8,
        loads: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--seconds" => out.seconds = value.parse()?,
            "--reps" => out.reps = value.parse::<usize>()?.max(1),
            "--conc" => out.conc = value.split(',').map(str::parse).collect::<Result<_, _>>()?,
            "--only" => out.only = Some(value),
            "--pool" => out.pool = value.parse()?,
            "--loads" => out.loads = value.split(',').map(str::to_string).collect(),
            other => bail!("unknown flag {other}; see the doc comment of bench_writes.rs"),
        }
    }
    Ok(out)
}

/// The anchors' storage.
#[derive(Clone)]
enum AnchorPool {
    None,
    Postgres(sqlx::PgPool),
    Sqlite(sqlx::SqlitePool),
}

/// The anchor server: `Health.Check` is echo, one insert or one read.
struct Anchor {
    pool: AnchorPool,
    /// Read the row with id 1 instead of inserting one.
    read: bool,
}

#[tonic::async_trait]
impl Health for Anchor {
    async fn check(
        &self,
        request: tonic::Request<HealthCheckRequest>,
    ) -> Result<tonic::Response<HealthCheckResponse>, tonic::Status> {
        let payload = request.into_inner().service;
        let internal = |e: sqlx::Error| tonic::Status::internal(e.to_string());
        let insert = "INSERT INTO items (payload) VALUES ($1) RETURNING id";
        // The row the read anchor reads (inserted at start, never changed).
        let read = "SELECT id FROM items WHERE id = 1";
        let id: i64 = match (&self.pool, self.read) {
            (AnchorPool::None, _) => 0,
            (AnchorPool::Postgres(pool), false) => sqlx::query_scalar(insert)
                .bind(payload)
                .fetch_one(pool)
                .await
                .map_err(internal)?,
            (AnchorPool::Postgres(pool), true) => sqlx::query_scalar(read)
                .fetch_one(pool)
                .await
                .map_err(internal)?,
            (AnchorPool::Sqlite(pool), false) => sqlx::query_scalar(insert)
                .bind(payload)
                .fetch_one(pool)
                .await
                .map_err(internal)?,
            (AnchorPool::Sqlite(pool), true) => sqlx::query_scalar(read)
                .fetch_one(pool)
                .await
                .map_err(internal)?,
        };
        // SERVING, the id read back so the insert's answer is used.
        Ok(tonic::Response::new(HealthCheckResponse {
            status: if id >= 0 { 1 } else { 0 },
        }))
    }

    type WatchStream =
        tonic::codegen::tokio_stream::Empty<Result<HealthCheckResponse, tonic::Status>>;

    async fn watch(
        &self,
        _request: tonic::Request<HealthCheckRequest>,
    ) -> Result<tonic::Response<Self::WatchStream>, tonic::Status> {
        Err(tonic::Status::unimplemented(
            "the anchor answers Check only",
        ))
    }
}

/// Serves `anchor` on a loopback port; returns its URL.
async fn serve_anchor(anchor: Anchor) -> Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(HealthServer::new(anchor))
            .serve_with_incoming(incoming),
    );
    Ok(format!("http://{addr}"))
}

/// The minimal insert server's pool over `url` (its own table).
async fn anchor_pool(url: &str, dir: &std::path::Path) -> Result<AnchorPool> {
    if url.starts_with("postgres") {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(10)
            .min_connections(10)
            .test_before_acquire(false)
            .connect(url)
            .await?;
        sqlx::query("DROP TABLE IF EXISTS items")
            .execute(&pool)
            .await?;
        sqlx::query(
            "CREATE TABLE items (id BIGSERIAL PRIMARY KEY, payload TEXT NOT NULL, \
             created_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .execute(&pool)
        .await?;
        Ok(AnchorPool::Postgres(pool))
    } else {
        use std::str::FromStr;
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&format!(
            "sqlite://{}/anchor.db",
            dir.display()
        ))?
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Full);
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        sqlx::query(
            "CREATE TABLE items (id INTEGER PRIMARY KEY, payload TEXT NOT NULL, \
             created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)",
        )
        .execute(&pool)
        .await?;
        Ok(AnchorPool::Sqlite(pool))
    }
}

/// The minimal read server's pool: `connections` to the insert anchor's
/// database (as many as Probity reads with), its table holding row 1.
async fn read_pool(
    insert: &AnchorPool,
    url: &str,
    dir: &std::path::Path,
    connections: u32,
) -> Result<AnchorPool> {
    let row = "INSERT INTO items (payload) VALUES ('the row the read anchor reads')";
    match insert {
        AnchorPool::None => Ok(AnchorPool::None),
        AnchorPool::Postgres(pool) => {
            sqlx::query(row).execute(pool).await?;
            Ok(AnchorPool::Postgres(
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(connections)
                    .min_connections(connections)
                    .test_before_acquire(false)
                    .connect(url)
                    .await?,
            ))
        }
        AnchorPool::Sqlite(pool) => {
            sqlx::query(row).execute(pool).await?;
            use std::str::FromStr;
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(&format!(
                "sqlite://{}/anchor.db",
                dir.display()
            ))?
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sqlx::sqlite::SqliteSynchronous::Full);
            Ok(AnchorPool::Sqlite(
                sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(connections)
                    .min_connections(connections)
                    .connect_with(options)
                    .await?,
            ))
        }
    }
}

/// `channels` connections to `url`.
async fn channels(url: &str, n: usize) -> Result<Vec<Channel>> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(Channel::from_shared(url.to_string())?.connect().await?);
    }
    Ok(out)
}

/// One closed-loop measurement: calls a second, and p50/p99 latency.
#[derive(Debug, Clone, Copy)]
struct Rate {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Numbers calls across the whole run (codes and cards must be unique).
static CALLS: AtomicU64 = AtomicU64::new(0);

/// Runs `callers` loops of `call(n)` (n unique across the run) for a short
/// warm-up, then `seconds`.
async fn closed_loop<F, Fut>(callers: usize, seconds: f64, call: F) -> Result<Rate>
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send,
{
    let call = Arc::new(call);
    let counter = &CALLS;
    let warm_until = Instant::now() + Duration::from_secs_f64((seconds / 5.0).max(0.5));
    let until = warm_until + Duration::from_secs_f64(seconds);
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let call = call.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let start = Instant::now();
                    if start >= until {
                        return Ok::<_, anyhow::Error>(latencies);
                    }
                    call(counter.fetch_add(1, Ordering::Relaxed)).await?;
                    if start >= warm_until {
                        latencies.push(start.elapsed());
                    }
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    all.sort();
    let at = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    Ok(Rate {
        per_second: all.len() as f64 / seconds,
        p50_ms: at(0.5).as_secs_f64() * 1000.0,
        p99_ms: at(0.99).as_secs_f64() * 1000.0,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// pgbench's single-row insert rate at 32 clients, if pgbench is here.
fn pgbench(url: &str, seconds: f64, dir: &std::path::Path) -> Option<f64> {
    let script = dir.join("insert.sql");
    std::fs::write(
        &script,
        "INSERT INTO items (payload) VALUES ('payload from pgbench') RETURNING id;\n",
    )
    .ok()?;
    let out = std::process::Command::new("pgbench")
        .args(["-n", "-c", "32", "-j", "2", "-T"])
        .arg(format!("{}", seconds.ceil() as u64))
        .arg("-f")
        .arg(&script)
        .arg(url)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse().ok())
}

/// Probity's members service over `url`, with an admin channel set.
struct Probity {
    orgs: Vec<OrganizationServiceClient<Authed>>,
    members: Vec<MemberServiceClient<Authed>>,
    district: String,
    cell: String,
    _server: probity_platform::server::RunningServer,
}

async fn start_probity(url: &str, schema: &str, pool: u32) -> Result<Probity> {
    let probity_demo::bench::MembersServer {
        server,
        issuer: key,
    } = probity_demo::bench::start_members(
        url,
        schema,
        pool,
        probity_platform::db::DEFAULT_SQLITE_CACHE_KIB,
        1_000,
    )
    .await?;
    let token = probity_demo::bench::token(&key, "bench", ROLE_ADMIN);
    let mut orgs = Vec::new();
    let mut members = Vec::new();
    for channel in channels(&server.url(), 4).await? {
        let authed = with_token(channel, &token).context("token")?;
        orgs.push(OrganizationServiceClient::new(authed.clone()));
        members.push(MemberServiceClient::new(authed));
    }
    let mut client = orgs[0].clone();
    let mut created: Vec<String> = Vec::new();
    // A province, a district of it and a cell of that.
    for (code, kind) in [
        ("BT", OrganizationKind::Province),
        ("BT-H1", OrganizationKind::District),
        ("BT-H1-C1", OrganizationKind::Cell),
    ] {
        let parent = created.last().cloned().unwrap_or_default();
        let mut tries = 0;
        let org = loop {
            match client
                .create_organization(org_request(&parent, code, kind))
                .await
            {
                Ok(r) => break r.into_inner(),
                Err(e) if e.code() == tonic::Code::Unavailable && tries < 200 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => bail!("set-up: {e}"),
            }
        };
        created.push(org.name);
    }
    Ok(Probity {
        orgs,
        members,
        district: created[1].clone(),
        cell: created[2].clone(),
        _server: server,
    })
}

fn date(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

fn org_request(parent: &str, code: &str, kind: OrganizationKind) -> CreateOrganizationRequest {
    CreateOrganizationRequest {
        organization: Some(Organization {
            code: code.into(),
            display_name: format!("Tổ chức {code}"),
            kind: kind as i32,
            parent: parent.into(),
            valid_from: date(2015, 1, 1),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

fn member(org: &str, card: u64) -> Member {
    Member {
        party_card_number: card.to_string(),
        full_name: format!("Đảng viên {card}"),
        date_of_birth: date(1980, 5, 17),
        gender: Gender::Female as i32,
        organization: org.into(),
        admission_date: date(2016, 3, 3),
        ..Default::default()
    }
}

/// A workload pair: the anchor and Probity, by name.
type Load = Arc<dyn Fn(u64) -> futures::future::BoxFuture<'static, Result<()>> + Send + Sync>;

fn anchor_load(clients: Vec<HealthClient<Channel>>) -> Load {
    Arc::new(move |n| {
        let mut c = clients[n as usize % clients.len()].clone();
        Box::pin(async move {
            c.check(HealthCheckRequest {
                service: format!("payload {n}"),
            })
            .await?;
            Ok(())
        })
    })
}

async fn measure(load: &Load, callers: usize, seconds: f64) -> Result<Rate> {
    let load = load.clone();
    closed_loop(callers, seconds, move |n| load(n)).await
}

/// Alternates anchor and Probity `reps` times; prints the medians and the
/// ratio; returns (anchor, probity) medians.
async fn pair(
    label: &str,
    anchor_label: &str,
    anchor: &Load,
    probity: &Load,
    callers: usize,
    args: &Args,
    unit: f64,
) -> Result<(f64, f64)> {
    let mut a = Vec::new();
    let mut p = Vec::new();
    let mut p50 = Vec::new();
    let mut p99 = Vec::new();
    for _ in 0..args.reps {
        a.push(measure(anchor, callers, args.seconds).await?.per_second);
        let r = measure(probity, callers, args.seconds).await?;
        p.push(r.per_second * unit);
        p50.push(r.p50_ms);
        p99.push(r.p99_ms);
    }
    let (a, p) = (median(a), median(p));
    println!(
        "| {label}, {callers} in flight | {p:.0}/s (p50 {:.1} ms, p99 {:.1} ms) | {anchor_label} {a:.0}/s | **{:.2}** |",
        median(p50),
        median(p99),
        p / a
    );
    Ok((a, p))
}

async fn bench_backend(label: &str, url: &str, args: &Args) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (probity_url, anchor_url) = if url.is_empty() {
        (
            format!("sqlite://{}/members.db", dir.path().display()),
            String::new(),
        )
    } else {
        (url.to_string(), url.to_string())
    };
    let schema = format!("bench_{}", std::process::id());
    let probity = start_probity(&probity_url, &schema, args.pool).await?;
    let pool = anchor_pool(&anchor_url, dir.path()).await?;
    let insert_url = serve_anchor(Anchor {
        pool: pool.clone(),
        read: false,
    })
    .await?;
    let read_url = serve_anchor(Anchor {
        pool: read_pool(&pool, &anchor_url, dir.path(), args.pool).await?,
        read: true,
    })
    .await?;
    let echo_url = serve_anchor(Anchor {
        pool: AnchorPool::None,
        read: false,
    })
    .await?;
    let insert: Vec<_> = channels(&insert_url, 4)
        .await?
        .into_iter()
        .map(HealthClient::new)
        .collect();
    let echo: Vec<_> = channels(&echo_url, 4)
        .await?
        .into_iter()
        .map(HealthClient::new)
        .collect();
    let read: Vec<_> = channels(&read_url, 4)
        .await?
        .into_iter()
        .map(HealthClient::new)
        .collect();
    let insert = anchor_load(insert);
    let read = anchor_load(read);
    let echo = anchor_load(echo);

    let run = std::process::id();
    let create_org: Load = {
        let orgs = probity.orgs.clone();
        let parent = probity.district.clone();
        Arc::new(move |n| {
            let mut c = orgs[n as usize % orgs.len()].clone();
            let request = org_request(&parent, &format!("C{run}-{n}"), OrganizationKind::Cell);
            Box::pin(async move {
                c.create_organization(request).await?;
                Ok(())
            })
        })
    };
    let cards = Arc::new(AtomicU64::new(20_000_000));
    let create_member: Load = {
        let members = probity.members.clone();
        let cell = probity.cell.clone();
        let cards = cards.clone();
        Arc::new(move |n| {
            let mut c = members[n as usize % members.len()].clone();
            let request = CreateMemberRequest {
                member: Some(member(&cell, cards.fetch_add(1, Ordering::Relaxed))),
                official_date: None,
                request_id: String::new(),
            };
            Box::pin(async move {
                c.create_member(request).await?;
                Ok(())
            })
        })
    };
    let get_org: Load = {
        let orgs = probity.orgs.clone();
        let name = probity.cell.clone();
        Arc::new(move |n| {
            let mut c = orgs[n as usize % orgs.len()].clone();
            let request = GetOrganizationRequest { name: name.clone() };
            Box::pin(async move {
                c.get_organization(request).await?;
                Ok(())
            })
        })
    };
    const BATCH: u64 = 1_000;
    let batch: Load = {
        let members = probity.members.clone();
        let cell = probity.cell.clone();
        let cards = cards.clone();
        Arc::new(move |n| {
            let mut c = members[n as usize % members.len()].clone();
            let first = cards.fetch_add(BATCH, Ordering::Relaxed);
            let requests = (first..first + BATCH)
                .map(|card| CreateMemberRequest {
                    member: Some(member(&cell, card)),
                    official_date: None,
                    request_id: String::new(),
                })
                .collect();
            Box::pin(async move {
                c.batch_create_members(BatchCreateMembersRequest {
                    requests,
                    request_id: String::new(),
                    validate_only: false,
                })
                .await?;
                Ok(())
            })
        })
    };

    println!("\n### {label}\n");
    println!("| Probity | rate | anchor | ratio |\n| --- | --- | --- | --- |");
    let mut org_rates = Vec::new();
    for &callers in args.conc.iter().filter(|_| args.runs("org")) {
        let rates = pair(
            "CreateOrganization",
            "minimal insert RPC",
            &insert,
            &create_org,
            callers,
            args,
            1.0,
        )
        .await?;
        org_rates.push((callers, rates));
    }
    let top = *args.conc.iter().max().unwrap_or(&32);
    if args.runs("member") {
        pair(
            "CreateMember",
            "minimal insert RPC",
            &insert,
            &create_member,
            top,
            args,
            1.0,
        )
        .await?;
    }
    if args.runs("get") {
        pair("GetOrganization", "echo", &echo, &get_org, top, args, 1.0).await?;
        pair(
            "GetOrganization",
            "minimal read RPC",
            &read,
            &get_org,
            top,
            args,
            1.0,
        )
        .await?;
        pair("minimal read RPC", "echo", &echo, &read, top, args, 1.0).await?;
    }
    if args.runs("batch") {
        let (_, rows) = pair(
            "BatchCreateMembers (rows/s, 1,000 a call)",
            "minimal insert RPC (rows/s)",
            &insert,
            &batch,
            4,
            args,
            BATCH as f64,
        )
        .await?;
        if !url.is_empty()
            && let Some(tps) = pgbench(url, args.seconds, dir.path())
        {
            println!(
                "| BatchCreateMembers vs pgbench single-row inserts (32 clients) | {rows:.0} rows/s | pgbench {tps:.0}/s | **{:.2}** |",
                rows / tps
            );
        }
    }
    if let [(c1, (a1, p1)), .., (cn, (an, pn))] = org_rates.as_slice() {
        println!(
            "\nFrom {c1} to {cn} in flight: the anchor grows ×{:.2}, CreateOrganization ×{:.2}.",
            an / a1,
            pn / p1
        );
    }
    if let AnchorPool::Postgres(pool) = pool {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA \"{schema}\" CASCADE"
        )))
        .execute(&pool)
        .await?;
        sqlx::query("DROP TABLE items").execute(&pool).await?;
    }
    Ok(())
}

fn main() -> Result<()> {
    let args = parse_args()?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            println!(
                "bench-writes: {} s a run, {} alternations, {} cores",
                args.seconds,
                args.reps,
                std::thread::available_parallelism().map_or(0, |n| n.get())
            );
            if args.only.as_deref() != Some("postgres") {
                bench_backend("SQLite (synchronous=FULL)", "", &args).await?;
            }
            if args.only.as_deref() != Some("sqlite") {
                match std::env::var("PROBITY_BENCH_POSTGRES_URL") {
                    Ok(url) => bench_backend("PostgreSQL", &url, &args).await?,
                    Err(_) => println!("\n(PostgreSQL skipped: set PROBITY_BENCH_POSTGRES_URL)"),
                }
            }
            Ok(())
        })
}
