//! Tokens as a running server checks them (issue 12), on every backend:
//! the server holds public keys only, from files it rereads; a key added
//! beside the old one is accepted without a restart, a revoked `jti` is
//! refused within the reload interval, a token valid for longer than the
//! server allows is refused, and so are tokens of an untrusted issuer or
//! for another audience.

mod common;

use std::{sync::Arc, time::Duration};

use common::*;
use probity_platform::{
    auth::{Claims, Issuer, TokenRules, TrustFiles, Verifier},
    testing::{TestOptions, TestServer, write_later},
};
use probity_proto::probity::members::v1::{
    ListOrganizationsRequest, organization_service_client::OrganizationServiceClient,
};
use tonic::Code;

/// Lists organisations with `token`; the status code.
async fn call(server: &TestServer, token: &str) -> Code {
    OrganizationServiceClient::new(server.with_token(token))
        .list_organizations(ListOrganizationsRequest::default())
        .await
        .err()
        .map_or(Code::Ok, |s| s.code())
}

/// Calls with `token` until the answer is `want` (5 s at most).
async fn eventually(server: &TestServer, token: &str, want: Code) -> Code {
    let mut got = Code::Unknown;
    for _ in 0..50 {
        got = call(server, token).await;
        if got == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    got
}

#[tokio::test]
async fn keys_rotate_and_tokens_are_revoked_without_a_restart() {
    for backend in backends() {
        let dir = tempfile::tempdir().unwrap();
        let files = TrustFiles {
            jwks: dir.path().join("jwks.json"),
            revoked: Some(dir.path().join("revoked")),
        };
        let old = Issuer::generate();
        write_later(&files.jwks, &Issuer::jwks([&old]));
        let rules = TokenRules {
            max_lifetime: Duration::from_secs(3600),
            ..TokenRules::default()
        };
        let verifier = Verifier::from_files(files.clone(), rules).unwrap();
        let mut options = TestOptions::new(probity_members::SCHEMA);
        options.issuer = Some(old.clone());
        options.verifier = Some(Arc::new(verifier));
        options.reload_interval = Some(Duration::from_millis(50));
        let server = TestServer::start(&backend, options, probity_members::register).await;
        let now = server.clock.now_seconds();
        let token = |issuer: &Issuer, lifetime: i64| {
            let claims = Claims::new("clerk", "agency", &["reader"], &["*"], now, lifetime);
            (issuer.sign(&claims), claims.jti)
        };

        let (by_old, old_jti) = token(&old, 600);
        assert_eq!(call(&server, &by_old).await, Code::Ok, "{backend}");

        // A key the server does not hold yet.
        let new = Issuer::generate();
        let (by_new, _) = token(&new, 600);
        assert_eq!(
            call(&server, &by_new).await,
            Code::Unauthenticated,
            "{backend}"
        );
        // Rotation: published beside the old key, accepted without a restart.
        write_later(&files.jwks, &Issuer::jwks([&old, &new]));
        assert_eq!(
            eventually(&server, &by_new, Code::Ok).await,
            Code::Ok,
            "{backend}"
        );
        assert_eq!(
            call(&server, &by_old).await,
            Code::Ok,
            "{backend}: old key kept"
        );

        // Revocation by jti.
        write_later(files.revoked.as_ref().unwrap(), &format!("{old_jti}\n"));
        assert_eq!(
            eventually(&server, &by_old, Code::Unauthenticated).await,
            Code::Unauthenticated,
            "{backend}: revoked"
        );
        assert_eq!(call(&server, &by_new).await, Code::Ok, "{backend}");

        // Longer than the server's hour.
        let (long, _) = token(&new, 2 * 3600);
        assert_eq!(
            call(&server, &long).await,
            Code::Unauthenticated,
            "{backend}"
        );

        // Another issuer, another audience.
        let mut claims = Claims::new("clerk", "agency", &["reader"], &["*"], now, 600);
        claims.iss = "some-other-idp".into();
        assert_eq!(
            call(&server, &new.sign(&claims)).await,
            Code::Unauthenticated
        );
        let mut claims = Claims::new("clerk", "agency", &["reader"], &["*"], now, 600);
        claims.aud = vec!["another-system".into()];
        assert_eq!(
            call(&server, &new.sign(&claims)).await,
            Code::Unauthenticated
        );
        // A scope that is not a resource name voids the token.
        let claims = Claims::new("clerk", "agency", &["reader"], &["12345"], now, 600);
        assert_eq!(
            call(&server, &new.sign(&claims)).await,
            Code::Unauthenticated
        );
    }
}
