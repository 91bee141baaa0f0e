//! One WebSocket connection: connect with a deadline, classify why a connect failed,
//! read the next text frame, and close politely.

use std::io;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use url::Url;

/// A client WebSocket.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Time allowed for the closing handshake before the socket is simply dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Small buffers: thousands of sockets share the machine with the server, and Parlor's
/// frames are small (the server's own limit is 16 KiB).
fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(Some(1 << 20))
        .max_frame_size(Some(1 << 20))
}

/// Opens a WebSocket to `url` (Nagle off, so latency is the server's, not TCP's),
/// giving up after `timeout`. The error is a reason class for the report.
pub async fn connect(url: &Url, timeout: Duration) -> Result<Ws, String> {
    let attempt = tokio_tungstenite::connect_async_with_config(url.as_str(), Some(config()), true);
    match tokio::time::timeout(timeout, attempt).await {
        Err(_) => Err("timeout".into()),
        Ok(Err(err)) => Err(failure_class(&err)),
        Ok(Ok((ws, _response))) => Ok(ws),
    }
}

/// A short, bounded name for why a connect failed.
fn failure_class(err: &WsError) -> String {
    match err {
        WsError::Http(response) => format!("http_{}", response.status().as_u16()),
        WsError::Io(err) => io_class(err),
        WsError::Url(_) => "bad_url".into(),
        WsError::Tls(_) => "tls".into(),
        WsError::ConnectionClosed | WsError::AlreadyClosed => "closed_in_handshake".into(),
        WsError::Protocol(_) => "bad_handshake".into(),
        _ => "handshake".into(),
    }
}

fn io_class(err: &io::Error) -> String {
    // EMFILE/ENFILE (24/23) and EADDRNOTAVAIL (99) are limits of this machine, not of
    // the server: name them so a reader does not blame the server.
    match (err.kind(), err.raw_os_error()) {
        (io::ErrorKind::ConnectionRefused, _) => "refused".into(),
        (io::ErrorKind::ConnectionReset, _) => "reset".into(),
        (io::ErrorKind::TimedOut, _) => "timeout".into(),
        (_, Some(23 | 24)) => "fd_limit".into(),
        (io::ErrorKind::AddrNotAvailable, _) | (_, Some(99)) => "no_local_port".into(),
        (kind, _) => format!("io_{kind:?}").to_ascii_lowercase(),
    }
}

/// What reading the socket gave.
pub enum Read {
    /// A text frame.
    Text(Utf8Bytes),
    /// The connection ended; the string names how (for the unexpected-close report).
    Closed(String),
}

/// Reads until the next text frame or the end of the connection. Pings are answered by
/// tungstenite itself; binary frames are ignored (Parlor sends none).
pub async fn next_text(ws: &mut Ws) -> Read {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => return Read::Text(text),
            Some(Ok(Message::Close(frame))) => {
                let code = frame.map_or(1005, |f| u16::from(f.code));
                return Read::Closed(format!("close_{code}"));
            }
            Some(Ok(_)) => continue,
            Some(Err(err)) => return Read::Closed(read_error_class(&err)),
            None => return Read::Closed("eof".into()),
        }
    }
}

fn read_error_class(err: &WsError) -> String {
    match err {
        WsError::Io(err) => io_class(err),
        WsError::ConnectionClosed | WsError::AlreadyClosed => "eof".into(),
        WsError::Capacity(_) => "frame_too_large".into(),
        WsError::Protocol(_) => "protocol_error".into(),
        WsError::Utf8(_) => "bad_utf8".into(),
        _ => "read_error".into(),
    }
}

/// Sends one text frame.
pub async fn send(ws: &mut Ws, text: String) -> Result<(), String> {
    ws.send(Message::text(text))
        .await
        .map_err(|err| read_error_class(&err))
}

/// Sends a close frame and waits briefly for the server's, so the server sees a clean
/// close rather than a reset. Errors do not matter here: the run is over.
pub async fn close(mut ws: Ws) {
    let handshake = async {
        if ws.close(None).await.is_err() {
            return;
        }
        while let Some(Ok(_)) = ws.next().await {}
    };
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, handshake).await;
}
