//! `/helpdesk`: BKPSDM staff find a person of their own agency by NIP and act on the
//! account. Scope is enforced on the server for every read and every action: someone of
//! another agency is answered exactly like a NIP that does not exist, and the attempt is
//! audited. The console wants a second factor from the last 15 minutes (step-up).

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

mod api;
mod console;
mod staff;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(api::router())
        .route("/helpdesk", get(console::get_helpdesk))
        .route("/helpdesk/step-up", post(console::post_step_up))
        .route("/helpdesk/action", post(console::post_action))
        .route("/helpdesk/audit", get(console::get_audit))
        // The forms post to addresses of their own: the answers switch language to the
        // console (with the person shown, where `console::render` names one).
        .route_layer(axum::middleware::map_response(
            crate::web::lang_switch::forms_of("/helpdesk"),
        ))
}
