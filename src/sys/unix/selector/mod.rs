//! The readiness backends for Unix systems; exactly one is compiled in.

#[cfg(any(target_os = "linux", target_os = "android"))]
mod epoll;
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) use self::epoll::{event, Event, Events, Selector};
