//! The tokio driver's own rules, against a silent server on loopback.

use std::time::Duration;

use radius_proto::client::{AccountingRecord, AcctStatusType};
use radius_proto::driver::{RadiusClientDriver, RadiusDriverError};
use radius_proto::wire::{Attribute, Code, Packet, attr};
use radius_proto::{
    RadiusClient, RadiusClientConfig, RadiusClientEvent, RadiusServerConfig, Secret, crypto,
};
use sansio_primitives::SeededRng;

/// With every Identifier of the one source in flight, one request waits in
/// the FIFO (`max_queued` 1) and the next is refused at once with
/// `QueueFull` instead of waiting without bound.
#[test]
fn the_fifo_beyond_the_identifiers_is_bounded() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // Holds the port so nothing answers and nothing is refused by ICMP.
        let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server = silent.local_addr().unwrap();
        let mut cfg = RadiusClientConfig::new(vec![RadiusServerConfig::new(
            server,
            server,
            Secret::new(&b"s3cret"[..]),
        )]);
        cfg.nas_identifier = Some(b"nas".to_vec());
        cfg.timeout = Duration::from_secs(30);
        let client = RadiusClient::new(cfg, SeededRng::from_u64(1)).unwrap();
        let nas = RadiusClientDriver::bind(client, "127.0.0.1:0".parse().unwrap(), 1)
            .await
            .unwrap();
        let user = [Attribute::bytes(attr::USER_NAME, b"alice")];
        let mut waiting = Vec::new();
        for _ in 0..257 {
            let nas = nas.clone();
            waiting.push(tokio::spawn(async move {
                nas.authenticate(&user, Some(b"pw")).await
            }));
            tokio::task::yield_now().await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(waiting.iter().all(|h| !h.is_finished()));
        let refused =
            tokio::time::timeout(Duration::from_secs(2), nas.authenticate(&user, Some(b"pw")))
                .await
                .expect("refused at once, not queued");
        assert_eq!(refused.unwrap_err(), RadiusDriverError::QueueFull);
        for h in waiting {
            h.abort();
        }
    });
}

/// A queued request whose caller stopped waiting is withdrawn: when the
/// Identifiers free up, only the requests still awaited go out.
#[test]
fn a_queued_request_dropped_by_its_caller_is_not_sent() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server = silent.local_addr().unwrap();
        // Counts what arrives, read as it comes (the socket buffer is small).
        let counter = tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            let mut n = 0;
            while tokio::time::timeout(Duration::from_secs(1), silent.recv_from(&mut buf))
                .await
                .is_ok()
            {
                n += 1;
            }
            n
        });
        let mut cfg = RadiusClientConfig::new(vec![RadiusServerConfig::new(
            server,
            server,
            Secret::new(&b"s3cret"[..]),
        )]);
        cfg.nas_identifier = Some(b"nas".to_vec());
        cfg.timeout = Duration::from_millis(300);
        cfg.max_tries = 1;
        let client = RadiusClient::new(cfg, SeededRng::from_u64(2)).unwrap();
        let nas = RadiusClientDriver::bind(client, "127.0.0.1:0".parse().unwrap(), 16)
            .await
            .unwrap();
        let user = [Attribute::bytes(attr::USER_NAME, b"alice")];
        let mut waiting = Vec::new();
        for _ in 0..256 {
            let nas = nas.clone();
            waiting.push(tokio::spawn(async move {
                nas.authenticate(&user, Some(b"pw")).await
            }));
            tokio::task::yield_now().await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        // Queued behind the 256, then abandoned.
        let gave_up =
            tokio::time::timeout(Duration::from_millis(50), nas.authenticate(&user, None)).await;
        assert!(gave_up.is_err());
        // Queued and awaited: sent once the 256 time out.
        let kept = tokio::spawn({
            let nas = nas.clone();
            async move { nas.authenticate(&user, None).await }
        });
        for h in waiting {
            assert_eq!(h.await.unwrap().unwrap_err(), RadiusDriverError::Timeout);
        }
        assert_eq!(kept.await.unwrap().unwrap_err(), RadiusDriverError::Timeout);
        let received = counter.await.unwrap();
        assert_eq!(
            received, 257,
            "the 256, the kept one, not the abandoned one"
        );
    });
}

fn silent_client(server: std::net::SocketAddr, timeout: Duration) -> RadiusClient {
    let mut cfg = RadiusClientConfig::new(vec![RadiusServerConfig::new(
        server,
        server,
        Secret::new(&b"s3cret"[..]),
    )]);
    cfg.nas_identifier = Some(b"nas".to_vec());
    cfg.timeout = timeout;
    cfg.max_tries = 1;
    RadiusClient::new(cfg, SeededRng::from_u64(3)).unwrap()
}

