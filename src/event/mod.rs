//! Readiness events and the [`Source`] trait.

#[allow(clippy::module_inception)] // `event::event::Event` mirrors mio's layout.
mod event;
mod events;
mod source;

pub use self::event::Event;
pub use self::events::{Events, Iter};
pub use self::source::Source;
