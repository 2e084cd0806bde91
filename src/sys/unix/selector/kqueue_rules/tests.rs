//! The rules, checked against hand-made kernel answers and against [`Model`], a kernel that
//! behaves as kevent(2) describes and can be told to misbehave.

use super::*;

/// The knotes of one fd, kept the way the kernel keeps them, and a `kevent` that applies
/// changes to them in changelist order.
#[derive(Debug, Default)]
struct Model {
    /// Whether the fd is closed: then every change fails with EBADF.
    closed: bool,
    /// The filters that have a knote, each with its `udata`.
    knotes: Vec<(Filter, Token)>,
    /// Reports of readiness waiting in the queue; a call that collects them takes them away.
    pending: usize,
    /// A kernel that writes no receipt for a change that succeeded (one that ignores
    /// EV_RECEIPT): it then goes on to collect pending reports, as for any call.
    ignores_receipts: bool,
    /// How many of the next calls a signal interrupts after the changes, before any receipt.
    interruptions: usize,
    /// How many times `kevent` was called.
    calls: usize,
}

impl Model {
    fn with_knotes(knotes: &[(Filter, Token)]) -> Model {
        Model {
            knotes: knotes.to_vec(),
            ..Model::default()
        }
    }

    /// The errno of one change (0 for success).
    fn change(&mut self, change: Change, token: Token) -> i64 {
        if self.closed {
            return i64::from(kernel::EBADF);
        }
        let at = self.knotes.iter().position(|(f, _)| *f == change.filter);
        match at {
            _ if change.flags & ADD != 0 => match at {
                Some(i) => self.knotes[i].1 = token,
                None => self.knotes.push((change.filter, token)),
            },
            Some(i) if change.flags & DELETE != 0 => drop(self.knotes.remove(i)),
            // EV_ENABLE of a knote that is there rewrites its udata (FreeBSD, macOS).
            Some(i) => self.knotes[i].1 = token,
            None => return i64::from(kernel::ENOENT),
        }
        0
    }
}

impl Kernel for Model {
    fn submit<const N: usize>(&mut self, changes: &[(Change, Token); N]) -> io::Result<Answer<N>> {
        self.calls += 1;
        assert!(
            self.calls < 100,
            "kevent called 100 times: the caller never stops"
        );
        let interrupted = self.interruptions > 0;
        self.interruptions = self.interruptions.saturating_sub(1);
        let mut slots = [Report::default(); N];
        let mut written = 0;
        for &(change, token) in changes {
            let errno = self.change(change, token);
            let answers = errno != 0 || (change.flags & RECEIPT != 0 && !self.ignores_receipts);
            if !interrupted && answers {
                slots[written] = receipt(change.filter, errno);
                written += 1;
            }
        }
        // Having written no receipt, the kernel collects pending reports into the free slots.
        let collects = !interrupted && written == 0;
        while collects && self.pending > 0 && written < N {
            slots[written] = Report {
                filter: READ,
                flags: CLEAR,
                fflags: 0,
                data: 1,
            };
            self.pending -= 1;
            written += 1;
        }
        Ok(Answer { slots, interrupted })
    }
}

fn receipt(filter: Filter, data: i64) -> Report {
    Report {
        filter,
        flags: ERROR,
        fflags: 0,
        data,
    }
}

#[test]
fn interest_adds_edge_triggered_filters_and_removes_the_others() {
    let [read, write] = set_interest(Interest::READABLE);
    assert_eq!(read.filter, READ);
    assert_eq!(read.flags, ADD | CLEAR | RECEIPT);
    assert_eq!(write.filter, WRITE);
    assert_eq!(write.flags, DELETE | RECEIPT);
    let [read, write] = set_interest(Interest::READABLE | Interest::WRITABLE);
    assert!(read.flags & ADD != 0 && write.flags & ADD != 0);
}

#[test]
fn receipts_are_matched_by_place_and_missing_ones_are_none_only_after_a_signal() {
    let answer = |slots, interrupted| Answer { slots, interrupted };
    let unwritten = Report::default();
    let written = answer([receipt(READ, 0), unwritten], true);
    assert_eq!(receipts(&REMOVE, &written).unwrap(), [Some(0), None]);
    // A receipt out of place is not one: the kernel answers in changelist order.
    let written = answer([receipt(WRITE, 0), unwritten], true);
    assert_eq!(receipts(&REMOVE, &written).unwrap(), [None, None]);
    let written = answer([receipt(READ, 2), receipt(WRITE, 0)], false);
    assert_eq!(receipts(&REMOVE, &written).unwrap(), [Some(2), Some(0)]);
    let written = answer([receipt(WRITE, 0), unwritten], false);
    let err = receipts(&REMOVE, &written).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Unsupported);
}

