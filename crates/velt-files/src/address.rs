//! Which network addresses a file may come from, and the resolver that connects only to those.
//!
//! An address is fetched from only when it is public: not loopback, not private, not
//! link-local, not shared (carrier-grade NAT), not unspecified, not multicast, not reserved for
//! documentation or benchmarks, and not an IPv6 form of an IPv4 address (mapped, compatible,
//! NAT64, 6to4) whose IPv4 address is one of those. IPv4-mapped and IPv4-compatible IPv6
//! addresses are refused whatever they embed: no file host needs them.
//!
//! The check runs on the addresses a name resolves to, in the resolver the HTTP client
//! connects with ([`GuardedResolver`]), so the address checked is the address connected to:
//! a name that answers a public address to a first look-up and a private one to the next
//! (DNS rebinding) is never connected on the second.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Whether a file may be fetched from `ip`: see the [crate docs](crate#what-is-fetched).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let refused = a == 0 // "this network", 0.0.0.0 included
        || a == 10 // private
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier-grade NAT)
        || a == 127 // loopback
        || (a == 169 && b == 254) // link-local (cloud metadata services live here)
        || (a == 172 && (16..32).contains(&b)) // private
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 192 && b == 168) // private
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || a >= 224; // multicast, reserved, broadcast
    !refused
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    if ip.is_unspecified() || ip.is_loopback() {
        return false;
    }
    // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated): refused outright.
    if s[..5] == [0, 0, 0, 0, 0] && (s[5] == 0xffff || s[5] == 0) {
        return false;
    }
    // 64:ff9b::/96 (NAT64) reaches the embedded IPv4 address.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded_v4(s[6], s[7]));
    }
    // 2002::/16 (6to4) reaches the IPv4 address in its next 32 bits.
    if s[0] == 0x2002 {
        return is_public_v4(embedded_v4(s[1], s[2]));
    }
    let refused = (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
        || (s[0] & 0xff00) == 0xff00 // multicast
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x2001 && s[1] < 0x0200) // IETF protocol assignments (Teredo included)
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]) // discard-only 100::/64
        || s[0] == 0; // the rest of ::/16: unassigned and special forms
    !refused
}

fn embedded_v4(high: u16, low: u16) -> Ipv4Addr {
    let [a, b] = high.to_be_bytes();
    let [c, d] = low.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

/// Why the resolver gave no address: the name resolves only to refused addresses. Found in
/// the source chain of the HTTP client's error and turned into
/// [`NotFetchedReason::PrivateAddress`](crate::reason::NotFetchedReason::PrivateAddress).
#[derive(Debug)]
pub(crate) struct Refused {
    pub(crate) host: String,
    pub(crate) address: IpAddr,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} resolves to {}, which is not public",
            self.host, self.address
        )
    }
}

impl std::error::Error for Refused {}

/// The HTTP client's resolver: the system's look-up, then only the public addresses are
/// given to the connector. The host of the configured origin (when it is a name) is trusted
/// with whatever it resolves to, as the caller configured it; the URL check lets that name
/// through only on that exact origin.
#[derive(Debug, Clone)]
pub(crate) struct GuardedResolver {
    pub(crate) trusted_host: Option<String>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        let trusted = self.trusted_host.as_deref() == Some(host.as_str());
        Box::pin(resolve_checked(host, trusted))
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn resolve_checked(host: String, trusted: bool) -> Result<reqwest::dns::Addrs, BoxError> {
    let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
    if trusted {
        return Ok(Box::new(found.into_iter()));
    }
    let (public, refused): (Vec<SocketAddr>, Vec<SocketAddr>) =
        found.into_iter().partition(|a| is_public(a.ip()));
    match refused.first() {
        Some(first) if public.is_empty() => Err(Box::new(Refused {
            host,
            address: first.ip(),
        })),
        _ => Ok(Box::new(public.into_iter())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(text: &str) -> bool {
        is_public(text.parse().unwrap())
    }

    #[test]
    fn refuses_every_non_public_range() {
        for refused in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.255.255.255",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:8.8.8.8",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2002:c0a8:0101::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
            "100::1",
        ] {
            assert!(!public(refused), "{refused} should be refused");
        }
    }

    #[test]
    fn lets_public_addresses_through() {
        for allowed in [
            "8.8.8.8",
            "142.250.74.80",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "169.253.1.1",
            "192.169.0.1",
            "2607:f8b0:4004:c07::80",
            "2a00:1450:4001:82a::2010",
            "64:ff9b::808:808",
            "2002:0808:0808::1",
        ] {
            assert!(public(allowed), "{allowed} should be allowed");
        }
    }
}
