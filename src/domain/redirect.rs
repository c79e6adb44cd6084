//! Where a public client (an app with no secret: a single-page app in a browser, a mobile or
//! desktop app) may have its codes sent, and which browser origins may call the token
//! endpoints from script. RFC 8252 (OAuth 2.0 for Native Apps) §7 names the three kinds of
//! redirect a native app can receive; anything else could deliver a code to someone else.

use url::{Host, Url};

/// The kinds of redirect URI a public client may register (RFC 8252 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicRedirect {
    /// §7.2: an `https` URI the app claims (or a single-page app's own page).
    ClaimedHttps,
    /// §7.1: a private-use scheme in reverse-domain form, e.g. `id.go.bkn.mobile:/cb`.
    PrivateUse,
    /// §7.3: `http://127.0.0.1/…` or `http://[::1]/…`; the port is chosen at run time.
    Loopback,
}

/// Classifies a public client's redirect URI, or says why it cannot be one.
pub fn public_redirect(s: &str) -> Result<PublicRedirect, String> {
    let url = Url::parse(s).map_err(|e| format!("bad URI {s:?}: {e}"))?;
    if url.fragment().is_some() || s.contains(' ') {
        return Err(format!("bad URI {s:?}: no #fragment and no spaces allowed"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("bad URI {s:?}: it must not carry a user name"));
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(PublicRedirect::ClaimedHttps),
        "http" => match url.host() {
            Some(Host::Ipv4(ip)) if ip == std::net::Ipv4Addr::LOCALHOST => {
                Ok(PublicRedirect::Loopback)
            }
            Some(Host::Ipv6(ip)) if ip == std::net::Ipv6Addr::LOCALHOST => {
                Ok(PublicRedirect::Loopback)
            }
            // RFC 8252 §8.3: `localhost` may resolve elsewhere (or be listened on by another
            // app on another interface); only the IP literals are a loopback redirect.
            Some(Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => Err(format!(
                "bad URI {s:?}: use http://127.0.0.1 or http://[::1] instead of localhost (RFC 8252 §8.3)"
            )),
            _ => Err(format!(
                "bad URI {s:?}: http is allowed only for the loopback addresses 127.0.0.1 and [::1]"
            )),
        },
        scheme if private_use_scheme(scheme) => {
            // §7.1: `com.example.app:/oauth2redirect` — one slash, no authority part.
            if url.host().is_some() || !url.path().starts_with('/') {
                return Err(format!(
                    "bad URI {s:?}: a private-use scheme redirect reads scheme:/path (one slash, no host)"
                ));
            }
            Ok(PublicRedirect::PrivateUse)
        }
        _ => Err(format!(
            "bad URI {s:?}: a public client may use https, a loopback http://127.0.0.1 or \
             http://[::1] address, or a private-use scheme in reverse-domain form such as \
             id.go.bkn.mobile:/oauth2redirect (RFC 8252)"
        )),
    }
}

/// A reverse-domain scheme (RFC 8252 §7.1, §8.4): at least two dot-separated labels of
/// letters, digits and hyphens. `http`, `https`, `javascript`, `data`, `file` never qualify.
fn private_use_scheme(scheme: &str) -> bool {
    let labels: Vec<&str> = scheme.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
        })
}

/// Whether `requested` may stand for the registered `registered` of a public client: the
/// same string, or — for a loopback registration — the same loopback address, path and query
/// on any port (RFC 8252 §7.3: the app opens whatever port is free).
pub fn public_redirect_matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return public_redirect(requested).is_ok();
    }
    if public_redirect(registered) != Ok(PublicRedirect::Loopback)
        || public_redirect(requested) != Ok(PublicRedirect::Loopback)
    {
        return false;
    }
    let (Ok(mut r), Ok(mut q)) = (Url::parse(registered), Url::parse(requested)) else {
        return false;
    };
    // Both are http on a loopback literal: only the port may differ.
    let _ = r.set_port(None);
    let _ = q.set_port(None);
    r.as_str() == q.as_str()
}

