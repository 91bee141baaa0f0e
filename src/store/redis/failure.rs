//! What a failed fred command means for the caller: a timeout, a lost connection (the
//! client is told `store_unavailable`), or anything else (`internal`). The fred error is
//! kept as the cause, for the log.

use fred::error::{Error as FredError, ErrorKind};

use crate::error::StoreError;

/// What fred says, with [`ErrorKind::Unknown`], when a command finds no connection to
/// write to (Redis down, or between a failover and the reconnect that follows it).
const NO_CONNECTION: &[&str] = &[
    "Failed to route command.",
    "Too many failed write attempts.",
    "Missing expected connection.",
    "Client is not initialized.",
    "Failed to send command to router.",
];

/// The store failure a fred error stands for, with the fred error as its cause.
pub(super) fn store_err(e: FredError) -> StoreError {
    match e.kind() {
        ErrorKind::Timeout => StoreError::Timeout,
        ErrorKind::IO
        | ErrorKind::Canceled
        | ErrorKind::Cluster
        | ErrorKind::Sentinel
        | ErrorKind::Routing
        | ErrorKind::Backpressure
        | ErrorKind::Tls => StoreError::Connection(Box::new(e)),
        ErrorKind::Unknown if NO_CONNECTION.contains(&e.details()) => {
            StoreError::Connection(Box::new(e))
        }
        _ => StoreError::Other(Box::new(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Chain;

    #[test]
    fn no_connection_is_store_unavailable_not_internal() {
        for msg in NO_CONNECTION {
            let e = FredError::new(ErrorKind::Unknown, *msg);
            assert!(matches!(store_err(e), StoreError::Connection(_)), "{msg}");
        }
        let e = FredError::new(ErrorKind::Routing, "Max attempts reached.");
        assert!(matches!(store_err(e), StoreError::Connection(_)));
        let e = FredError::new(ErrorKind::Unknown, "Expected array of redis values.");
        assert!(matches!(store_err(e), StoreError::Other(_)));
    }

    #[test]
    fn the_fred_error_is_kept_as_the_cause() {
        let e = store_err(FredError::new(ErrorKind::IO, "Connection reset by peer"));
        assert_eq!(
            Chain(&e).to_string(),
            "store connection failed: IO Error: Connection reset by peer"
        );
        let e = store_err(FredError::new(ErrorKind::InvalidArgument, "bad key"));
        assert_eq!(
            Chain(&e).to_string(),
            "store error: Invalid Argument: bad key"
        );
    }
}
