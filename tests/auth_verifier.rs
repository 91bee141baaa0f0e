//! The token verifier as the socket layer uses it, driven by the shared test keys and
//! JWKS server of `tests/common/jwt.rs`: what the helpers sign, a server configured with
//! the matching keys accepts.

mod common;

use std::time::Duration;

use common::jwt::{self, JwksServer};
use parlor::auth::{TokenError, Verifier};
use parlor::Config;

fn verifier(cfg: &Config) -> Verifier {
    Verifier::from_config(cfg).unwrap().unwrap()
}

#[tokio::test]
async fn the_helpers_tokens_verify_with_the_fixture_keys() {
    let mut cfg = Config::defaults();
    cfg.jwt_hs256_secret = Some(jwt::HS_SECRET.into());
    cfg.jwt_public_key = Some(jwt::rsa_public_pem());
    let v = verifier(&cfg);
    let id = v.verify(&jwt::hs256(jwt::claims("ann", 60))).await.unwrap();
    assert_eq!(id.user, "ann");
    assert!(id.expires_at > jwt::now() as u64);
    assert!(id.issued_at.is_some_and(|iat| iat <= jwt::now() as u64));
    assert_eq!(
        v.verify(&jwt::rs256(jwt::claims("bob", 60), None))
            .await
            .unwrap()
            .user,
        "bob"
    );
    assert_eq!(
        v.verify(&jwt::hs256(jwt::claims("late", -120))).await,
        Err(TokenError::Expired)
    );
    assert_eq!(
        v.verify(&jwt::rs256_second(jwt::claims("eve", 60), None))
            .await,
        Err(TokenError::Invalid("bad signature"))
    );

    cfg.jwt_hs256_secret = None;
    cfg.jwt_public_key = Some(jwt::ec_public_pem());
    let es = jwt::es256(jwt::claims("cy", 60), None);
    assert_eq!(verifier(&cfg).verify(&es).await.unwrap().user, "cy");
    cfg.jwt_public_key = Some(jwt::ed25519_public_pem());
    let ed = jwt::eddsa(jwt::claims("dee", 60), None);
    assert_eq!(verifier(&cfg).verify(&ed).await.unwrap().user, "dee");
}

#[tokio::test]
async fn the_jwks_server_serves_and_counts() {
    let server = JwksServer::start(vec![jwt::rsa_jwk("a"), jwt::ec_jwk("ec")]).await;
    let mut cfg = Config::defaults();
    cfg.jwt_jwks_url = Some(server.url());
    // No window between refetches: every unknown kid fetches.
    let v = verifier(&cfg).with_refetch_interval(Duration::ZERO);

    assert!(v
        .verify(&jwt::rs256(jwt::claims("ann", 60), Some("a")))
        .await
        .is_ok());
    assert!(v
        .verify(&jwt::es256(jwt::claims("ann", 60), Some("ec")))
        .await
        .is_ok());
    assert_eq!(server.requests(), 1);

    server.add_key(jwt::rsa_second_jwk("b"));
    server.add_key(jwt::ed25519_jwk("ed"));
    assert!(v
        .verify(&jwt::rs256_second(jwt::claims("bob", 60), Some("b")))
        .await
        .is_ok());
    assert!(v
        .verify(&jwt::eddsa(jwt::claims("bob", 60), Some("ed")))
        .await
        .is_ok());
    assert_eq!(server.requests(), 2);

    let stranger = jwt::rs256(jwt::claims("eve", 60), Some("zz"));
    for expected in [3, 4] {
        assert_eq!(
            v.verify(&stranger).await,
            Err(TokenError::Invalid("unknown kid"))
        );
        assert_eq!(server.requests(), expected);
    }
}
