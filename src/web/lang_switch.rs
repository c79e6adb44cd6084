//! The language switch in every page's header keeps the page: it links to the address the
//! page was asked for (path and query) with only `lang` replaced, so `/login?req=…`,
//! `/reset/confirm?nip=…&code=…` and `/helpdesk?nip=…` come back as they were, in the other
//! language. Built here, on the server, after the page is rendered: `base.html` writes the
//! plain `?lang=xx` link and this layer fills in the rest, so no page struct carries it.
//!
//! A page rendered as the answer to a POST has no address of its own to come back to, and
//! its switch must never lead to a POST-only address (a 405). The rule: it points at the GET
//! page the form belongs to. A handler that re-shows a form names that page, with what was
//! typed (never a password or a captcha answer), as [`SwitchFrom`], which counts for
//! anything but a GET. A feature whose forms post to addresses of their own
//! (`/account/password`, `/helpdesk/action`) names its page once, where its routes are
//! mounted ([`forms_of`]): every answer of those routes, an error page included, switches
//! there unless the handler said more. Without either, the link keeps the path the browser
//! shows (which answers GET too: `/login`, `/reset`) and the query the request had.

use axum::body::{Body, HttpBody};
use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponseParts, Response, ResponseParts};

use super::i18n::Lang;

/// What `base.html` writes, up to the language code: `<a class="lang" href="?lang=en"`.
pub const MARK: &str = "<a class=\"lang\" href=\"?lang=";
/// Pages are a few kilobytes; anything larger is not a page of ours.
const MAX_PAGE: usize = 1 << 20;

/// The address (a path on Gerbang, with its query) that shows this page again: for pages
/// answering a POST. Part of a response: `(status, jar, SwitchFrom::new(…), page)`.
#[derive(Clone, Debug)]
pub struct SwitchFrom(String);

impl SwitchFrom {
    /// `path` (one of Gerbang's, starting with a single `/`) with `params`; empty values are
    /// left out.
    pub fn new(path: &str, params: &[(&str, &str)]) -> Self {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in params.iter().filter(|(_, v)| !v.is_empty()) {
            q.append_pair(k, v);
        }
        let q = q.finish();
        if q.is_empty() {
            SwitchFrom(path.to_string())
        } else {
            SwitchFrom(format!("{path}?{q}"))
        }
    }
}

impl IntoResponseParts for SwitchFrom {
    type Error = std::convert::Infallible;
    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        res.extensions_mut().insert(self);
        Ok(res)
    }
}

/// The GET page of a feature's POST-only forms, for its router:
/// `.route_layer(middleware::map_response(lang_switch::forms_of("/account")))`. Answers
/// that name their own [`SwitchFrom`] keep it.
pub fn forms_of(
    page: &'static str,
) -> impl Fn(Response) -> std::future::Ready<Response> + Clone + Send + Sync + 'static {
    move |mut res: Response| {
        if res.extensions().get::<SwitchFrom>().is_none() {
            res.extensions_mut().insert(SwitchFrom(page.to_string()));
        }
        std::future::ready(res)
    }
}

/// The switch's `href`, HTML-escaped: `from` (a handler's [`SwitchFrom`]) or, without one,
/// the request's query kept relative to the address the browser shows; `lang` replaced by
/// `to`, every other parameter kept in order.
pub fn href(from: Option<&str>, request_query: Option<&str>, to: Lang) -> String {
    let (path, query) = match from {
        Some(f) => {
            let (p, q) = f.split_once('?').unwrap_or((f, ""));
            // Only a path of ours: never `//host` or `/\host`, which browsers read as
            // another site.
            let ours = p.starts_with('/') && !p.starts_with("//") && !p.contains('\\');
            if ours { (p, q) } else { ("", q) }
        }
        None => ("", request_query.unwrap_or("")),
    };
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()).filter(|(k, _)| k != "lang") {
        out.append_pair(&k, &v);
    }
    out.append_pair("lang", to.code());
    escape(&format!("{path}?{}", out.finish()))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Rewrites the language switch of an HTML page to keep the page (see the module).
