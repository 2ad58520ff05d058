//! Which URLs are fetched: the one rule every URL and every redirect hop goes through.
//!
//! A URL is fetched when, in this order:
//! 1. it parses (the `url` crate's WHATWG parsing, which also turns `2130706433`, `0177.0.0.1`
//!    and `0x7f.1` into `127.0.0.1`), is `http` or `https` and has a host;
//! 2. it carries no user name or password;
//! 3. it is on the configured origin (scheme, host and port exactly: plain `http` on loopback
//!    is allowed there and nowhere else), or:
//! 4. its host is not an IP address that is not public ([`crate::address`]), it is `https`,
//!    and its host is on the allow-list. The origin's host is allowed only on the origin.
//!
//! A host name that passes is checked again on the addresses it resolves to, when the client
//! connects ([`crate::address`]).

use crate::address::is_public;
use crate::reason::NotFetchedReason;
use std::net::IpAddr;
use url::{Host, Url};

/// The storage hosts Velt's documentation shows in example file URLs
/// (`https://storage.googleapis.com/...` in the recordings and data-model pages) and the
/// Firebase storage host behind Velt's own uploads.
pub const DEFAULT_FILE_HOSTS: [&str; 2] =
    ["storage.googleapis.com", "firebasestorage.googleapis.com"];

/// One entry of the allow-list: a host name (`cdn.example.com`), or every subdomain of one
/// (`*.example.com`, which does not match `example.com` itself). Case does not matter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHost {
    name: String,
    subdomains: bool,
}

impl FileHost {
    /// Reads an entry as the CLI's `--file-host HOST` gives it. Refuses anything that is not
    /// a bare host (a scheme, port, path, user name or a blank), and IP addresses that are not
    /// public.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let (subdomains, name) = match trimmed.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        if name.is_empty() || name.contains(['/', ':', '@', '?', '#', '*', ' ', '\\']) {
            if name.starts_with('[') && name.ends_with(']') && !subdomains {
                // An IPv6 literal: checked below.
            } else {
                return Err(format!(
                    "{text:?} is not a host name (give it as cdn.example.com)"
                ));
            }
        }
        let url = Url::parse(&format!("https://{name}/"))
            .map_err(|e| format!("{text:?} is not a host name: {e}"))?;
        let host = url
            .host()
            .ok_or_else(|| format!("{text:?} is not a host name"))?;
        match host {
            Host::Domain(d) => Ok(Self {
                name: d.to_owned(),
                subdomains,
            }),
            Host::Ipv4(ip) if !subdomains && is_public(IpAddr::V4(ip)) => Ok(Self {
                name: ip.to_string(),
                subdomains,
            }),
            Host::Ipv6(ip) if !subdomains && is_public(IpAddr::V6(ip)) => Ok(Self {
                name: format!("[{ip}]"),
                subdomains,
            }),
            _ => Err(format!(
                "{text:?} is not a public host: loopback, private and link-local addresses are never allowed"
            )),
        }
    }

    fn matches(&self, host: &str) -> bool {
        if self.subdomains {
            host.len() > self.name.len() + 1
                && host.ends_with(&self.name)
                && host.as_bytes()[host.len() - self.name.len() - 1] == b'.'
        } else {
            host == self.name
        }
    }
}

impl std::fmt::Display for FileHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.subdomains {
            f.write_str("*.")?;
        }
        f.write_str(&self.name)
    }
}

/// The rule of the [module docs](self): the allow-list and the configured origin.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    pub(crate) hosts: Vec<FileHost>,
    pub(crate) origin: Option<url::Origin>,
}

impl Policy {
    /// The host name of the origin, when it is a name (the resolver trusts it).
    pub(crate) fn origin_host_name(&self) -> Option<String> {
        match &self.origin {
            Some(url::Origin::Tuple(_, Host::Domain(d), _)) => Some(d.clone()),
            _ => None,
        }
    }

