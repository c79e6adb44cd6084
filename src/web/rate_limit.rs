//! Per-IP rate limits (tower_governor) on the endpoints that take secrets, and the one place
//! that decides a request's client IP.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request};
use tower_governor::GovernorError;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;

use crate::config::Config;
use crate::state::AppState;

pub type Layer =
    tower_governor::GovernorLayer<ClientIp, governor::middleware::NoOpMiddleware, Body>;

/// The client's address: the peer, unless the peer is a configured proxy, in which case the
/// right-most `X-Forwarded-For` entry that is not itself a trusted proxy. Anyone else's
/// `X-Forwarded-For` is ignored: it is a header the client writes.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !is_trusted_proxy(peer, trusted) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}

/// Whether `peer` is one of the configured proxies, whose headers (`X-Forwarded-For`,
/// `X-Request-Id`) are believed; any other peer's are the client's own words.
pub fn is_trusted_proxy(peer: IpAddr, trusted: &[IpAddr]) -> bool {
    trusted.contains(&peer)
}

/// The unit a per-IP limit counts: an IPv4 address, or an IPv6 /64 (one subscriber holds a
/// whole /64; per /128, one host would be millions of clients).
pub fn limit_bucket(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let seg = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(
                    seg[0], seg[1], seg[2], seg[3], 0, 0, 0, 0,
                ))
            }
        },
        v4 => v4,
    }
}

#[derive(Clone)]
pub struct ClientIp {
    trusted: Arc<Vec<IpAddr>>,
}

impl KeyExtractor for ClientIp {
    type Key = IpAddr;

    fn extract<T>(&self, req: &Request<T>) -> Result<IpAddr, GovernorError> {
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .ok_or(GovernorError::UnableToExtractKey)?;
        Ok(limit_bucket(client_ip(peer, req.headers(), &self.trusted)))
    }
}

/// A limiter for POSTs to one feature's endpoints, or none when limits are switched off.
pub fn layer(c: &Config) -> Option<Layer> {
    build(
        c,
        c.rate_limit.replenish_ms,
        c.rate_limit.burst,
        vec![Method::POST],
    )
}

/// Per-IP limit on GETs of the anonymous pages that leave something in the cache or cost a
/// drawing (a captcha per reset or login page, the captcha image): without it, anyone can
/// fill memory by loading pages. Its own bucket, separate from the POST one; clones of the
/// layer share it. Also fit for `/authorize` (each view stores a pending request).
pub fn page_layer(c: &Config) -> Option<Layer> {
    build(
        c,
        c.rate_limit.page_replenish_ms,
        c.rate_limit.page_burst,
        vec![Method::GET],
    )
}

/// The page limit for `/authorize`, on POST as well as GET: both store a pending request.
pub fn authorize_layer(c: &Config) -> Option<Layer> {
    build(
        c,
        c.rate_limit.page_replenish_ms,
        c.rate_limit.page_burst,
        vec![Method::GET, Method::POST],
    )
}

/// `router` behind `limit` (from `page_layer`), if limits are on.
pub fn limit_pages(router: Router<AppState>, limit: &Option<Layer>) -> Router<AppState> {
    match limit {
        Some(l) => router.route_layer(l.clone()),
        None => router,
    }
}

fn build(c: &Config, replenish_ms: u64, burst: u32, methods: Vec<Method>) -> Option<Layer> {
    if !c.rate_limit.enabled {
        return None;
    }
    let config = GovernorConfigBuilder::default()
        .key_extractor(ClientIp {
            trusted: Arc::new(c.trusted_proxies.clone()),
        })
        .per_millisecond(replenish_ms.max(1))
        .burst_size(burst.max(1))
        .methods(methods)
        .finish()?;
    let config = Arc::new(config);
    // The limiter remembers every IP it saw; forget the quiet ones now and then.
    let weak = Arc::downgrade(&config);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            match weak.upgrade() {
                Some(c) => c.limiter().retain_recent(),
                None => break,
            }
        }
    });
    Some(tower_governor::GovernorLayer::new(config))
}

/// The same limiter for OAuth endpoints: a JSON error body (RFC 6749 shape) with Retry-After.
pub fn oauth_layer(c: &Config) -> Option<Layer> {
    build(
        c,
        c.rate_limit.token_replenish_ms,
        c.rate_limit.token_burst,
        vec![Method::POST],
    )
    .map(|l| {
        l.error_handler(|e| {
            let (status, headers) = match e {
                GovernorError::TooManyRequests { headers, .. } => {
                    (axum::http::StatusCode::TOO_MANY_REQUESTS, headers)
                }
                _ => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, None),
            };
            let body =
                r#"{"error":"temporarily_unavailable","error_description":"too many requests"}"#;
            let mut res = axum::response::Response::new(Body::from(body));
            *res.status_mut() = status;
            if let Some(h) = headers {
                res.headers_mut().extend(h);
            }
            res.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            );
            res.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            res
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "6.6.6.6, 203.0.113.9".parse().unwrap());
        let stranger: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(
            client_ip(stranger, &h, &[proxy]),
            stranger,
            "spoofed header ignored"
        );
        // Through the proxy: the right-most untrusted hop, not the client-written left part.
        assert_eq!(
            client_ip(proxy, &h, &[proxy]),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &[proxy]), proxy);
    }

    #[test]
    fn ipv6_clients_are_counted_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(limit_bucket(a), limit_bucket(b));
        assert_ne!(limit_bucket(a), limit_bucket(c));
        let v4: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(limit_bucket(v4), v4);
        let mapped: IpAddr = "::ffff:203.0.113.9".parse().unwrap();
        assert_eq!(limit_bucket(mapped), v4);
    }
}
