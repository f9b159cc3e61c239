//! A RADIUS Access-Request answered by a real server through the tokio
//! driver: the driver owns the client machine and its socket, retransmits
//! and fails over inside, and hands back the verified answer.
//!
//! `cargo run -p radius-proto --features tokio --example tokio_access_request -- \
//!     [SERVER:PORT [SECRET [USER [PASSWORD]]]]`
//!
//! The defaults match a stock FreeRADIUS on this host (client `localhost`,
//! secret `testing123`); the accounting port is the next one.

use std::io::Read;
use std::net::SocketAddr;

use radius_proto::dict::AccessReply;
use radius_proto::driver::RadiusClientDriver;
use radius_proto::wire::{Attribute, attr};
use radius_proto::{RadiusClient, RadiusClientConfig, RadiusServerConfig, Secret};
use sansio_primitives::SeededRng;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let auth: SocketAddr = args.next().as_deref().unwrap_or("127.0.0.1:1812").parse()?;
    let secret = args.next().unwrap_or_else(|| "testing123".into());
    let user = args.next().unwrap_or_else(|| "alice".into());
    let password = args.next().unwrap_or_else(|| "wonderland".into());
    let acct = SocketAddr::new(auth.ip(), auth.port() + 1);

    let server = RadiusServerConfig::new(auth, acct, Secret::new(secret.as_bytes()));
    let mut config = RadiusClientConfig::new(vec![server]);
    config.nas_identifier = Some(b"example-nas".to_vec());
    config.max_tries = 2;
    // Request Authenticators must be unpredictable (RFC 2865 §3).
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut seed)?;
    let client = RadiusClient::new(config, SeededRng::from_seed(seed))?;
    let nas = RadiusClientDriver::bind(client, "127.0.0.1:0".parse()?, 1024).await?;

    let attributes = [Attribute::bytes(attr::USER_NAME, user.as_bytes())];
    let answer = nas
        .authenticate(&attributes, Some(password.as_bytes()))
        .await?;
    let reply = AccessReply::from_packet(&answer.packet()?);
    println!(
        "{auth} answered {:?}: Framed-IP-Address {:?}, Session-Timeout {:?}",
        answer.code, reply.framed_ip, reply.session_timeout
    );
    Ok(())
}
