//! The scenarios, each written once and run for every library.

pub mod accept;
pub mod churn;
pub mod idle;
pub mod ping_pong;
pub mod pump;
pub mod waker;
