use std::net::{IpAddr, Ipv4Addr};

use actix_web::dev::ServiceRequest;
use comanda_config::IpRange;

/// The client's address as the rate limiter and the request log see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// The peer's address, or, when the peer is a trusted proxy, the nearest address in
/// `X-Forwarded-For` that is not itself a trusted proxy. Anyone else's `X-Forwarded-For` is
/// ignored: it is trivially forged.
pub fn resolve_client_ip(request: &ServiceRequest, trusted_proxies: &[IpRange]) -> IpAddr {
    let trusted = |address: &IpAddr| trusted_proxies.iter().any(|range| range.contains(*address));
    let peer = request
        .peer_addr()
        .map(|address| address.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if !trusted(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = request
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|item| item.trim().parse::<IpAddr>().ok())
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|address| !trusted(address))
        .or(forwarded.first())
        .copied()
        .unwrap_or(peer)
}
