//! One adapter per library measured.

mod mio_api;
mod polling;
mod raw_epoll;
mod std_socket;

pub use self::mio_api::{Minimio, Mio};
pub use self::polling::Polling;
pub use self::raw_epoll::RawEpoll;
