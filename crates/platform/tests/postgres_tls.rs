//! PostgreSQL over TLS with the server's certificate verified
//! (`sslmode=verify-full`, issue 12). `scripts/with-postgres` starts its
//! server with TLS and sets `PROBITY_TEST_POSTGRES_TLS_URL` (a URL with
//! the CA that signed the server's certificate) and
//! `PROBITY_TEST_POSTGRES_OTHER_CA` (a CA that signed nothing); without
//! them, as on the SQLite-only run, there is nothing to test.

use probity_platform::Database;

#[tokio::test]
async fn verify_full_connects_with_the_right_ca_and_refuses_another() {
    let Ok(url) = std::env::var("PROBITY_TEST_POSTGRES_TLS_URL") else {
        eprintln!("PROBITY_TEST_POSTGRES_TLS_URL unset: run under scripts/with-postgres");
        return;
    };
    let db = Database::connect(&url, "tls_probe", 1)
        .await
        .expect("verify-full with the server's CA");
    db.ping().await.expect("answers over TLS");
    db.close().await;

    let other = std::env::var("PROBITY_TEST_POSTGRES_OTHER_CA").expect("the other CA");
    let (base, _) = url.split_once("sslrootcert=").expect("a CA in the URL");
    let wrong = format!("{base}sslrootcert={other}");
    let refused = match Database::connect(&wrong, "tls_probe", 1).await {
        Err(_) => true,
        Ok(db) => db.ping().await.is_err(),
    };
    assert!(refused, "a server certificate of another CA was accepted");
}