pub async fn keep_page(req: Request, next: Next) -> Response {
    let query = req.uri().query().map(str::to_string);
    // A GET's own address is the page; a handler's `SwitchFrom` speaks for other methods.
    let get = matches!(*req.method(), Method::GET | Method::HEAD);
    let res = next.run(req).await;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    // A body of unknown or large size is not one of our pages: left as it is, unread.
    let small = res
        .body()
        .size_hint()
        .exact()
        .is_some_and(|n| n <= MAX_PAGE as u64);
    if !html || !small {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PAGE).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let from = parts
        .extensions
        .get::<SwitchFrom>()
        .filter(|_| !get)
        .map(|f| f.0.as_str());
    let page = String::from_utf8_lossy(&bytes);
    let Some(page) = rewrite(&page, from, query.as_deref()) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(page))
}

/// The page with its switch's `href` replaced; `None` when it has no switch.
fn rewrite(page: &str, from: Option<&str>, query: Option<&str>) -> Option<String> {
    let start = page.find(MARK)? + MARK.len() - "?lang=".len();
    let end = start + page[start..].find('"')?;
    // The language the template links to: the page's own choice (it may differ from the
    // request's, e.g. a service's `ui_locales`).
    let to = Lang::parse(page[start..end].strip_prefix("?lang=")?)?;
    Some(format!(
        "{}{}{}",
        &page[..start],
        href(from, query, to),
        &page[end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_query_and_replaces_only_lang() {
        assert_eq!(
            href(None, Some("req=abc&lang=id&nip=1990"), Lang::En),
            "?req=abc&amp;nip=1990&amp;lang=en"
        );
        assert_eq!(href(None, None, Lang::Id), "?lang=id");
        assert_eq!(
            href(None, Some("nip=1&code=12345678"), Lang::En),
            "?nip=1&amp;code=12345678&amp;lang=en"
        );
    }

    #[test]
    fn escapes_what_it_keeps() {
        let got = href(None, Some("req=%22%3E%3Cscript%3E&x=<b>"), Lang::En);
        assert_eq!(got, "?req=%22%3E%3Cscript%3E&amp;x=%3Cb%3E&amp;lang=en");
        assert!(!got.contains('<') && !got.contains('"'));
    }

    #[test]
    fn a_handler_names_the_page_but_never_another_site() {
        let from = SwitchFrom::new(
            "/reset/confirm",
            &[("nip", "1990"), ("code", ""), ("req", "r")],
        );
        assert_eq!(
            href(Some(&from.0), Some("ignored=1"), Lang::En),
            "/reset/confirm?nip=1990&amp;req=r&amp;lang=en"
        );
        assert_eq!(
            href(Some("//evil.example/x?a=1"), None, Lang::En),
            "?a=1&amp;lang=en"
        );
        assert_eq!(href(Some("/\\evil.example"), None, Lang::En), "?lang=en");
        assert_eq!(
            href(Some("https://evil.example/"), None, Lang::En),
            "?lang=en"
        );
    }

    #[tokio::test]
    async fn a_features_forms_switch_to_its_page_unless_the_handler_named_one() {
        let to_account = forms_of("/account");
        let res = to_account(Response::new(Body::empty())).await;
        let from = res.extensions().get::<SwitchFrom>().unwrap();
        assert_eq!(
            href(Some(&from.0), Some("x=1"), Lang::En),
            "/account?lang=en"
        );
        let mut named = Response::new(Body::empty());
        named
            .extensions_mut()
            .insert(SwitchFrom::new("/helpdesk", &[("nip", "1990")]));
        let res = forms_of("/helpdesk")(named).await;
        assert_eq!(
            res.extensions().get::<SwitchFrom>().unwrap().0,
            "/helpdesk?nip=1990"
        );
    }

    #[test]
    fn rewrites_only_the_switch() {
        let page = "<header><a class=\"lang\" href=\"?lang=en\" hreflang=\"en\">English</a></header>\
                    <a href=\"?lang=en\">other</a>";
        let got = rewrite(page, None, Some("req=r1")).unwrap();
        assert_eq!(
            got,
            "<header><a class=\"lang\" href=\"?req=r1&amp;lang=en\" hreflang=\"en\">English</a></header>\
             <a href=\"?lang=en\">other</a>"
        );
        assert!(rewrite("<p>no switch</p>", None, None).is_none());
    }
}