/// `try_*` decide without awaiting: with the 256 Identifiers of one source
/// free and `max_queued` 1, 257 requests are admitted back to back (no
/// yield, so the task has not run) and the next of either kind is refused
/// on the spot — what an event loop that must not stall relies on.
#[test]
fn requests_are_admitted_or_refused_at_once() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server = silent.local_addr().unwrap();
        let client = silent_client(server, Duration::from_secs(30));
        let nas = RadiusClientDriver::bind(client, "127.0.0.1:0".parse().unwrap(), 1)
            .await
            .unwrap();
        let user = [Attribute::bytes(attr::USER_NAME, b"alice")];
        let answers: Vec<_> = (0..257)
            .map(|_| nas.try_authenticate(&user, Some(b"pw")).unwrap())
            .collect();
        assert_eq!(nas.queued(), 257);
        assert_eq!(
            nas.try_authenticate(&user, None).unwrap_err(),
            RadiusDriverError::QueueFull
        );
        let stop = AccountingRecord::new(AcctStatusType::Stop, b"s1");
        assert_eq!(
            nas.try_account(&stop).unwrap_err(),
            RadiusDriverError::QueueFull
        );
        // The task hands 256 to the machine; one waits for an Identifier.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!((nas.in_flight(), nas.queued()), (256, 1));
        assert_eq!(nas.counters().requests, 256);
        assert_eq!(
            nas.try_account(&stop).unwrap_err(),
            RadiusDriverError::QueueFull
        );
        drop(answers);
    });
}

/// Answers every Accounting-Request with a signed Accounting-Response and
/// reports the Acct-Status-Type of each request, in arrival order.
async fn accounting_server(
    sock: tokio::net::UdpSocket,
    seen: tokio::sync::mpsc::UnboundedSender<Option<u32>>,
) {
    let mut buf = [0u8; 4096];
    while let Ok((n, from)) = sock.recv_from(&mut buf).await {
        let req = Packet::parse(&buf[..n]).unwrap();
        let _ = seen.send(req.get(attr::ACCT_STATUS_TYPE).and_then(|v| v.as_u32()));
        if req.code != Code::AccountingRequest {
            continue;
        }
        let mut answer = Packet::new(Code::AccountingResponse, req.identifier, req.authenticator)
            .to_vec()
            .unwrap();
        crypto::sign_response(&mut answer, &req.authenticator, b"s3cret");
        sock.send_to(&answer, from).await.unwrap();
    }
}

/// The Accounting-On gate: closed from `accounting_on` until the answer
/// (here: a server that answers), even when the caller drops its answer
/// future; the Accounting-On reaches the server before a request admitted
/// after it.
#[test]
fn the_accounting_on_gate_opens_on_the_answer() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server = sock.local_addr().unwrap();
        let (tx, mut seen) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(accounting_server(sock, tx));
        let client = silent_client(server, Duration::from_secs(30));
        let nas = RadiusClientDriver::bind(client, "127.0.0.1:0".parse().unwrap(), 16)
            .await
            .unwrap();
        assert!(nas.accounting_on_done(), "open before any Accounting-On");
        let on = nas.accounting_on(&[], None).unwrap();
        assert!(!nas.accounting_on_done());
        drop(on);
        let start = nas
            .try_account(&AccountingRecord::new(AcctStatusType::Start, b"s1"))
            .unwrap();
        assert_eq!(start.await.unwrap().code, Code::AccountingResponse);
        // Accounting-On (7) first, then Start (1).
        assert_eq!(seen.recv().await, Some(Some(7)));
        assert_eq!(seen.recv().await, Some(Some(1)));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(nas.accounting_on_done(), "open once answered");
    });
}

/// When no server answers, the gate opens once the retries are over: a NAS
/// then accepts sessions rather than none.
#[test]
fn the_accounting_on_gate_opens_when_no_server_answers() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server = silent.local_addr().unwrap();
        let client = silent_client(server, Duration::from_secs(1));
        let nas = RadiusClientDriver::bind(client, "127.0.0.1:0".parse().unwrap(), 16)
            .await
            .unwrap();
        let on = nas.accounting_on(&[], None).unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!nas.accounting_on_done(), "closed while it may be answered");
        assert_eq!(on.await.unwrap_err(), RadiusDriverError::Timeout);
        assert!(nas.accounting_on_done());
        assert_eq!(nas.counters().timeouts, 1);
    });
}

/// A server that fails its requests is reported once through
/// `server_events` (for the application's log), and the request fails over
/// to the next server.
#[test]
fn a_dead_server_is_reported() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let dead = silent.local_addr().unwrap();
        let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let live = sock.local_addr().unwrap();
        let (tx, _seen) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(accounting_server(sock, tx));
        let secret = || Secret::new(&b"s3cret"[..]);
        let mut cfg = RadiusClientConfig::new(vec![
            RadiusServerConfig::new(dead, dead, secret()),
            RadiusServerConfig::new(live, live, secret()),
        ]);
        cfg.nas_identifier = Some(b"nas".to_vec());
        cfg.timeout = Duration::from_millis(200);
        cfg.max_tries = 1;
        let client = RadiusClient::new(cfg, SeededRng::from_u64(5)).unwrap();
        let nas = RadiusClientDriver::bind(client, "127.0.0.1:0".parse().unwrap(), 16)
            .await
            .unwrap();
        assert!(nas.server_events().is_empty());
        // Smooth weighted round-robin: the first request goes to server 0.
        let start = AccountingRecord::new(AcctStatusType::Start, b"s1");
        let answer = nas.account(&start).await.unwrap();
        assert_eq!((answer.server, answer.code), (1, Code::AccountingResponse));
        let events = nas.server_events();
        assert!(
            matches!(
                events[..],
                [RadiusClientEvent::ServerDead { server: 0, .. }]
            ),
            "{events:?}"
        );
        assert!(nas.server_events().is_empty(), "each reported once");
    });
}