    /// Parses `text` and checks it.
    pub(crate) fn check_text(&self, text: &str) -> Result<Url, NotFetchedReason> {
        let url = Url::parse(text.trim()).map_err(|e| NotFetchedReason::InvalidUrl {
            message: e.to_string(),
        })?;
        self.check(&url)?;
        Ok(url)
    }

    /// Checks a parsed URL (a redirect's target, resolved against the URL it came from).
    pub(crate) fn check(&self, url: &Url) -> Result<(), NotFetchedReason> {
        let scheme = url.scheme();
        if scheme != "https" && scheme != "http" {
            return Err(NotFetchedReason::SchemeNotAllowed {
                scheme: scheme.to_owned(),
            });
        }
        let Some(host) = url.host() else {
            return Err(NotFetchedReason::InvalidUrl {
                message: "no host".to_owned(),
            });
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(NotFetchedReason::CredentialsInUrl);
        }
        let origin = url.origin();
        if self.origin.as_ref() == Some(&origin) {
            return Ok(());
        }
        let host_text = url.host_str().unwrap_or_default().to_owned();
        let literal = match host {
            Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
            Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
            Host::Domain(_) => None,
        };
        if let Some(ip) = literal.filter(|ip| !is_public(*ip)) {
            return Err(NotFetchedReason::PrivateAddress {
                host: host_text,
                address: ip.to_string(),
            });
        }
        if scheme != "https" {
            return Err(NotFetchedReason::SchemeNotAllowed {
                scheme: scheme.to_owned(),
            });
        }
        let origin_host = match &self.origin {
            Some(url::Origin::Tuple(_, h, _)) => Some(h.to_string()),
            _ => None,
        };
        let on_list = self.hosts.iter().any(|h| h.matches(&host_text));
        if !on_list || origin_host.as_deref() == Some(host_text.as_str()) {
            return Err(NotFetchedReason::HostNotAllowed { host: host_text });
        }
        Ok(())
    }
}

