//! `TRUSTED_PROXIES` entries: an address (`10.0.0.7`) or a CIDR range (`10.0.0.0/8`), since
//! ingress controller pods change address.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    pub fn contains(&self, address: IpAddr) -> bool {
        // An IPv4 peer may show up mapped into IPv6 (`::ffff:10.0.0.7`).
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        match (self.network, address) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for IpRange {
    type Err = ();

    fn from_str(raw: &str) -> Result<Self, ()> {
        let (address, prefix) = match raw.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (raw, None),
        };
        let network: IpAddr = address.trim().parse().map_err(|_| ())?;
        let most = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= most)
                .ok_or(())?,
            None => most,
        };
        Ok(Self { network, prefix })
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(raw: &str) -> IpAddr {
        raw.parse().expect("address")
    }

    #[test]
    fn ranges_hold_their_addresses_only() {
        let range: IpRange = "10.42.0.0/16".parse().expect("range");
        assert!(range.contains(ip("10.42.3.9")));
        assert!(range.contains(ip("::ffff:10.42.3.9")));
        assert!(!range.contains(ip("10.43.0.1")));
        let single: IpRange = "127.0.0.1".parse().expect("address");
        assert!(single.contains(ip("127.0.0.1")) && !single.contains(ip("127.0.0.2")));
        let v6: IpRange = "fd00::/8".parse().expect("range");
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        let everything: IpRange = "0.0.0.0/0".parse().expect("range");
        assert!(everything.contains(ip("203.0.113.9")));
        for bad in ["10.0.0.0/33", "nope", "10.0.0.0/x", "::/129"] {
            assert!(bad.parse::<IpRange>().is_err(), "{bad}");
        }
    }
}
