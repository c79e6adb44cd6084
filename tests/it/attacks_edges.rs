//! Fresh-eyes attacks on issue 24's fixes at the operational edges: what still slips past
//! the one input gate.

use std::sync::{Arc, Mutex};

use tracing_subscriber::layer::{Context, SubscriberExt};

use crate::common::*;

/// Records the server's ERROR events (a query PostgreSQL refused is logged so).
#[derive(Clone, Default)]
struct Errors(Arc<Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Errors {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if *event.metadata().level() == tracing::Level::ERROR {
            struct Fields(String);
            impl tracing::field::Visit for Fields {
                fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                    self.0.push_str(&format!("{}={v:?} ", f.name()));
                }
            }
            let mut fields = Fields(String::new());
            event.record(&mut fields);
            self.0.lock().unwrap().push(fields.0);
        }
    }
}

/// The CORS layer of `/token` and `/revoke` reads the client a request names from its body
/// whatever its content type, while the gate judges only bodies a handler reads as a form:
/// `Content-Type: text/plain` with `client_id=%00` carried a NUL to the client lookup, where
/// PostgreSQL refused the query (an ERROR log line per anonymous request, anyone's to
/// flood). Nothing with a control character reaches the store, whatever the content type.
async fn cors_names_no_client_with_a_control_character(backend: Backend) {
    let server = TestServer::start(backend).await;
    let errors = Errors::default();
    // This runtime has one thread, where the server runs too: the recorder sees its events.
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(errors.clone()));
    let http = rp_http();
    for path in ["/token", "/revoke"] {
        for ct in ["text/plain", "application/octet-stream"] {
            let res = http
                .post(server.url(path))
                .header("Origin", "http://127.0.0.1:7001")
                .header("Content-Type", ct)
                .body("grant_type=client_credentials&token=x&client_id=a%00b")
                .send()
                .await
                .unwrap();
            assert!(
                !res.status().is_server_error(),
                "{path} {ct}: {}",
                res.status()
            );
            assert!(res.headers().get("access-control-allow-origin").is_none());
        }
    }
    let seen = errors.0.lock().unwrap().clone();
    assert!(seen.is_empty(), "errors logged: {seen:#?}");
}

// Like `scenarios!`, on a one-thread runtime so the recorder sees the server's events.
mod sqlite {
    #[tokio::test(flavor = "current_thread")]
    async fn cors_names_no_client_with_a_control_character() {
        super::cors_names_no_client_with_a_control_character(crate::common::Backend::Sqlite).await
    }
}
mod postgres {
    #[tokio::test(flavor = "current_thread")]
    async fn cors_names_no_client_with_a_control_character() {
        if crate::common::Backend::Postgres.skipped() {
            return;
        }
        super::cors_names_no_client_with_a_control_character(crate::common::Backend::Postgres).await
    }
}
mod postgres_redis {
    #[tokio::test(flavor = "current_thread")]
    async fn cors_names_no_client_with_a_control_character() {
        if crate::common::Backend::PostgresRedis.skipped() {
            return;
        }
        super::cors_names_no_client_with_a_control_character(crate::common::Backend::PostgresRedis)
            .await
    }
}
