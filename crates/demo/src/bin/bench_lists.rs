//! Benchmarks what the first page of a list costs as the subtree grows
//! (issue 13: "the first page of any list costs O(page), not O(subtree)").
//!
//! For each backend — embedded SQLite always, PostgreSQL when
//! `PROBITY_BENCH_POSTGRES_URL` is set — it starts the members service
//! in-process over a fresh database, generates `--provinces` provinces of
//! `--members` members each through the API (timed: rows a second), then
//! times the first page (100) of ListMembers over the subtree of a cell, a
//! grassroots organisation, a district, a province — as milliseconds and as
//! multiples of GetOrganization measured in the same run; then a member's
//! book (GetBook, the member with 6 entries) and the roster stream
//! (StreamRoster) of a district and of the first province, drained.
//!
//! `bench-lists [--members N] [--provinces K] [--runs R] [--only sqlite|postgres]
//! [--cache-mib M] [--keep-schema]` (SQLite page cache per connection;
//! leave the PostgreSQL schema, named in the output, for a look at plans)

use std::time::Instant;

use anyhow::{Context, Result, bail};
use probity_demo::{
    ProvinceSpec,
    bench::{ms, time},
    generate_province,
};
use probity_platform::{auth::ROLE_ADMIN, client::with_token};
use probity_proto::probity::members::v1::{
    BookEntry, BookEntryKind, CreateBookEntryRequest, GetBookRequest, GetOrganizationRequest,
    ListMembersRequest, StreamRosterRequest, book_service_client::BookServiceClient,
    member_service_client::MemberServiceClient,
    organization_service_client::OrganizationServiceClient,
};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    members: usize,
    provinces: usize,
    runs: usize,
    only: Option<String>,
    cache_mib: u32,
    /// Leave the PostgreSQL schema in place (its name is printed), for
    /// looking at plans after the run.
    keep_schema: bool,
}

fn parse_args() -> Result<Args> {
    let mut out = Args {
        members: 33_000,
        provinces: 1,
        runs: 20,
        only: None,
        cache_mib: probity_platform::db::DEFAULT_SQLITE_CACHE_KIB / 1024,
        keep_schema: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--keep-schema" {
            out.keep_schema = true;
            continue;
        }
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--members" => out.members = value.parse()?,
            "--provinces" => out.provinces = value.parse::<usize>()?.max(1),
            "--runs" => out.runs = value.parse::<usize>()?.max(1),
            "--only" => out.only = Some(value),
            "--cache-mib" => out.cache_mib = value.parse()?,
            other => bail!("unknown flag {other}; see the doc comment of bench_lists.rs"),
        }
    }
    Ok(out)
}

async fn bench(label: &str, url: &str, args: &Args) -> Result<()> {
    let schema = format!("bench_lists_{}", std::process::id());
    let started =
        probity_demo::bench::start_members(url, &schema, 8, args.cache_mib * 1024, 1_000).await?;
    let channel = tonic::transport::Channel::from_shared(started.server.url())?.connect_lazy();
    let token = probity_demo::bench::token(&started.issuer, "bench", ROLE_ADMIN);
    let authed = with_token(channel, &token).context("token")?;
    let mut orgs = OrganizationServiceClient::new(authed.clone());
    let members = MemberServiceClient::new(authed.clone());
    // Ready when a read answers.
    for _ in 0..200 {
        if orgs
            .get_organization(GetOrganizationRequest {
                name: "organizations/none".into(),
            })
            .await
            .is_err_and(|e| e.code() == tonic::Code::NotFound)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    println!("\n### {label}\n");
    let loading = Instant::now();
    let mut first = None;
    for k in 0..args.provinces {
        let spec = ProvinceSpec {
            code: format!("P{k:02}"),
            members: args.members,
            first_card: 10_000_000 + (k * args.members) as u64,
            seed: 7 + k as u64,
            ..Default::default()
        };
        let province = generate_province(authed.clone(), &spec).await?;
        first.get_or_insert(province);
    }
    let total = args.members * args.provinces;
    let seconds = loading.elapsed().as_secs_f64();
    println!(
        "loaded {} provinces, {total} members through the API in {seconds:.1} s ({:.0} members/s)\n",
        args.provinces,
        total as f64 / seconds
    );
    let province = first.context("no province")?;

    let baseline = time(args.runs, || {
        let mut orgs = orgs.clone();
        let name = province.cells[0].clone();
        async move {
            orgs.get_organization(GetOrganizationRequest { name })
                .await?;
            Ok(())
        }
    })
    .await?;
    println!(
        "| first page (100) of ListMembers over the subtree of | median | × GetOrganization ({}) |",
        ms(baseline)
    );
    println!("| --- | --- | --- |");
    for (what, org) in [
        ("a cell", &province.cells[0]),
        ("a grassroots organisation", &province.grassroots[0]),
        ("a district", &province.districts[0]),
        ("the province", &province.province),
    ] {
        let got = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let took = time(args.runs, || {
            let mut members = members.clone();
            let organization = org.clone();
            let got = got.clone();
            async move {
                let page = members
                    .list_members(ListMembersRequest {
                        organization,
                        include_subtree: true,
                        page_size: 100,
                        ..Default::default()
                    })
                    .await?
                    .into_inner();
                got.store(page.members.len(), std::sync::atomic::Ordering::Relaxed);
                Ok(())
            }
        })
        .await?;
        println!(
            "| {what} ({} on the page) | {} | {:.1} |",
            got.load(std::sync::atomic::Ordering::Relaxed),
            ms(took),
            took.as_secs_f64() / baseline.as_secs_f64()
        );
    }
    book_and_rosters(&authed, &province, args.runs).await?;
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024)
    };
    println!(
        "\nthis process (server and client): {} MiB resident now, {} MiB at most",
        field("VmRSS:"),
        field("VmHWM:")
    );
    // On PostgreSQL the generated members (5.6 M at national scale) would
    // otherwise stay in the server's database.
    if args.keep_schema {
        println!("\nkept: schema {schema}");
    } else if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA \"{schema}\" CASCADE"
        )))
        .execute(&pool)
        .await?;
    }
    Ok(())
}

