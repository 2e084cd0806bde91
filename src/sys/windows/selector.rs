//! IOCP + AFD: readiness on Windows.
//!
//! Windows has no readiness queue like epoll: its I/O completion port reports operations that
//! *finished*. Readiness is built on top of it, the way wepoll, libuv and mio do it, by making
//! "wait until this socket is ready" itself an operation: an `IOCTL_AFD_POLL` request to the
//! socket driver (see [`afd`](super::afd)), which completes onto the port when the socket
//! becomes ready.
//!
//! The sequence, per socket:
//!
//! 1. **register**: find the socket's *base* handle (the driver's own socket beneath any
//!    layered provider, see [`base_socket`](super::base_socket)), give it an AFD handle shared
//!    with up to 31 other sockets, and queue it for an update.
//! 2. **update**, for every queued socket just before each wait: issue a poll request for the
//!    events wanted, or, if a request for other events is pending, cancel it (`NtCancelIoFileEx`)
//!    and issue the new one after its cancellation completes. There is never more than one
//!    request per socket in flight. A socket whose update fails is reported by that wait, with
//!    every readiness flag and an error, and disarmed until its owner's next `WouldBlock`.
//! 3. **wait**: `GetQueuedCompletionStatusEx` dequeues completed requests, each of which names
//!    its socket and the events that happened. The socket goes back in the update queue, so its
//!    next request is issued before the next wait.
//!
//! While a thread waits, other threads may register, re-register and re-arm sockets. The wait
//! has issued the queue already, so such a thread issues the update itself; if the driver
//! refuses it, the socket goes back in the queue and a packet wakes the waiting thread to try
//! again (and report the failure, if it fails again).
//!
//! Every poll request is a one-shot: it completes once. Edge-triggered behaviour comes from what
//! is asked next. An event that has been reported is *disarmed*: it is left out of the socket's
//! requests until an I/O call on the socket returns `WouldBlock` (seen by
//! [`IoSourceState::do_io`](super::IoSourceState::do_io)), which re-arms it, just as epoll
//! reports an edge again only after the reader has drained the socket.
//!
//! The per-socket state machine (idle, pending, cancelled) is in
//! [`sock_state`](super::sock_state). The driver writes each request's result into memory of
//! ours, [`SockState`]'s `iosb` and `poll_info`, at any time until its completion packet is
//! dequeued. That memory lives in an
//! `Arc`; every request in flight owns one strong reference to it, handed to the kernel as the
//! request's context with `Arc::into_raw` and taken back with `Arc::from_raw` when the packet
//! is dequeued. So the memory stays put however the socket is deregistered or dropped, and a
//! dropped selector cancels and drains its requests before it closes the port.

use std::os::windows::io::{AsRawHandle, RawSocket};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use std::{fmt, io, ptr};

use super::afd::Afd;
use super::base_socket::base_socket;
use super::event::{Event, Events};
use super::iocp::{CompletionPort, PacketKind};
use super::sock_state::SockState;
use super::{ffi, lock, waker};
use crate::{Interest, Token};

/// How many sockets share one AFD handle. The driver keeps each handle's requests in one list;
/// bounding its length keeps cancellation and completion cheap, as wepoll found.
const POLL_GROUP_SIZE: usize = 32;

/// How long a dropped selector waits for its cancelled requests to come back before it gives
/// up and leaves their memory to the kernel (leaked, never freed under it).
const DRAIN_LIMIT: Duration = Duration::from_secs(5);

/// A completion port and the sockets polled through it.
pub(crate) struct Selector {
    port: Arc<CompletionPort>,
    /// Every AFD handle in use; the last one takes new sockets until it has
    /// [`POLL_GROUP_SIZE`]. A handle's strong count, minus this list's reference, is the number
    /// of sockets using it (registered, or with a request still in flight).
    poll_groups: Mutex<Vec<Arc<Afd>>>,
    /// Sockets whose requests must be (re)issued before the next wait.
    updates: Mutex<Vec<Arc<SockState>>>,
    /// Reports for sockets whose request could not be issued before a wait, handed out by that
    /// wait (or, if it is full, the next).
    failed_updates: Mutex<Vec<Event>>,
    /// Whether a thread is in (or about to enter) `GetQueuedCompletionStatusEx`. A thread that
    /// queues an update then issues it itself, so that the blocked wait sees it.
    is_polling: AtomicBool,
    /// A [`PacketKind::Retry`] packet is queued and not yet dequeued.
    retry_posted: AtomicBool,
    /// Poll requests issued whose completion has not been dequeued.
    in_flight: AtomicUsize,
    /// Where `GetQueuedCompletionStatusEx` writes; only the polling thread uses it.
    completions: Mutex<CompletionBuffer>,
    /// How many waits have got past their updates, for tests that act during a wait.
    #[cfg(test)]
    waits_begun: AtomicUsize,
}

