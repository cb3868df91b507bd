//! Where the server may connect on an account's behalf (SMTP relays, HTTP APIs): an admin types
//! a host, and without a check the server would connect from inside the network (to the
//! database, a cloud metadata service, an internal admin page) and show what it found.
//!
//! Only public unicast addresses are allowed, checked on the addresses a name RESOLVES to at
//! connect time (the connection then goes to the very address checked, so DNS cannot swap it
//! afterwards), unless the operator allows private targets (`serve --allow-private-relays`) or
//! lists a particular address (the demo's own relay).
//!
//! The policy is part of the operator's [`Config`](crate::config::Config) and travels with the
//! services that connect (`transport::Transports`, the desk's sender form): there is no
//! process-wide policy, so two apps in one process may each have their own.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The operator's policy for outbound connections.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Egress {
    /// Loopback, private, link-local and other special-purpose addresses are allowed too, and
    /// API URLs may be plain http.
    pub allow_private: bool,
    /// These addresses are allowed whatever they are (the demo's relay).
    pub allowed: Vec<SocketAddr>,
}

impl Egress {
    /// Public addresses only, https only (the default).
    pub fn public_only() -> Self {
        Egress::default()
    }

    /// Anything goes (a desk whose relays live on its own network; tests).
    pub fn allow_private() -> Self {
        Egress {
            allow_private: true,
            allowed: Vec::new(),
        }
    }

    /// Also allows this one address.
    pub fn allowing(mut self, addr: SocketAddr) -> Self {
        self.allowed.push(addr);
        self
    }

    pub fn permits(&self, addr: SocketAddr) -> bool {
        self.allow_private || self.allowed.contains(&addr) || is_public(addr.ip())
    }

    /// Plain-http API URLs are allowed only where private targets are.
    pub fn permits_plain_http(&self) -> bool {
        self.allow_private
    }

    /// The permitted addresses `host` resolves to, or why there are none.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
        let host = host.trim().trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| format!("{host}: {e}"))?
            .collect();
        let permitted: Vec<SocketAddr> =
            addrs.iter().copied().filter(|a| self.permits(*a)).collect();
        if permitted.is_empty() {
            return Err(refusal(host, addrs.first().map(|a| a.ip())));
        }
        Ok(permitted)
    }
}

fn refusal(host: &str, ip: Option<IpAddr>) -> String {
    match ip {
        Some(ip) if ip.to_string() != host => format!(
            "refused: {host} resolves to {ip}, which is not a public address \
             (the operator has not allowed private relays)"
        ),
        Some(_) => format!(
            "refused: {host} is not a public address (the operator has not allowed private relays)"
        ),
        None => format!("{host}: no address"),
    }
}

/// A public unicast address: not loopback, private, link-local, shared (CGNAT), multicast,
/// broadcast, documentation, benchmarking, reserved or unspecified (RFC 6890's registries).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address that is reached.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        let [a, b] = s[6].to_be_bytes();
        let [c, d] = s[7].to_be_bytes();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    if s[0] == 0x2002 {
        let [a, b] = s[1].to_be_bytes();
        let [c, d] = s[2].to_be_bytes();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]) // discard
        || s[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible (deprecated)
}

/// reqwest's resolver under the policy: names resolve to permitted addresses only.
pub struct EgressResolver(pub Egress);

impl reqwest::dns::Resolve for EgressResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = policy
                .resolve(&host, 0)
                .await
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e.into() })?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Checks an API base URL before it is stored or used: https (unless private targets are
/// allowed), a host, and if the host is an address literal, a permitted one (reqwest does not
/// resolve literals, so [`EgressResolver`] would not see them).
pub fn check_api_url(policy: &Egress, url: &str) -> Result<reqwest::Url, String> {
    let parsed =
        reqwest::Url::parse(url.trim()).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    match parsed.scheme() {
        "https" => {}
        "http" if policy.permits_plain_http() => {}
        "http" => return Err(format!("{url} must use https")),
        other => return Err(format!("{url}: {other}:// is not an API URL; use https")),
    }
    let port = parsed.port_or_known_default().unwrap_or(443);
    let Some(host) = parsed.host_str() else {
        return Err(format!("{url} has no host"));
    };
    check_relay_host(policy, host, port)?;
    Ok(parsed)
}

/// Checks an SMTP relay host that is an address literal (names are checked when resolved).
pub fn check_relay_host(policy: &Egress, host: &str, port: u16) -> Result<(), String> {
    let literal = host.trim().trim_start_matches('[').trim_end_matches(']');
    match literal.parse::<IpAddr>() {
        Ok(ip) if !policy.permits(SocketAddr::new(ip, port)) => Err(refusal(literal, Some(ip))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_purpose_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2001:db8::1",
            "ff02::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn names_are_checked_on_what_they_resolve_to() {
        let strict = Egress::public_only();
        let e = strict.resolve("localhost", 25).await.unwrap_err();
        assert!(e.contains("not a public address"), "{e}");
        assert!(strict.resolve("127.0.0.1", 25).await.is_err());
        assert!(Egress::allow_private()
            .resolve("localhost", 25)
            .await
            .is_ok());
        let demo = Egress::public_only().allowing("127.0.0.1:2526".parse().unwrap());
        assert!(demo.resolve("127.0.0.1", 2526).await.is_ok());
        assert!(demo.resolve("127.0.0.1", 2527).await.is_err());
    }

    #[test]
    fn api_urls_need_https_and_a_public_literal() {
        let strict = Egress::public_only();
        assert!(check_api_url(&strict, "https://api.postmarkapp.com").is_ok());
        assert!(check_api_url(&strict, "http://api.postmarkapp.com")
            .unwrap_err()
            .contains("https"));
        assert!(check_api_url(&strict, "https://169.254.169.254/latest").is_err());
        assert!(check_api_url(&strict, "https://[::1]:8443").is_err());
        assert!(check_api_url(&strict, "file:///etc/passwd").is_err());
        assert!(check_api_url(&Egress::allow_private(), "http://127.0.0.1:9/").is_ok());
        assert!(check_relay_host(&strict, "10.0.0.5", 25).is_err());
        assert!(check_relay_host(&strict, "smtp.example.com", 25).is_ok());
    }
}
