//! Admission: foreign origins, REST CORS and the connection cap. As everywhere in these
//! tests, a game in progress on the same server keeps working throughout.

use tokio_tungstenite::tungstenite::Message;

use crate::common::{eventually, test_config, TestServer};
use crate::support::{rejected, try_upgrade, Bystanders};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_origins_are_refused_unless_allowed() {
    let srv = TestServer::start(test_config()).await;
    let mut calm = Bystanders::start(&srv).await;
    let evil = [("Origin", "http://evil.example")];
    assert_eq!(try_upgrade(&srv, &evil).await.err(), Some(403));
    assert!(rejected(&srv, "origin").await >= 1.0);
    assert!(
        try_upgrade(&srv, &[]).await.is_ok(),
        "no Origin: not a browser"
    );
    let own = format!("http://{}", srv.addr);
    assert!(try_upgrade(&srv, &[("Origin", &own)]).await.is_ok());
    calm.still_playing().await;

    let mut cfg = test_config();
    cfg.allowed_origins = vec!["http://evil.example".into()];
    let open = TestServer::start(cfg).await;
    assert!(try_upgrade(&open, &evil).await.is_ok());
    let other = [("Origin", "http://other.example")];
    assert_eq!(try_upgrade(&open, &other).await.err(), Some(403));
    calm.still_playing().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_cors_is_off_unless_configured() {
    let http = crate::common::http();
    let preflight = |srv: &TestServer, origin: &str| {
        http.request(reqwest::Method::OPTIONS, srv.url("/api/v1/rooms"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "authorization")
            .send()
    };
    let acao = |r: &reqwest::Response| {
        r.headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap_or_default().to_string())
    };
    let srv = TestServer::start(test_config()).await;
    let mut calm = Bystanders::start(&srv).await;
    let get = http
        .get(srv.url("/api/v1/rooms"))
        .bearer_auth(&srv.token)
        .header("Origin", "http://admin.example")
        .send()
        .await
        .expect("get");
    assert_eq!((get.status().as_u16(), acao(&get)), (200, None));
    let pre = preflight(&srv, "http://admin.example")
        .await
        .expect("options");
    assert_eq!(acao(&pre), None);

    let mut cfg = test_config();
    cfg.cors_origins = vec!["http://admin.example".into()];
    let cors = TestServer::start(cfg).await;
    let pre = preflight(&cors, "http://admin.example")
        .await
        .expect("options");
    assert!(pre.status().is_success(), "{}", pre.status());
    assert_eq!(acao(&pre).as_deref(), Some("http://admin.example"));
    let methods = pre.headers()["access-control-allow-methods"]
        .to_str()
        .expect("ascii");
    assert!(
        methods.contains("GET") && methods.contains("DELETE"),
        "{methods}"
    );
    let get = http
        .get(cors.url("/api/v1/rooms"))
        .bearer_auth(&cors.token)
        .header("Origin", "http://admin.example")
        .send()
        .await
        .expect("get");
    assert_eq!(acao(&get).as_deref(), Some("http://admin.example"));
    let evil = preflight(&cors, "http://evil.example")
        .await
        .expect("options");
    assert_eq!(acao(&evil), None);
    calm.still_playing().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_cap_refuses_with_503_then_frees_a_slot() {
    let mut cfg = test_config();
    cfg.max_connections = 4;
    let srv = TestServer::start(cfg).await;
    let mut calm = Bystanders::start(&srv).await;
    let mut third = srv.client().await;
    let mut fourth = srv.client().await;
    third.assert_alive().await;
    fourth.assert_alive().await;
    assert_eq!(try_upgrade(&srv, &[]).await.err(), Some(503));
    assert!(rejected(&srv, "max_connections").await >= 1.0);
    calm.still_playing().await;
    third.assert_alive().await;
    // Once one leaves, the next gets in.
    third.send_raw(Message::Close(None)).await;
    drop(third);
    eventually("a slot frees up", || async {
        match try_upgrade(&srv, &[]).await {
            Ok(mut ws) => {
                let _ = ws.close(None).await;
                true
            }
            Err(code) => {
                assert_eq!(code, 503);
                false
            }
        }
    })
    .await;
    fourth.assert_alive().await;
    calm.still_playing().await;
}