/// The packets of one wait. Their pointers are the contexts minimio gave the kernel; only the
/// selector turns them back into references, so the buffer may move between threads.
struct CompletionBuffer(Vec<ffi::OVERLAPPED_ENTRY>);

// SAFETY: the entries are plain data; the raw pointers in them are dereferenced only by
// `Selector::handle_completion`, under the rules stated there, never through this buffer.
unsafe impl Send for CompletionBuffer {}

impl Selector {
    /// A new completion port with no socket yet.
    pub(crate) fn new() -> io::Result<Selector> {
        Ok(Selector {
            port: Arc::new(CompletionPort::new()?),
            poll_groups: Mutex::new(Vec::new()),
            updates: Mutex::new(Vec::new()),
            failed_updates: Mutex::new(Vec::new()),
            is_polling: AtomicBool::new(false),
            retry_posted: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            completions: Mutex::new(CompletionBuffer(Vec::new())),
            #[cfg(test)]
            waits_begun: AtomicUsize::new(0),
        })
    }

    pub(super) fn port(&self) -> &Arc<CompletionPort> {
        &self.port
    }

    /// Starts polling `socket` for `interests`. The first request is issued before the next
    /// wait (or at once if a thread is waiting), so a socket that is already ready is reported.
    pub(crate) fn register(
        &self,
        socket: RawSocket,
        token: Token,
        interests: Interest,
    ) -> io::Result<Arc<SockState>> {
        let base_socket = base_socket(socket as ffi::SOCKET)?;
        let afd = self.afd_for_new_socket()?;
        let sock = Arc::new(SockState::new(
            base_socket,
            afd,
            token,
            afd_events(interests),
        ));
        if let Err(err) = self.queue_update(&sock) {
            // Not registered after all: make sure no request of it lives on.
            sock.delete();
            return Err(err);
        }
        Ok(sock)
    }

    /// New token and interests for a registered socket, all armed again: if the socket is
    /// ready for them, the next wait reports it even if that was reported before.
    pub(crate) fn reregister(
        &self,
        sock: &Arc<SockState>,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        sock.set_interest(token, afd_events(interests));
        self.queue_update(sock)
    }

    /// After an I/O call returned `WouldBlock`: every wanted event may be reported again.
    pub(crate) fn rearm(&self, sock: &Arc<SockState>) -> io::Result<()> {
        if sock.rearm() {
            self.queue_update(sock)
        } else {
            Ok(())
        }
    }

    /// An AFD handle for one more socket: one with room if there is one, else a new one.
    fn afd_for_new_socket(&self) -> io::Result<Arc<Afd>> {
        let mut groups = lock(&self.poll_groups);
        // Close the handles no socket uses any more, but one: a socket that comes and goes
        // should not cost a new handle each time.
        let mut kept_a_spare = false;
        groups.retain(|afd| {
            let in_use = Arc::strong_count(afd) > 1;
            let keep = in_use || !kept_a_spare;
            kept_a_spare |= !in_use;
            keep
        });
        // Counts only grow under this lock, so a group found with room keeps it.
        if let Some(afd) = groups
            .iter()
            .find(|afd| Arc::strong_count(afd) - 1 < POLL_GROUP_SIZE)
        {
            return Ok(Arc::clone(afd));
        }
        let afd = Arc::new(Afd::new(&self.port)?);
        groups.push(Arc::clone(&afd));
        Ok(afd)
    }

    /// Queues `sock` for an update. A thread waiting in `select` now has issued the queue
    /// already and would not look at it again before its next packet, so the update is then
    /// issued here, at once: the new request's completion is what wakes that wait. The socket
    /// stays queued whatever happens; an error means only that a failed update could not be
    /// handed to the waiting thread, so it waits for the next `select`.
    fn queue_update(&self, sock: &Arc<SockState>) -> io::Result<()> {
        self.enqueue(sock);
        if self.is_polling.load(Ordering::SeqCst) {
            self.flush_for_waiting_thread()
        } else {
            Ok(())
        }
    }