#[test]
fn probing_tells_present_absent_and_unknown_apart() {
    let enoent = Some(i64::from(kernel::ENOENT));
    let ebadf = Some(i64::from(kernel::EBADF));
    assert_eq!(probe_found(&[Some(0), enoent]).unwrap(), Some(true));
    assert_eq!(probe_found(&[enoent, enoent]).unwrap(), Some(false));
    assert_eq!(probe_found(&[ebadf, ebadf]).unwrap(), Some(false));
    assert_eq!(probe_found(&[enoent, None]).unwrap(), None);
    assert!(probe_found(&[Some(22), enoent]).is_err());
}

#[test]
fn only_real_errors_fail_a_change() {
    let enoent = Some(i64::from(kernel::ENOENT));
    let epipe = Some(i64::from(kernel::EPIPE));
    let read_only = set_interest(Interest::READABLE);
    assert!(applied(&read_only, &[Some(0), enoent]).is_ok());
    assert!(applied(&read_only, &[epipe, enoent]).is_ok());
    assert!(applied(&read_only, &[None, None]).is_ok());
    let err = applied(&read_only, &[enoent, Some(0)]).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(kernel::ENOENT));
    let err = applied(&read_only, &[Some(0), Some(9)]).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(9));
}

#[test]
fn removing_nothing_is_not_found_but_an_interrupted_removal_succeeded() {
    let enoent = Some(i64::from(kernel::ENOENT));
    let err = removed(&[enoent, enoent]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert!(removed(&[Some(0), enoent]).is_ok());
    assert!(removed(&[None, enoent]).is_ok());
}

#[test]
fn end_of_file_keeps_buffered_bytes_readable() {
    let report = Report {
        filter: READ,
        flags: EOF,
        fflags: 0,
        data: 5,
    };
    let seen = readiness(&report);
    assert!(seen.readable && seen.read_closed);
    assert!(!seen.writable && !seen.write_closed && !seen.error);
}

#[test]
fn a_refused_connection_is_an_error_on_the_write_filter() {
    let report = Report {
        filter: WRITE,
        flags: EOF,
        fflags: 61,
        data: 0,
    };
    let seen = readiness(&report);
    assert!(seen.writable && seen.write_closed && seen.error && !seen.readable);
}

#[test]
fn the_user_event_reads_as_readable() {
    let report = Report {
        filter: USER,
        ..Report::default()
    };
    assert!(readiness(&report).readable && !readiness(&report).aio);
}

#[cfg(any(minimio_evfilt_lio, not(minimio_bsd)))]
#[test]
fn aio_and_lio_filters_are_recognised() {
    let aio = Report {
        filter: kernel::EVFILT_AIO as Filter,
        ..Report::default()
    };
    let lio = Report {
        filter: kernel::EVFILT_LIO as Filter,
        ..Report::default()
    };
    assert!(readiness(&aio).aio && !readiness(&aio).readable);
    assert!(readiness(&lio).lio && !readiness(&lio).aio);
}

#[test]
fn waits_are_exact_and_at_most_a_day() {
    let now = Instant::now();
    let wait = |timeout| Deadline::after(timeout, now).wait_from(now);
    assert_eq!(wait(None), None);
    assert_eq!(wait(Some(Duration::ZERO)), Some(Duration::ZERO));
    let nanosecond = Duration::from_nanos(1);
    assert_eq!(wait(Some(nanosecond)), Some(nanosecond));
    assert_eq!(wait(Some(LONGEST_WAIT * 3)), Some(LONGEST_WAIT));
    // Too far away to be an Instant: for ever.
    assert_eq!(wait(Some(Duration::MAX)), None);
}

#[test]
fn a_timeout_never_ends_a_wait_early() {
    let start = Instant::now();
    let end = start + Duration::from_millis(10);
    let deadline = Deadline::At(end);
    // Nothing yet and time left (a day-long slice ended, or the kernel woke early): wait on.
    assert!(after_wait(Ok(0), deadline, end - Duration::from_nanos(1)).is_none());
    assert!(after_wait(Ok(0), deadline, end).unwrap().is_ok());
    assert!(after_wait(Ok(2), deadline, start).unwrap().is_ok());
    assert!(after_wait(Ok(0), Deadline::Now, start).unwrap().is_ok());
    assert!(after_wait(Ok(0), Deadline::Never, end).is_none());
    let failed = after_wait(Err(io::Error::from_raw_os_error(9)), deadline, start);
    assert_eq!(failed.unwrap().unwrap_err().raw_os_error(), Some(9));
}

const T1: Token = Token(1);
const T2: Token = Token(2);

fn registration(token: Token, interests: Interest) -> Registration {
    Registration { token, interests }
}

#[test]
fn a_live_registration_refuses_a_second_and_keeps_its_token() {
    let mut kernel = Model::with_knotes(&[(READ, T1)]);
    let recorded = registration(T1, Interest::READABLE);
    let err = register(
        &mut kernel,
        Some(recorded),
        registration(T2, Interest::READABLE),
    );
    assert_eq!(err.unwrap_err().kind(), io::ErrorKind::AlreadyExists);
    assert_eq!(kernel.knotes, [(READ, T1)]);
}

#[test]
fn a_closed_and_reused_fd_registers_anew() {
    // The new file under the old number has no knotes: they died with the closed one.
    let mut kernel = Model::default();
    let recorded = registration(T1, Interest::READABLE);
    let both = Interest::READABLE | Interest::WRITABLE;
    register(&mut kernel, Some(recorded), registration(T2, both)).unwrap();
    assert_eq!(kernel.knotes, [(READ, T2), (WRITE, T2)]);
}

#[test]
fn reregistering_moves_the_token_and_the_directions() {
    let mut kernel = Model::with_knotes(&[(READ, T1)]);
    let current = registration(T1, Interest::READABLE);
    reregister(&mut kernel, current, registration(T2, Interest::WRITABLE)).unwrap();
    assert_eq!(kernel.knotes, [(WRITE, T2)]);
}

#[test]
fn reregistering_dead_knotes_is_not_found_and_leaves_nothing() {
    let current = registration(T1, Interest::READABLE);
    let new = registration(T2, Interest::READABLE | Interest::WRITABLE);
    // Closed, and the number reused by a file without knotes.
    let mut reused = Model::default();
    let err = reregister(&mut reused, current, new).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    // The one call gave the new file knotes; a second took them off.
    assert_eq!((reused.knotes.as_slice(), reused.calls), ([].as_slice(), 2));
    // Closed, and the number still free.
    let mut closed = Model {
        closed: true,
        ..Model::default()
    };
    let err = reregister(&mut closed, current, new).unwrap_err();
    assert_eq!((err.kind(), closed.calls), (io::ErrorKind::NotFound, 1));
}

#[test]
fn deregistering_removes_both_directions_once() {
    let mut kernel = Model::with_knotes(&[(READ, T1), (WRITE, T1)]);
    let current = registration(T1, Interest::READABLE | Interest::WRITABLE);
    deregister(&mut kernel, current).unwrap();
    assert_eq!(kernel.knotes, []);
    let err = deregister(&mut kernel, current).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
}

#[test]
fn a_kernel_that_ignores_receipts_is_refused_at_once() {
    // Both probes succeed, so such a kernel writes nothing for them and collects reports.
    let mut kernel = Model {
        ignores_receipts: true,
        pending: 10,
        ..Model::with_knotes(&[(READ, T1), (WRITE, T1)])
    };
    let live = registration(T1, Interest::READABLE | Interest::WRITABLE);
    let err = is_live(&mut kernel, live).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Unsupported);
    // One call, and with it the two reports its two slots could take: no more are lost.
    assert_eq!((kernel.calls, kernel.pending), (1, 8));
}

