//! Secrets never reach the logs: the real binary at `RUST_LOG=debug` (every crate's debug
//! output included) plays a game with a resume and serves admin calls, and its whole
//! output is searched for the admin token and every session token.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{free_port, wait_healthy, Client};

const BIN: &str = env!("CARGO_BIN_EXE_parlor");

/// A running `parlor` process writing its output to files (pipes could fill and stall it).
struct Proc {
    child: Child,
    port: u16,
    out: PathBuf,
    err: PathBuf,
}

impl Proc {
    async fn spawn(extra: &[&str]) -> Proc {
        let port = free_port();
        let dir = std::env::temp_dir();
        let stem = format!("parlor-hostile-{}-{port}", std::process::id());
        let (out, err) = (
            dir.join(format!("{stem}.out")),
            dir.join(format!("{stem}.err")),
        );
        let child = Command::new(BIN)
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--log-format",
                "json",
            ])
            .args(extra)
            .env("RUST_LOG", "debug")
            .env_remove("PARLOR_ADMIN_TOKEN")
            .stdout(Stdio::from(File::create(&out).expect("stdout file")))
            .stderr(Stdio::from(File::create(&err).expect("stderr file")))
            .spawn()
            .expect("spawn parlor");
        wait_healthy(port).await;
        Proc {
            child,
            port,
            out,
            err,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn ws(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.port)
    }

    /// Everything written to stdout and stderr so far.
    fn output(&self) -> String {
        let read = |p: &PathBuf| std::fs::read_to_string(p).unwrap_or_default();
        format!("{}\n{}", read(&self.out), read(&self.err))
    }

    /// SIGTERM, wait for the exit, and return the whole output.
    async fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(status.is_ok_and(|s| s.success()), "kill -TERM");
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.child.try_wait().expect("wait").is_none() {
            assert!(Instant::now() < deadline, "server did not exit");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let all = self.output();
        let _ = std::fs::remove_file(&self.out);
        let _ = std::fs::remove_file(&self.err);
        all
    }
}

async fn admin(p: &Proc, token: &str, path: &str) -> u16 {
    crate::common::http()
        .get(p.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("admin request")
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_never_reach_the_logs() {
    let p = Proc::spawn(&["--admin-token", "SECRET123"]).await;
    let (mut a, mut b) = (
        Client::connect(&p.ws()).await,
        Client::connect(&p.ws()).await,
    );
    let sa = a.create("tictactoe", "alice").await;
    let sb = b.join(&sa.room, "bob").await;
    a.act(json!({"cell": 4})).await;
    b.next_state().await;
    a.send(json!({"type": "chat", "text": "good luck"})).await;
    drop(b);
    // Back on a new socket with the session token; then a guessed token is refused.
    let session_b = sb.session.clone().expect("session");
    let mut b2 = Client::connect(&p.ws()).await;
    assert_eq!(b2.resume(&session_b).await.seat, Some(1));
    b2.act(json!({"cell": 0})).await;
    a.recv_until(|v| v["type"] == "state" && v["state"]["board"][0] == 1)
        .await;
    let guessed = format!("{}{}", sa.room, "Q".repeat(32));
    let mut c = Client::connect(&p.ws()).await;
    c.expect_error(
        json!({"type": "resume", "session": guessed}),
        "invalid_session",
    )
    .await;
    for path in [
        "/api/v1/rooms",
        &format!("/api/v1/rooms/{}", sa.room),
        &format!("/api/v1/rooms/{}/players", sa.room),
        "/api/v1/stats",
    ] {
        assert_eq!(admin(&p, "SECRET123", path).await, 200, "{path}");
    }
    assert_eq!(admin(&p, "WRONG-SECRET456", "/api/v1/stats").await, 401);
    let path = format!("/api/v1/rooms/{}/players/{}", sa.room, sb.player_id);
    let kicked = crate::common::http()
        .delete(p.url(&path))
        .bearer_auth("SECRET123")
        .send()
        .await
        .expect("kick");
    assert!(kicked.status().is_success());
    let logs = p.stop().await;

    // The output is real debug logging, including the WebSocket connections.
    assert!(logs.contains(r#""level":"DEBUG""#), "debug logging was on");
    assert!(
        logs.contains(&sa.room),
        "rooms are logged, so the search means something"
    );
    let session_a = sa.session.clone().expect("session");
    let secrets = [
        "SECRET123",
        "WRONG-SECRET456",
        &session_a,
        &session_a[6..],
        &session_b,
        &session_b[6..],
        &guessed[6..],
    ];
    for secret in secrets {
        assert!(!logs.contains(secret), "{secret} was logged");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_admin_token_is_logged_exactly_once() {
    let p = Proc::spawn(&[]).await;
    let output = p.output();
    let token = output
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find_map(|v| v["fields"]["admin_token"].as_str().map(str::to_string))
        .expect("the generated token is logged");
    assert!(token.len() >= 32, "a long random token: {token}");
    assert_eq!(admin(&p, &token, "/api/v1/stats").await, 200);
    assert_eq!(admin(&p, &token, "/api/v1/rooms").await, 200);
    let mut c = Client::connect(&p.ws()).await;
    c.create("connect4", "solo").await;
    let logs = p.stop().await;
    assert_eq!(logs.matches(&token).count(), 1, "logged once, at start");
}