    fn enqueue(&self, sock: &Arc<SockState>) {
        if sock.mark_queued() {
            lock(&self.updates).push(Arc::clone(sock));
        }
    }

    /// Issues the queued updates on behalf of the thread waiting in `select`. One that fails
    /// goes back in the queue, and that thread is woken to retry it: reporting failures is its
    /// job, and without the wake its retry would wait for some unrelated packet. Dropping the
    /// update instead would leave the socket deaf: neither polled, nor disarmed so that its
    /// next `WouldBlock` re-arms it.
    fn flush_for_waiting_thread(&self) -> io::Result<()> {
        let queued = std::mem::take(&mut *lock(&self.updates));
        let mut failed = false;
        for sock in queued {
            if sock.update(&self.in_flight).is_err() {
                self.enqueue(&sock);
                failed = true;
            }
        }
        if failed {
            self.wake_to_retry()
        } else {
            Ok(())
        }
    }

    /// Posts a [`PacketKind::Retry`] packet, unless one is queued already: one is enough to
    /// make the waiting thread go round its loop, which issues the queue again.
    fn wake_to_retry(&self) -> io::Result<()> {
        if self.retry_posted.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let posted = self.port.post(PacketKind::Retry, ptr::null());
        if posted.is_err() {
            self.retry_posted.store(false, Ordering::Release);
        }
        posted
    }

    /// Issues the queued updates before a wait. A socket whose update fails is disarmed and
    /// reported by this wait, its error kept for its owner's next I/O call (the `WouldBlock`
    /// after it re-arms the socket and tries again), so that one socket's trouble never stops
    /// the others' events.
    fn flush_before_wait(&self) {
        let queued = std::mem::take(&mut *lock(&self.updates));
        for sock in queued {
            if let Err(err) = sock.update(&self.in_flight) {
                if let Some(event) = sock.fail_update(err) {
                    lock(&self.failed_updates).push(event);
                }
            }
        }
    }

    /// Moves reports of failed updates into `events`, as many as fit.
    fn report_failed_updates(&self, events: &mut Events, capacity: usize) {
        let mut failed = lock(&self.failed_updates);
        let room = capacity.saturating_sub(events.len()).min(failed.len());
        events.extend(failed.drain(..room));
    }

    /// Waits for readiness and puts the reports in `events`, replacing its contents.
    ///
    /// - `None` waits until an event arrives, `Some(Duration::ZERO)` only checks.
    /// - Other timeouts are rounded *up* to whole milliseconds. `GetQueuedCompletionStatusEx`
    ///   counts in clock ticks (about 15.6 ms) and may return a little early, so the wait is
    ///   repeated until the deadline has really passed: it never ends early without an event.
    /// - A timeout longer than one wait can express (`INFINITE` - 1 ms, about 49.7 days) is
    ///   waited out in several calls; one too long to represent as an [`Instant`] is for ever.
    pub(crate) fn select(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        // Never 0: `Poll::poll` refuses an empty `Events` before calling here.
        let capacity = events.capacity();
        let deadline = match timeout {
            Some(timeout) if !timeout.is_zero() => Instant::now().checked_add(timeout),
            _ => None,
        };
        let mut wait_ms = timeout_ms(timeout);
        let mut completions = lock(&self.completions);
        loop {
            events.clear();
            self.is_polling.store(true, Ordering::SeqCst);
            // Failures here become events of their sockets, never an error of the wait.
            self.flush_before_wait();
            self.report_failed_updates(events, capacity);
            let this_wait = if events.is_empty() { wait_ms } else { 0 };
            let room = capacity - events.len();
            #[cfg(test)]
            self.waits_begun.fetch_add(1, Ordering::SeqCst);
            let dequeued = if room == 0 {
                completions.0.clear();
                Ok(())
            } else {
                self.port.dequeue(&mut completions.0, room, this_wait)
            };
            self.is_polling.store(false, Ordering::SeqCst);
            dequeued?;
            for entry in &completions.0 {
                if let Some(event) = self.handle_completion(entry) {
                    events.push(event);
                }
            }
            if !events.is_empty() || wait_ms == 0 {
                return Ok(());
            }
            // No event yet: the wait ran out early, or only cancellations came back. Wait again
            // for whatever is left; without a deadline the wait is for ever.
            if let Some(deadline) = deadline {
                wait_ms = timeout_ms(Some(deadline.saturating_duration_since(Instant::now())));
                if wait_ms == 0 {
                    return Ok(());
                }
            }
        }
    }

