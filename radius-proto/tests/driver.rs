//! The tokio driver's own rules, against a silent server on loopback.

use std::time::Duration;

use radius_proto::Secret;
use radius_proto::client::{RadiusClient, RadiusClientConfig, RadiusServerConfig};
use radius_proto::driver::{RadiusClientDriver, RadiusDriverError};
use radius_proto::wire::{Attribute, attr};
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
