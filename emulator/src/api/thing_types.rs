//! Control-plane operations on thing types.

use axum::Router;

use crate::state::Emulator;

/// Routes of this resource family.
pub fn routes() -> Router<Emulator> {
    Router::new()
}