    /// How many waits have issued their updates and gone on to dequeue.
    #[cfg(test)]
    pub(super) fn waits_begun(&self) -> usize {
        self.waits_begun.load(Ordering::SeqCst)
    }

    /// Turns one dequeued packet into a report, if it is one.
    fn handle_completion(&self, entry: &ffi::OVERLAPPED_ENTRY) -> Option<Event> {
        match PacketKind::of(entry) {
            Some(PacketKind::AfdPoll) => {
                self.in_flight.fetch_sub(1, Ordering::SeqCst);
                // SAFETY: AfdPoll packets come only from requests issued by `submit`, whose
                // context is `Arc::into_raw` of the polled socket's state, and each packet is
                // dequeued once: this takes back the reference given for this request.
                let sock = unsafe { Arc::from_raw(entry.lpOverlapped.cast::<SockState>()) };
                let (event, poll_again) = sock.complete();
                if poll_again {
                    self.enqueue(&sock);
                }
                event
            }
            // SAFETY: Wake packets are posted only by `Waker::wake`, with the context it expects.
            Some(PacketKind::Wake) => unsafe { waker::event_from_packet(entry.lpOverlapped) },
            Some(PacketKind::Retry) => {
                // Cleared before the loop issues the queue again, so a failure from now on
                // posts a new packet.
                self.retry_posted.store(false, Ordering::Release);
                None
            }
            None => None,
        }
    }
}

impl Drop for Selector {
    /// Cancels every request still in flight and waits (at most [`DRAIN_LIMIT`]) for their
    /// packets, so that their memory is freed rather than left to the kernel, and frees the
    /// context of every wake packet still queued. Then the port is closed.
    fn drop(&mut self) {
        for afd in lock(&self.poll_groups).iter() {
            afd.cancel_all();
        }
        self.drain(Instant::now() + DRAIN_LIMIT);
        // Sockets re-queued by the drain: nobody will poll them through this selector again.
        lock(&self.updates).clear();
    }
}

impl Selector {
    /// Dequeues and handles packets until no request is in flight and the port is empty, or
    /// until `limit`. Every packet dequeued is handled, the last batch too, so the references
    /// its contexts own are released: only the memory of requests still in flight, which the
    /// kernel may yet write, is left behind.
    fn drain(&self, limit: Instant) {
        let mut completions = lock(&self.completions);
        loop {
            let in_flight = self.in_flight.load(Ordering::SeqCst);
            let wait_ms = if in_flight == 0 {
                0
            } else {
                timeout_ms(Some(limit.saturating_duration_since(Instant::now())))
            };
            if self.port.dequeue(&mut completions.0, 64, wait_ms).is_err() {
                break;
            }
            for entry in &completions.0 {
                let _ = self.handle_completion(entry);
            }
            // Stop when nothing is left, or at the limit: a waker still waking on another thread
            // would otherwise keep the queue from ever looking empty.
            if completions.0.is_empty() && (in_flight == 0 || wait_ms == 0)
                || Instant::now() >= limit
            {
                break;
            }
        }
    }
}

