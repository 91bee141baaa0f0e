//! A results-webhook receiver for the bench: it reads every POST's body and answers
//! `204 No Content`, nothing more. It stands for the studio's backend, which in
//! production runs elsewhere; here it shares a core with redis-server and the load
//! tester, so it is written to cost as little as a receiver can (one thread, no
//! verification), lest its own CPU crowd out the processes being measured.
//!
//! ```text
//! taskset -c 1 target/release/examples/webhook_receiver 9200
//! ```

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Some(port) = std::env::args().nth(1).and_then(|p| p.parse::<u16>().ok()) else {
        eprintln!("usage: webhook_receiver PORT");
        std::process::exit(2);
    };
    // The body is read whole (as a real receiver must, to verify it) and dropped.
    let app = Router::new().fallback(post(|_body: Bytes| async { StatusCode::NO_CONTENT }));
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("webhook_receiver: cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("webhook_receiver: {e}");
        std::process::exit(1);
    }
}