/// `url` with a password in it replaced by `***`, for reports and events.
pub(crate) fn redacted(text: &str) -> String {
    match Url::parse(text.trim()) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(origin: Option<&str>) -> Policy {
        Policy {
            hosts: DEFAULT_FILE_HOSTS
                .iter()
                .map(|h| FileHost::parse(h).unwrap())
                .chain([FileHost::parse("*.cdn.example").unwrap()])
                .collect(),
            origin: origin.map(|o| Url::parse(o).unwrap().origin()),
        }
    }

    fn reason(p: &Policy, url: &str) -> NotFetchedReason {
        p.check_text(url).expect_err(url)
    }

    #[test]
    fn allows_https_on_the_list_and_the_exact_origin() {
        let p = policy(Some("http://127.0.0.1:8080"));
        for ok in [
            "https://storage.googleapis.com/bucket/voice.webm",
            "https://STORAGE.googleapis.com/b/o",
            "https://firebasestorage.googleapis.com/v0/b/x/o/y?alt=media&token=t",
            "https://a.cdn.example/x",
            "https://a.b.cdn.example/x",
            "http://127.0.0.1:8080/files/1",
        ] {
            assert!(p.check_text(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_loopback_off_the_origin_in_every_spelling() {
        let p = policy(Some("http://127.0.0.1:8080"));
        for url in [
            "http://127.0.0.1:8081/",
            "https://127.0.0.1:8080/",
            "http://127.0.0.1/",
            "http://2130706433:8081/",
            "http://0177.0.0.1:8081/",
            "http://0x7f.1:8081/",
            "http://0x7f000001/",
            "http://127.1/",
            "http://[::1]:8080/",
            "http://[::ffff:127.0.0.1]:8080/",
            "http://[::ffff:7f00:1]/",
            "http://169.254.169.254/latest/meta-data/",
            "https://169.254.169.254/",
            "http://0.0.0.0:8080/",
            "http://[::]/",
            "https://10.1.2.3/",
            "https://[fe80::1]/",
            "https://[fd00::1]/",
            "https://100.64.1.1/",
            "https://192.168.0.1/",
            "https://172.20.0.1/",
        ] {
            assert!(
                matches!(reason(&p, url), NotFetchedReason::PrivateAddress { .. }),
                "{url}: {:?}",
                reason(&p, url)
            );
        }
        // The normalized address is the one named.
        assert_eq!(
            reason(&p, "http://2130706433/"),
            NotFetchedReason::PrivateAddress {
                host: "127.0.0.1".into(),
                address: "127.0.0.1".into()
            }
        );
    }

    #[test]
    fn the_origin_host_name_is_allowed_only_on_the_origin() {
        let mut p = policy(Some("http://localhost:8080"));
        p.hosts.push(FileHost::parse("localhost").unwrap());
        assert!(p.check_text("http://localhost:8080/f").is_ok());
        assert!(matches!(
            reason(&p, "https://localhost:8443/f"),
            NotFetchedReason::HostNotAllowed { .. }
        ));
        assert!(matches!(
            reason(&p, "http://localhost:8081/f"),
            NotFetchedReason::SchemeNotAllowed { .. }
        ));
    }

    #[test]
    fn refuses_other_hosts_schemes_and_credentials() {
        let p = policy(None);
        assert_eq!(
            reason(&p, "https://evil.example/x"),
            NotFetchedReason::HostNotAllowed {
                host: "evil.example".into()
            }
        );
        assert!(matches!(
            reason(&p, "https://cdn.example/x"),
            NotFetchedReason::HostNotAllowed { .. }
        ));
        assert!(matches!(
            reason(&p, "https://evilcdn.example/x"),
            NotFetchedReason::HostNotAllowed { .. }
        ));
        assert!(matches!(
            reason(&p, "https://storage.googleapis.com.evil.example/x"),
            NotFetchedReason::HostNotAllowed { .. }
        ));
        assert!(matches!(
            reason(&p, "http://storage.googleapis.com/x"),
            NotFetchedReason::SchemeNotAllowed { .. }
        ));
        for scheme in [
            "file:///etc/passwd",
            "ftp://storage.googleapis.com/x",
            "data:text/plain,hi",
            "gopher://x/",
        ] {
            assert!(
                matches!(
                    reason(&p, scheme),
                    NotFetchedReason::SchemeNotAllowed { .. }
                ),
                "{scheme}"
            );
        }
        for creds in [
            "https://user:pass@storage.googleapis.com/x",
            "https://user@storage.googleapis.com/x",
            "https://:pass@storage.googleapis.com/x",
        ] {
            assert_eq!(
                reason(&p, creds),
                NotFetchedReason::CredentialsInUrl,
                "{creds}"
            );
        }
        for bad in ["", "not a url", "https://", "//storage.googleapis.com/x"] {
            assert!(
                matches!(reason(&p, bad), NotFetchedReason::InvalidUrl { .. }),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn file_hosts_are_bare_public_hosts() {
        assert_eq!(
            FileHost::parse("CDN.Example.com").unwrap().to_string(),
            "cdn.example.com"
        );
        assert_eq!(
            FileHost::parse("*.example.com").unwrap().to_string(),
            "*.example.com"
        );
        assert_eq!(FileHost::parse("8.8.8.8").unwrap().to_string(), "8.8.8.8");
        for bad in [
            "",
            "https://cdn.example.com",
            "cdn.example.com:443",
            "cdn.example.com/x",
            "user@cdn.example.com",
            "127.0.0.1",
            "2130706433",
            "[::1]",
            "169.254.169.254",
            "*.",
            "*.*.example.com",
        ] {
            assert!(FileHost::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redacted("https://u:secret@h.example/x"),
            "https://u:***@h.example/x"
        );
        assert_eq!(
            redacted("https://h.example/x?token=t"),
            "https://h.example/x?token=t"
        );
    }
}