impl fmt::Debug for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Selector")
            .field("port", &self.port.as_raw_handle())
            .field("in_flight", &self.in_flight.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// The AFD events that answer `interests`. Aborts and failed connects end both directions, so
/// they come with either; a peer's orderly shutdown (`DISCONNECT`) is a reading matter.
fn afd_events(interests: Interest) -> u32 {
    let mut events = 0;
    if interests.is_readable() {
        events |= ffi::AFD_POLL_RECEIVE
            | ffi::AFD_POLL_ACCEPT
            | ffi::AFD_POLL_DISCONNECT
            | ffi::AFD_POLL_ABORT
            | ffi::AFD_POLL_CONNECT_FAIL;
    }
    if interests.is_writable() {
        events |= ffi::AFD_POLL_SEND | ffi::AFD_POLL_ABORT | ffi::AFD_POLL_CONNECT_FAIL;
    }
    // `Interest::PRIORITY` exists on Linux only (as in mio), so AFD_POLL_RECEIVE_EXPEDITED is
    // never asked for here.
    events
}

/// A timeout in whole milliseconds for `GetQueuedCompletionStatusEx`: `INFINITE` for `None`,
/// otherwise rounded up and capped one below `INFINITE`, so that no finite timeout becomes one.
fn timeout_ms(timeout: Option<Duration>) -> u32 {
    match timeout {
        None => ffi::INFINITE,
        Some(timeout) => {
            let whole = timeout.as_millis();
            let ceil = whole + u128::from(timeout.subsec_nanos() % 1_000_000 != 0);
            ceil.min(u128::from(ffi::INFINITE - 1)) as u32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_round_up_and_never_become_infinite() {
        assert_eq!(timeout_ms(None), ffi::INFINITE);
        assert_eq!(timeout_ms(Some(Duration::ZERO)), 0);
        assert_eq!(timeout_ms(Some(Duration::from_nanos(1))), 1);
        assert_eq!(timeout_ms(Some(Duration::from_micros(999))), 1);
        assert_eq!(timeout_ms(Some(Duration::from_micros(1001))), 2);
        let sixty_days = Duration::from_secs(60 * 24 * 3600);
        assert_eq!(timeout_ms(Some(sixty_days)), ffi::INFINITE - 1);
        assert_eq!(timeout_ms(Some(Duration::MAX)), ffi::INFINITE - 1);
    }

    /// Sockets share AFD handles by groups of [`POLL_GROUP_SIZE`], and the places that
    /// deregistered sockets free are taken by the next ones rather than by new handles.
    #[test]
    fn sockets_share_afd_handles_by_groups() {
        let selector = Selector::new().unwrap();
        let localhost = "127.0.0.1:0".parse().unwrap();
        let register = |socket: &std::net::UdpSocket, token| {
            use std::os::windows::io::AsRawSocket;
            selector
                .register(socket.as_raw_socket(), Token(token), Interest::READABLE)
                .unwrap()
        };
        let group_sizes = || -> Vec<usize> {
            let groups = lock(&selector.poll_groups);
            groups
                .iter()
                .map(|afd| Arc::strong_count(afd) - 1)
                .collect()
        };
        let sockets: Vec<_> = (0..100)
            .map(|_| super::super::net::udp_bind(&localhost).unwrap())
            .collect();
        let mut registered: Vec<_> = (0..100).map(|i| register(&sockets[i], i)).collect();
        let mut events = Events::with_capacity(128);
        // Issues the 100 requests.
        selector.select(&mut events, Some(Duration::ZERO)).unwrap();
        assert_eq!(group_sizes(), [32, 32, 32, 4]);

        // 40 leave; their cancelled requests hold their places until they come back.
        for sock in registered.drain(..40) {
            sock.delete();
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while group_sizes() != [0, 24, 32, 4] {
            assert!(
                Instant::now() < deadline,
                "cancellations missing: {:?}",
                group_sizes()
            );
            selector
                .select(&mut events, Some(Duration::from_millis(10)))
                .unwrap();
        }

        let newcomers: Vec<_> = (0..40)
            .map(|_| super::super::net::udp_bind(&localhost).unwrap())
            .collect();
        registered.extend(newcomers.iter().map(|socket| register(socket, 1000)));
        assert_eq!(group_sizes(), [32, 32, 32, 4]);
    }

    /// A drain that runs out of time still releases what the packets it dequeued own; only
    /// requests still in flight are left to the kernel.
    #[test]
    fn a_drain_past_its_limit_releases_the_packets_it_took() {
        let selector = Selector::new().unwrap();
        let waker = waker::Waker::new(&selector, Token(0)).unwrap();
        waker.wake().unwrap();
        assert_eq!(waker.packets_queued(), 1);
        selector.drain(Instant::now());
        assert_eq!(
            waker.packets_queued(),
            0,
            "a dequeued wake packet was leaked"
        );
    }

    #[test]
    fn interests_map_to_afd_events() {
        use ffi::*;
        let readable = afd_events(Interest::READABLE);
        assert_eq!(readable & AFD_POLL_SEND, 0);
        assert_ne!(readable & AFD_POLL_RECEIVE, 0);
        assert_ne!(readable & AFD_POLL_ACCEPT, 0);
        assert_eq!(afd_events(Interest::WRITABLE) & AFD_POLL_RECEIVE, 0);
    }
}
