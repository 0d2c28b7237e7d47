//! Benchmarks the member records at province scale, through the API.
//!
//! For each backend — embedded SQLite always, PostgreSQL when
//! `PROBITY_BENCH_POSTGRES_URL` is set — it starts the members service
//! in-process on a loopback port over a fresh database, generates a province
//! (default: 9 districts, 972 cells, 33,000 members) and a year of books and
//! reviews, then times the register and review-statistics queries. Query
//! times are also given as multiples of a trivial read (GetOrganization)
//! measured in the same run, since absolute times on shared machines vary.
//!
//! `bench-members [--members N] [--districts N] [--grassroots N] [--cells N] [--runs N]`

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use probity_demo::bench::{ms, time};
use probity_demo::{ProvinceSpec, generate_province, record_year};
use probity_platform::{
    Database,
    auth::{Issuer, ROLE_ADMIN, TokenRules, Verifier},
    client::{Authed, with_token},
    server::{ServerBuilder, ServerConfig},
};
use probity_proto::probity::members::v1::{
    GetOrganizationRequest, GetReviewStatisticsRequest, ListRegisterRequest,
    book_service_client::BookServiceClient, organization_service_client::OrganizationServiceClient,
    review_service_client::ReviewServiceClient,
};

/// mimalloc instead of the system allocator: the services allocate many
/// small, short-lived values across threads (rows, messages), where
/// glibc's allocator showed as ~17 % of the seed load's samples under
/// `perf`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const YEAR: i32 = 2025;

struct Args {
    spec: ProvinceSpec,
    runs: usize,
}

fn parse_args() -> Result<Args> {
    let mut spec = ProvinceSpec::default();
    let mut runs = 20;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || -> Result<usize> {
            args.next()
                .with_context(|| format!("{flag} needs a value"))?
                .parse()
                .with_context(|| format!("{flag} needs a number"))
        };
        match flag.as_str() {
            "--members" => spec.members = value()?,
            "--districts" => spec.districts = value()?,
            "--grassroots" => spec.grassroots_per_district = value()?,
            "--cells" => spec.cells_per_grassroots = value()?,
            "--runs" => runs = value()?,
            other => bail!("unknown flag {other}; see the doc comment of bench_members.rs"),
        }
    }
    Ok(Args { spec, runs })
}

/// Reads an organisation's whole register, 1,000 entries a page; returns
/// the number of entries.
async fn walk_register(books: &BookServiceClient<Authed>, org: &str) -> Result<usize> {
    let mut books = books.clone();
    let mut token = String::new();
    let mut n = 0;
    loop {
        let page = books
            .list_register(ListRegisterRequest {
                organization: org.to_string(),
                year: YEAR,
                page_size: 1000,
                page_token: token,
            })
            .await?
            .into_inner();
        n += page.entries.len();
        token = page.next_page_token;
        if token.is_empty() {
            return Ok(n);
        }
    }
}

