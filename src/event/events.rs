use std::fmt;

use crate::event::Event;
use crate::sys;

/// The buffer [`Poll::poll`](crate::Poll::poll) fills with events.
///
/// Its capacity is the most events one call to `poll` returns. A smaller buffer loses nothing:
/// sources that did not fit stay ready in the kernel and are returned by the next calls (epoll and
/// kqueue hand them out in turn, and the poll(2) backend starts each report where the previous
/// one stopped, so no source is starved). Each `poll` replaces the previous contents.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use minimio::{Events, Poll};
///
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(128);
/// assert_eq!(events.capacity(), 128);
///
/// poll.poll(&mut events, Some(Duration::ZERO))?;
/// assert!(events.is_empty()); // nothing registered, nothing to report
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Events {
    inner: sys::Events,
}

impl Events {
    /// A buffer with room for `capacity` events. Polling into a zero-capacity buffer is an
    /// error (`InvalidInput`), since it could never report anything.
    pub fn with_capacity(capacity: usize) -> Events {
        Events {
            inner: sys::Events::with_capacity(capacity),
        }
    }

    /// The most events one `poll` can return into this buffer.
    pub fn capacity(&self) -> usize {
        self.inner.capacity()
    }

    /// Whether the last `poll` returned no event.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// The events of the last `poll`, in the order the kernel returned them.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            remaining: self.inner.iter(),
        }
    }

    /// Forgets all events. `poll` does this itself before filling the buffer.
    pub fn clear(&mut self) {
        self.inner.clear();
    }

    pub(crate) fn sys(&mut self) -> &mut sys::Events {
        &mut self.inner
    }
}

impl<'a> IntoIterator for &'a Events {
    type Item = &'a Event;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Iterator over the events of an [`Events`], created by [`Events::iter`].
#[derive(Clone)]
pub struct Iter<'a> {
    remaining: std::slice::Iter<'a, sys::Event>,
}

impl fmt::Debug for Iter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter")
            .field("remaining", &self.remaining.len())
            .finish()
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a Event;

    fn next(&mut self) -> Option<&'a Event> {
        self.remaining.next().map(Event::from_sys_event_ref)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.remaining.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}
