//! [`Interest`]: which kinds of readiness a registration asks for.

use std::num::NonZeroU8;
use std::{fmt, ops};

const READABLE: u8 = 0b0001;
const WRITABLE: u8 = 0b0010;
#[cfg(minimio_evfilt_aio)]
const AIO: u8 = 0b0100;
#[cfg(minimio_evfilt_lio)]
const LIO: u8 = 0b1000;
#[cfg(minimio_linux)]
const PRIORITY: u8 = 0b1_0000;

/// The readiness a source is registered for.
///
/// An interest is never empty: registering for nothing is meaningless, so the type cannot express
/// it ([`Interest::remove`] returns `None` instead of an empty set). Combine interests with `|`.
///
/// Whatever the interest, any event may also report errors and closed directions
/// ([`Event::is_error`](crate::event::Event::is_error),
/// [`Event::is_read_closed`](crate::event::Event::is_read_closed), ...): the kernel always
/// reports those.
///
/// # Examples
///
/// ```
/// use minimio::Interest;
///
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// assert_eq!(both.remove(Interest::WRITABLE), Some(Interest::READABLE));
/// assert_eq!(Interest::READABLE.remove(Interest::READABLE), None);
/// assert_eq!(format!("{both:?}"), "READABLE | WRITABLE");
/// ```
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interest(NonZeroU8);

/// Builds a constant interest; a zero bit pattern is a compile-time error, never a run-time one.
const fn non_empty(bits: u8) -> Interest {
    match NonZeroU8::new(bits) {
        Some(bits) => Interest(bits),
        None => panic!("an interest cannot be empty"),
    }
}

impl Interest {
    /// Interest in the source becoming readable (data, a pending connection, end of stream).
    pub const READABLE: Interest = non_empty(READABLE);

    /// Interest in the source becoming writable (buffer space, a finished connect).
    pub const WRITABLE: Interest = non_empty(WRITABLE);

    /// Interest in POSIX AIO completions (`EVFILT_AIO`). DragonFly, FreeBSD, iOS and macOS only.
    ///
    /// Registering a source with it adds no knote: an AIO request is tied to the queue by the
    /// `aiocb` passed to `aio_read`/`aio_write` (with `SIGEV_KEVENT`), and its completion is
    /// reported as an event for which [`Event::is_aio`](crate::event::Event::is_aio) holds.
    #[cfg(minimio_evfilt_aio)]
    pub const AIO: Interest = non_empty(AIO);

    /// Interest in `lio_listio` completions (`EVFILT_LIO`). FreeBSD only; like
    /// [`Interest::AIO`], the request itself ties the completion to the queue.
    #[cfg(minimio_evfilt_lio)]
    pub const LIO: Interest = non_empty(LIO);

    /// Interest in priority data: TCP urgent data, or the exceptional conditions `EPOLLPRI`
    /// reports for some files (for example `/proc/self/mounts` changes). Linux and Android only.
    #[cfg(minimio_linux)]
    pub const PRIORITY: Interest = non_empty(PRIORITY);

    /// Both interests together; the same as `self | other`, usable in `const` context.
    #[must_use]
    pub const fn add(self, other: Interest) -> Interest {
        non_empty(self.0.get() | other.0.get())
    }

    /// `self` without `other`, or `None` if nothing would be left.
    ///
    /// ```
    /// use minimio::Interest;
    ///
    /// let rw = Interest::READABLE | Interest::WRITABLE;
    /// assert_eq!(rw.remove(Interest::READABLE), Some(Interest::WRITABLE));
    /// ```
    #[must_use]
    pub fn remove(self, other: Interest) -> Option<Interest> {
        NonZeroU8::new(self.0.get() & !other.0.get()).map(Interest)
    }

    /// Whether this interest includes [`Interest::READABLE`].
    pub const fn is_readable(self) -> bool {
        self.0.get() & READABLE != 0
    }

    /// Whether this interest includes [`Interest::WRITABLE`].
    pub const fn is_writable(self) -> bool {
        self.0.get() & WRITABLE != 0
    }

    /// Whether this interest includes `Interest::AIO` (always `false` where that interest does
    /// not exist, so code written for several platforms compiles everywhere).
    pub const fn is_aio(self) -> bool {
        #[cfg(minimio_evfilt_aio)]
        {
            self.0.get() & AIO != 0
        }
        #[cfg(not(minimio_evfilt_aio))]
        {
            false
        }
    }

    /// Whether this interest includes `Interest::LIO` (always `false` except on FreeBSD).
    pub const fn is_lio(self) -> bool {
        #[cfg(minimio_evfilt_lio)]
        {
            self.0.get() & LIO != 0
        }
        #[cfg(not(minimio_evfilt_lio))]
        {
            false
        }
    }

    /// Whether this interest includes `Interest::PRIORITY` (always `false` where that interest
    /// does not exist).
    pub const fn is_priority(self) -> bool {
        #[cfg(minimio_linux)]
        {
            self.0.get() & PRIORITY != 0
        }
        #[cfg(not(minimio_linux))]
        {
            false
        }
    }

    /// How many bit patterns an interest can have (every pattern is below this), so that a
    /// backend can tabulate its translation of every interest at compile time.
    #[cfg_attr(not(minimio_epoll), allow(dead_code))] // tabulated by epoll only
    pub(crate) const PATTERNS: usize = 32;

    /// The bit pattern, below [`Interest::PATTERNS`].
    #[cfg_attr(not(minimio_epoll), allow(dead_code))] // tabulated by epoll only
    pub(crate) const fn bits(self) -> u8 {
        self.0.get()
    }

    /// The interest with bit pattern `bits`, if it is one (not empty, no unknown bit).
    #[cfg_attr(not(minimio_epoll), allow(dead_code))] // tabulated by epoll only
    pub(crate) const fn from_bits(bits: u8) -> Option<Interest> {
        match NonZeroU8::new(bits) {
            Some(nonzero) if (bits as usize) < Interest::PATTERNS => Some(Interest(nonzero)),
            _ => None,
        }
    }
}

impl ops::BitOr for Interest {
    type Output = Interest;

    fn bitor(self, other: Interest) -> Interest {
        self.add(other)
    }
}

impl ops::BitOrAssign for Interest {
    fn bitor_assign(&mut self, other: Interest) {
        *self = *self | other;
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (self.is_readable(), "READABLE"),
            (self.is_writable(), "WRITABLE"),
            (self.is_aio(), "AIO"),
            (self.is_lio(), "LIO"),
            (self.is_priority(), "PRIORITY"),
        ];
        let mut separator = "";
        for (_, name) in names.iter().filter(|(set, _)| *set) {
            write!(f, "{separator}{name}")?;
            separator = " | ";
        }
        Ok(())
    }
}
