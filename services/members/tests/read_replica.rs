//! Reads from a PostgreSQL hot standby (`--read-database-url`), against
//! the standby `scripts/with-postgres` makes with `pg_basebackup`
//! (PROBITY_TEST_POSTGRES_STANDBY_URL; skipped without it). List reads go
//! to the standby and answer what the primary answers; a caller's reads
//! right after its own write go to the primary; a standby that falls
//! behind (replay paused) or stops (its link cut) is taken out of use and
//! the primary answers — no caller sees an error.

mod common;

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use common::*;
use probity_platform::testing::{TestBackend, TestOptions, TestServer};
use probity_proto::probity::members::v1::{ListOrganizationsRequest, OrganizationKind};
use sqlx::Connection;
use tokio::net::{TcpListener, TcpStream};

/// A TCP link to the standby that can be cut.
struct Link {
    port: u16,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Link {
    async fn to(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let open: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let (flag, tasks) = (up.clone(), open.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !flag.load(Ordering::SeqCst) {
                    continue; // dropped: refused
                }
                let target = target.clone();
                tasks.lock().unwrap().push(tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                }));
            }
        });
        Self { port, up, open }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for task in self.open.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

async fn codes(orgs: &mut Orgs, parent: &str) -> Vec<String> {
    let mut codes: Vec<String> = orgs
        .list_organizations(ListOrganizationsRequest {
            parent: parent.into(),
            include_subtree: true,
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("a list read never fails for the replica's sake")
        .into_inner()
        .organizations
        .into_iter()
        .map(|o| o.code)
        .collect();
    codes.sort();
    codes
}

async fn until(what: &str, mut ok: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !ok().await {
        assert!(Instant::now() < deadline, "not within 15 s: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn list_reads_use_a_standby_only_while_it_keeps_up() {
    let (Ok(standby), Some(TestBackend::Postgres(primary))) = (
        std::env::var("PROBITY_TEST_POSTGRES_STANDBY_URL"),
        backends()
            .into_iter()
            .find(|b| matches!(b, TestBackend::Postgres(_))),
    ) else {
        eprintln!("no PostgreSQL standby: skipped (run under scripts/with-postgres)");
        return;
    };
    let backend = TestBackend::Postgres(primary.clone());
    // postgres://user@127.0.0.1:PORT/db: the link in front of PORT.
    let (head, rest) = standby
        .split_once("@127.0.0.1:")
        .expect("a loopback standby");
    let (port, tail) = rest.split_once('/').expect("a database in the URL");
    let link = Link::to(format!("127.0.0.1:{port}")).await;
    let through_link = format!("{head}@127.0.0.1:{}/{tail}", link.port);

    let (db, _) =
        probity_platform::testing::fresh_database(&backend, probity_members::SCHEMA).await;
    let db = db
        .with_read_replica(&through_link, Duration::from_millis(300), 4)
        .await
        .unwrap();
    let mut options = TestOptions::new(probity_members::SCHEMA);
    options.database = Some(db.clone());
    let server = TestServer::start(&backend, options, probity_members::register).await;
    let replica = || db.replica().unwrap();

    // The writer (admin) and a reader (another caller).
    let mut writer = Orgs::new(server.admin());
    let mut reader = Orgs::new(server.with_token(&server.token("reader", &["reader"], &["*"])));
    let t = tree(&mut writer).await;
    let province = t.province.name.clone();
    until("the standby is in use", async || replica().usable()).await;

    // The writer reads its own writes at once (from the primary).
    let before = replica().reads();
    org(
        &mut writer,
        &t.district_a.name,
        "X1",
        OrganizationKind::Cell,
        date(2011, 1, 1),
    )
    .await;
    assert!(
        codes(&mut writer, &province)
            .await
            .contains(&"X1".to_string())
    );
    assert_eq!(
        replica().reads(),
        before,
        "the writer's read went to the primary"
    );

    // The reader's lists come from the standby, equal to the primary's.
    let primary_view = codes(&mut writer, &province).await;
    until("the standby answers as the primary does", async || {
        codes(&mut reader, &province).await == primary_view
    })
    .await;
    assert!(
        replica().reads() > before,
        "the reader's lists used the standby"
    );

    // Replay paused: the standby falls behind and is taken out of use; the
    // reader still sees every write (from the primary), without an error.
    let mut control = sqlx::AnyConnection::connect(&standby).await.unwrap();
    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(&mut control)
        .await
        .unwrap();
    org(
        &mut writer,
        &t.district_a.name,
        "X2",
        OrganizationKind::Cell,
        date(2011, 1, 1),
    )
    .await;
    until("a lagging standby is taken out of use", async || {
        !replica().usable()
    })
    .await;
    let reads = replica().reads();
    assert!(
        codes(&mut reader, &province)
            .await
            .contains(&"X2".to_string())
    );
    assert_eq!(replica().reads(), reads, "not read while behind");
    sqlx::query("SELECT pg_wal_replay_resume()")
        .execute(&mut control)
        .await
        .unwrap();
    until("a standby that caught up is used again", async || {
        replica().usable()
    })
    .await;

    // The standby stops (its link cut): the reader's lists go on, from the
    // primary, and the standby is out of use.
    link.cut();
    org(
        &mut writer,
        &t.district_a.name,
        "X3",
        OrganizationKind::Cell,
        date(2011, 1, 1),
    )
    .await;
    for _ in 0..20 {
        let seen = codes(&mut reader, &province).await;
        assert!(seen.contains(&"X2".to_string()));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    until("a stopped standby is out of use", async || {
        !replica().usable()
    })
    .await;
    assert!(
        codes(&mut reader, &province)
            .await
            .contains(&"X3".to_string())
    );
}