/// A browser origin a client registers for CORS (`web_origins`): `scheme://host[:port]`
/// exactly as browsers send it in `Origin` — lower case, no path, no trailing slash, no
/// default port; https, or http on a loopback host for development.
pub fn web_origin(s: &str) -> Result<(), String> {
    let url = Url::parse(s).map_err(|e| format!("bad origin {s:?}: {e}"))?;
    let serialized = url.origin().ascii_serialization();
    if serialized != s {
        return Err(format!(
            "bad origin {s:?}: write it as scheme://host[:port] with no path, e.g. {serialized}"
        ));
    }
    let loopback = matches!(
        url.host(),
        Some(Host::Domain("localhost"))
            | Some(Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
            | Some(Host::Ipv6(std::net::Ipv6Addr::LOCALHOST))
    );
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(format!(
            "bad origin {s:?}: it must use https (http only for localhost, 127.0.0.1 or [::1])"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_native_kinds_and_nothing_else() {
        use PublicRedirect::*;
        let ok = |s: &str| public_redirect(s).unwrap();
        assert_eq!(ok("https://spa.bkn.go.id/callback"), ClaimedHttps);
        assert_eq!(ok("id.go.bkn.mobile:/oauth2redirect"), PrivateUse);
        assert_eq!(ok("http://127.0.0.1/cb"), Loopback);
        assert_eq!(ok("http://127.0.0.1:51004/cb"), Loopback);
        assert_eq!(ok("http://[::1]:8000/cb"), Loopback);
        for bad in [
            "http://localhost:8000/cb",
            "http://LOCALHOST/cb",
            "http://127.0.0.2/cb",
            "http://spa.bkn.go.id/cb",
            "myapp:/cb",
            "javascript:alert(1)",
            "data:text/html,x",
            "file:///etc/passwd",
            "id.go.bkn.mobile://oauth2redirect",
            "id.go.bkn.mobile:oauth2redirect",
            "id..mobile:/cb",
            "https://spa.bkn.go.id/cb#x",
            "https://user@spa.bkn.go.id/cb",
            "/relative",
        ] {
            assert!(public_redirect(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn loopback_matches_on_any_port_only() {
        let m = public_redirect_matches;
        assert!(m("http://127.0.0.1/cb", "http://127.0.0.1:53111/cb"));
        assert!(m("http://127.0.0.1:8000/cb", "http://127.0.0.1:53111/cb"));
        assert!(m("http://[::1]/cb?x=1", "http://[::1]:4000/cb?x=1"));
        assert!(!m("http://127.0.0.1/cb", "http://127.0.0.1:53111/other"));
        assert!(!m("http://127.0.0.1/cb", "http://[::1]:53111/cb"));
        assert!(!m("http://127.0.0.1/cb", "http://localhost:53111/cb"));
        assert!(!m("http://127.0.0.1/cb", "https://127.0.0.1:53111/cb"));
        assert!(!m("http://127.0.0.1/cb", "http://127.0.0.1:53111/cb?x=1"));
        assert!(!m("https://a.go.id/cb", "https://a.go.id:8443/cb"));
        assert!(m("id.go.bkn.mobile:/cb", "id.go.bkn.mobile:/cb"));
        assert!(!m("id.go.bkn.mobile:/cb", "id.go.bkn.mobile:/cb2"));
        // An exact string that is no longer a public redirect (a rule tightened) is refused.
        assert!(!m("http://localhost/cb", "http://localhost/cb"));
    }

    #[test]
    fn web_origins_are_exact() {
        assert!(web_origin("https://spa.bkn.go.id").is_ok());
        assert!(web_origin("http://127.0.0.1:5173").is_ok());
        assert!(web_origin("http://localhost:3000").is_ok());
        for bad in [
            "https://spa.bkn.go.id/",
            "https://spa.bkn.go.id/app",
            "https://SPA.bkn.go.id",
            "https://spa.bkn.go.id:443",
            "http://spa.bkn.go.id",
            "null",
            "*",
            "id.go.bkn.mobile:/cb",
        ] {
            assert!(web_origin(bad).is_err(), "{bad}");
        }
    }
}