async fn bench(label: &str, url: &str, schema: &str, args: &Args) -> Result<()> {
    let key = Issuer::generate();
    let db = Database::connect(url, schema, 8)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut builder = ServerBuilder::new({
        let mut config = ServerConfig::new(std::sync::Arc::new(Verifier::trusting(
            &key,
            TokenRules::default(),
        )));
        // The service's own throughput is measured: no per-agency rate.
        config.admission = probity_platform::admission::Admission::default().without_rates();
        config
    });
    probity_members::register(&mut builder, db)?;
    let server = builder.spawn("127.0.0.1:0".parse()?).await?;
    let channel = tonic::transport::Channel::from_shared(server.url())?.connect_lazy();
    let token = probity_demo::bench::token(&key, "bench", ROLE_ADMIN);
    let authed: Authed = with_token(channel.clone(), &token).context("token")?;
    let committee_token = probity_demo::bench::token(
        &key,
        "bench-committee",
        probity_platform::policy::Role::ReviewCommittee.as_str(),
    );
    let committee: Authed = with_token(channel, &committee_token).context("token")?;
    // Wait for readiness.
    let mut orgs = OrganizationServiceClient::new(authed.clone());
    for _ in 0..200 {
        if orgs
            .list_organizations(
                probity_proto::probity::members::v1::ListOrganizationsRequest::default(),
            )
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let start = Instant::now();
    let province = generate_province(authed.clone(), &args.spec).await?;
    let tree_and_members = start.elapsed();
    let start = Instant::now();
    let activity = record_year(
        authed.clone(),
        committee,
        &province,
        YEAR,
        args.spec.seed,
        args.spec.concurrency,
    )
    .await?;
    let year = start.elapsed();

    let books = BookServiceClient::new(authed.clone());
    let mut reviews = ReviewServiceClient::new(authed.clone());
    let district = province.districts[0].clone();
    let baseline = time(args.runs, || {
        let mut orgs = orgs.clone();
        let name = province.province.clone();
        async move {
            orgs.get_organization(GetOrganizationRequest { name })
                .await?;
            Ok(())
        }
    })
    .await?;
    let register_page = time(args.runs, || {
        let mut books = books.clone();
        let org = province.province.clone();
        async move {
            books
                .list_register(ListRegisterRequest {
                    organization: org,
                    year: YEAR,
                    page_size: 100,
                    page_token: String::new(),
                })
                .await?;
            Ok(())
        }
    })
    .await?;
    let district_entries = walk_register(&books, &district).await?;
    let register_district = time(args.runs.min(5), || {
        let books = books.clone();
        let org = district.clone();
        async move { walk_register(&books, &org).await.map(|_| ()) }
    })
    .await?;
    let statistics = time(args.runs, || {
        let mut reviews = reviews.clone();
        let org = province.province.clone();
        async move {
            reviews
                .get_review_statistics(GetReviewStatisticsRequest {
                    organization: org,
                    year: YEAR,
                })
                .await?;
            Ok(())
        }
    })
    .await?;
    let rows = reviews
        .get_review_statistics(GetReviewStatisticsRequest {
            organization: province.province.clone(),
            year: YEAR,
        })
        .await?
        .into_inner()
        .rows;
    let ratio = |d: Duration| d.as_secs_f64() / baseline.as_secs_f64();
    let writes = activity.book_entries + activity.results + activity.reviews * 3;
    println!("\n## {label}");
    println!(
        "province: {} organisations, {} members",
        1 + province.districts.len() + province.grassroots.len() + province.cells.len(),
        province.members.len()
    );
    println!(
        "load: organisations + members (batches of 1,000) + heads: {:.1} s",
        tree_and_members.as_secs_f64()
    );
    println!(
        "load: a year of books and reviews, {} unary writes ({} entries, {} results, {} reviews x 3 steps): {:.1} s ({:.0} writes/s)",
        writes,
        activity.book_entries,
        activity.results,
        activity.reviews,
        year.as_secs_f64(),
        writes as f64 / year.as_secs_f64()
    );
    println!(
        "baseline, GetOrganization (median of {}): {}",
        args.runs,
        ms(baseline)
    );
    println!(
        "register, first page of 100 for the province: {} ({:.1}x baseline)",
        ms(register_page),
        ratio(register_page)
    );
    println!(
        "register, one district in full ({} entries, pages of 1,000): {} ({:.1}x baseline)",
        district_entries,
        ms(register_district),
        ratio(register_district)
    );
    println!(
        "review statistics for the province ({} organisations rolled up): {} ({:.1}x baseline)",
        rows.len(),
        ms(statistics),
        ratio(statistics)
    );
    server.shutdown().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args()?;
    println!(
        "# bench-members: {} members, {} districts",
        args.spec.members, args.spec.districts
    );
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}/members.db", dir.path().display());
    bench(
        "SQLite (embedded, WAL, synchronous=FULL)",
        &url,
        "members",
        &args,
    )
    .await?;
    if let Ok(pg) = std::env::var("PROBITY_BENCH_POSTGRES_URL") {
        let schema = format!("bench_{}", std::process::id());
        bench("PostgreSQL", &pg, &schema, &args).await?;
    }
    Ok(())
}