/// Times a member's book (GetBook of a member given 6 entries) and the
/// roster stream of a district and of the province, drained.
async fn book_and_rosters(
    authed: &probity_platform::client::Authed,
    province: &probity_demo::Province,
    runs: usize,
) -> Result<()> {
    let mut members = MemberServiceClient::new(authed.clone());
    let mut books = BookServiceClient::new(authed.clone());
    let member = members
        .list_members(ListMembersRequest {
            organization: province.cells[0].clone(),
            page_size: 1,
            ..Default::default()
        })
        .await?
        .into_inner()
        .members
        .pop()
        .context("a member of the first cell")?
        .name;
    const YEAR: i32 = 2025;
    for i in 0..6 {
        books
            .create_book_entry(CreateBookEntryRequest {
                entry: Some(BookEntry {
                    member: member.clone(),
                    year: YEAR,
                    kind: BookEntryKind::Goal as i32,
                    text: format!("Entry {i} of the bench"),
                    ..Default::default()
                }),
                submit: true,
                ..Default::default()
            })
            .await?;
    }
    let book = time(runs, || {
        let mut books = books.clone();
        let member = member.clone();
        async move {
            let got = books
                .get_book(GetBookRequest { member, year: YEAR })
                .await?
                .into_inner();
            anyhow::ensure!(got.entries.len() == 6, "the book has 6 entries");
            Ok(())
        }
    })
    .await?;
    println!("\n| a member's book (GetBook, 6 entries) | {} |", ms(book));
    println!("| --- | --- |");
    for (what, org) in [
        ("a district", &province.districts[0]),
        ("the province", &province.province),
    ] {
        let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let took = time(runs.min(5), || {
            let mut members = members.clone();
            let organization = org.clone();
            let count = count.clone();
            async move {
                let mut stream = members
                    .stream_roster(StreamRosterRequest {
                        organization,
                        ..Default::default()
                    })
                    .await?
                    .into_inner();
                let mut n = 0;
                while stream.message().await?.is_some() {
                    n += 1;
                }
                count.store(n, std::sync::atomic::Ordering::Relaxed);
                Ok(())
            }
        })
        .await?;
        let n = count.load(std::sync::atomic::Ordering::Relaxed);
        println!(
            "| roster stream of {what} ({n} members), drained | {} ({:.0} members/s) |",
            ms(took),
            n as f64 / took.as_secs_f64()
        );
    }
    Ok(())
}

fn main() -> Result<()> {
    let args = parse_args()?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            if args.only.as_deref() != Some("postgres") {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite://{}/members.db", dir.path().display());
                bench("SQLite", &url, &args).await?;
            }
            if args.only.as_deref() != Some("sqlite") {
                match std::env::var("PROBITY_BENCH_POSTGRES_URL") {
                    Ok(url) => bench("PostgreSQL", &url, &args).await?,
                    Err(_) => println!("\n(PostgreSQL skipped: set PROBITY_BENCH_POSTGRES_URL)"),
                }
            }
            Ok(())
        })
}
