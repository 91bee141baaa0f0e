//! Changes a node delivers itself ([`Hub::begin_local`]) stay in version order with the
//! events it hears over pub/sub, whatever order they reach the hub in.

use super::*;

const ROOM: &str = "ABCDEF";

/// A hub with one confirmed member in `ROOM`, and that member's queue.
fn hub_with_member() -> (Hub, OutboxRx) {
    let hub = Hub::new();
    let (tx, rx) = outbox(32);
    hub.attach(
        ROOM,
        Member {
            conn: 1,
            player_id: Arc::from("p_1"),
            epoch: 1,
            seat: Some(0),
            tx,
            confirmed: true,
        },
    );
    (hub, rx)
}

fn event(version: u64) -> Envelope {
    Envelope::to_all(Some(version), vec![format!("{{\"v\":{version}}}")])
}

/// The versions the member was sent, in order.
fn received(rx: &mut OutboxRx) -> Vec<u64> {
    let mut out = Vec::new();
    while let Some(Outbound::Event(e)) = rx.try_recv() {
        out.push(e.version.unwrap_or(0));
    }
    out
}

#[test]
fn a_local_write_needs_everything_before_it_delivered() {
    let (hub, mut rx) = hub_with_member();
    assert!(!hub.begin_local(ROOM, 4, 5), "nothing delivered yet");
    hub.deliver(ROOM, event(4));
    assert!(!hub.begin_local("OTHER1", 4, 5), "no local members there");
    assert!(hub.begin_local(ROOM, 4, 5));
    assert!(!hub.begin_local(ROOM, 5, 6), "one at a time");
    hub.finish_local(ROOM, 5, Some(event(5)));
    assert!(hub.begin_local(ROOM, 5, 6), "5 was delivered here");
    hub.finish_local(ROOM, 6, Some(event(6)));
    assert_eq!(received(&mut rx), [4, 5, 6]);
}

#[test]
fn newer_events_wait_for_the_local_write() {
    let (hub, mut rx) = hub_with_member();
    hub.deliver(ROOM, event(4));
    assert!(hub.begin_local(ROOM, 4, 5));
    // Another node built on 5 before this node got around to delivering it.
    hub.deliver(ROOM, event(7));
    hub.deliver(ROOM, event(6));
    assert_eq!(received(&mut rx), [4]);
    hub.finish_local(ROOM, 5, Some(event(5)));
    assert_eq!(received(&mut rx), [5, 6, 7]);
}

#[test]
fn a_write_that_was_published_after_all_is_delivered_once() {
    let (hub, mut rx) = hub_with_member();
    hub.deliver(ROOM, event(4));
    assert!(hub.begin_local(ROOM, 4, 5));
    hub.deliver(ROOM, event(6));
    // Someone else listened, so the write went out and came back by pub/sub.
    hub.deliver(ROOM, event(5));
    hub.finish_local(ROOM, 5, None);
    assert_eq!(received(&mut rx), [4, 5, 6]);
    assert!(hub.begin_local(ROOM, 6, 7), "settled by its own event");
}

#[test]
fn a_refused_or_lost_write_releases_what_waited() {
    let (hub, mut rx) = hub_with_member();
    hub.deliver(ROOM, event(4));
    assert!(hub.begin_local(ROOM, 4, 5));
    hub.deliver(ROOM, event(6));
    hub.finish_local(ROOM, 5, None);
    assert_eq!(received(&mut rx), [4, 6]);
    // Chat carries no version and never waits.
    assert!(hub.begin_local(ROOM, 6, 7));
    hub.deliver(ROOM, Envelope::to_all(None, vec!["{}".into()]));
    assert_eq!(received(&mut rx), [0]);
    hub.finish_local(ROOM, 7, None);
}
