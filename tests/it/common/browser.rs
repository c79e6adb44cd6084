//! A browser bound to one server: its own cookies, no redirects followed (tests look at each
//! hop), and forms filled the way a person's browser fills them.

use gerbang::state::AppState;
use reqwest::StatusCode;

use super::{OtpSteps, TestServer, captcha_answer_in, fresh_otp};

/// A page as the browser got it.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: StatusCode,
    /// The address the page came from (no redirect is followed, so the one asked for).
    pub url: String,
    pub body: String,
}

/// Derefs to its `reqwest::Client`, so a test can still build any request by hand (and
/// pass `&Browser` where a `&reqwest::Client` is taken); `get` here returns a whole `Page`.
/// A clone is the same browser (one cookie store), as a second tab.
#[derive(Clone)]
pub struct Browser {
    http: reqwest::Client,
    base: String,
    /// The server's state, for what a person reads off the screen or their phone: captcha
    /// answers and authenticator codes.
    state: AppState,
    otp_steps: OtpSteps,
}

impl std::ops::Deref for Browser {
    type Target = reqwest::Client;
    fn deref(&self) -> &reqwest::Client {
        &self.http
    }
}

impl TestServer {
    /// A fresh browser (no cookies) pointed at this server.
    pub fn browser(&self) -> Browser {
        Browser::at(self, &self.base)
    }
}

impl Browser {
    /// A fresh browser pointed at `base` (this server's or a replica's address); `server`
    /// supplies captcha answers and TOTP codes (with replicas, any of them).
    pub fn at(server: &TestServer, base: &str) -> Self {
        Browser {
            http: super::browser(),
            base: base.trim_end_matches('/').to_string(),
            state: server.state.clone(),
            otp_steps: server.otp_steps.clone(),
        }
    }

    /// The cookie-keeping client, for a request built by hand (`Browser::get` shadows its
    /// `get`).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// `path` on this browser's server; a full URL stays as it is.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        let url = self.url(path);
        let res = self.http.get(&url).send().await.unwrap();
        Page {
            status: res.status(),
            url,
            body: res.text().await.unwrap(),
        }
    }

    /// Posts the form of `page` whose `action` is `action`, as a browser does: the form's
    /// hidden fields (csrf_token, req, sid, …) as the page has them, then `fields` (which
    /// replace a hidden field of the same name).
    pub async fn submit(
        &self,
        page: &Page,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut form = hidden_fields(&page.body, action)
            .unwrap_or_else(|| panic!("no form {action} in {}:\n{}", page.url, page.body));
        for (k, v) in fields {
            form.retain(|(name, _)| name != k);
            form.push((k.to_string(), v.to_string()));
        }
        self.http
            .post(self.url(action))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// Fills the login form with `nip`, `password` and `otp` (`None`: a fresh code from the
    /// test authenticator, as `TestServer::otp`), answering its captcha when it shows one.
    /// Returns the response to the POST; the session cookie stays in this browser.
    pub async fn sign_in(&self, nip: &str, password: &str, otp: Option<&str>) -> reqwest::Response {
        // The form as it comes back with the NIP on it (a captcha the NIP needs is shown).
        let page = self.get(&format!("/login?nip={nip}")).await;
        let otp = match otp {
            Some(code) => code.to_string(),
            None => fresh_otp(&self.otp_steps, &self.state.clock, nip),
        };
        self.post_login(
            &page,
            &[("nip", nip), ("password", password), ("otp", &otp)],
        )
        .await
    }

    /// The login form of `page` with `fields` (and the captcha's answer when it shows one):
    /// for attempts that leave a field out.
    pub async fn post_login(&self, page: &Page, fields: &[(&str, &str)]) -> reqwest::Response {
        let captcha = captcha_answer_in(&self.state, &page.body).await;
        let mut all = fields.to_vec();
        if let Some((_, answer)) = &captcha {
            all.push(("captcha", answer));
        }
        self.submit(page, "/login", &all).await
    }
}

/// The hidden inputs of the first form with `action`, in page order; `None` without one.
fn hidden_fields(html: &str, action: &str) -> Option<Vec<(String, String)>> {
    let marker = format!("action=\"{action}\"");
    let start = html
        .match_indices("<form")
        .map(|(i, _)| i)
        .find(|&i| html[i..].split('>').next().unwrap().contains(&marker))?;
    let body = &html[start..];
    let form = &body[..body.find("</form>").unwrap_or(body.len())];
    let fields = form
        .split("<input")
        .skip(1)
        .map(|tag| tag.split('>').next().unwrap())
        .filter(|tag| attr(tag, "type").as_deref() == Some("hidden"))
        .filter_map(|tag| Some((attr(tag, "name")?, attr(tag, "value").unwrap_or_default())))
        .collect();
    Some(fields)
}

/// An attribute's value in a tag, with the entities templates escape decoded.
fn attr(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    let raw = &tag[start..start + tag[start..].find('"')?];
    Some(
        raw.replace("&quot;", "\"")
            .replace("&#34;", "\"")
            .replace("&#39;", "'")
            .replace("&#x27;", "'")
            .replace("&#x2f;", "/")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}