#[test]
fn an_interrupted_probe_is_asked_again_a_few_times_only() {
    let live = registration(T1, Interest::READABLE);
    let mut once = Model {
        interruptions: 1,
        ..Model::with_knotes(&[(READ, T1)])
    };
    assert!(is_live(&mut once, live).unwrap());
    assert_eq!(once.calls, 2);
    let mut storm = Model {
        interruptions: usize::MAX,
        ..Model::with_knotes(&[(READ, T1)])
    };
    let err = is_live(&mut storm, live).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Interrupted);
    assert_eq!(storm.calls, PROBE_TRIES);
}

#[test]
fn reregistering_a_live_fd_is_one_call() {
    let mut kernel = Model::with_knotes(&[(READ, T1)]);
    let current = registration(T1, Interest::READABLE);
    let both = Interest::READABLE | Interest::WRITABLE;
    reregister(&mut kernel, current, registration(T2, both)).unwrap();
    assert_eq!(kernel.calls, 1);
    assert_eq!(kernel.knotes, [(READ, T2), (WRITE, T2)]);
}

#[test]
fn an_interrupted_reregister_trusts_the_record() {
    let mut kernel = Model {
        interruptions: 1,
        ..Model::with_knotes(&[(READ, T1), (WRITE, T1)])
    };
    let current = registration(T1, Interest::READABLE | Interest::WRITABLE);
    reregister(&mut kernel, current, registration(T2, Interest::READABLE)).unwrap();
    assert_eq!(
        (kernel.knotes.as_slice(), kernel.calls),
        ([(READ, T2)].as_slice(), 1)
    );
}

#[test]
fn a_signal_ends_the_wait_with_interrupted() {
    let now = Instant::now();
    let far = Deadline::At(now + Duration::from_secs(60));
    for deadline in [far, Deadline::Now, Deadline::Never] {
        let signal = io::Error::from(io::ErrorKind::Interrupted);
        let ended = after_wait(Err(signal), deadline, now);
        let kind = ended.map(|result| result.map_err(|err| err.kind()));
        assert_eq!(kind, Some(Err(io::ErrorKind::Interrupted)), "{deadline:?}");
    }
}
