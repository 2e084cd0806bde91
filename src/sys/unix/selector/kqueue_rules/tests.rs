//! The rules, checked against hand-made kernel answers.

use super::*;

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
fn receipts_are_matched_by_filter_and_missing_ones_are_none() {
    let unwritten = Report::default();
    let written = [receipt(WRITE, 0), unwritten];
    assert_eq!(receipts(&REMOVE, &written), [None, Some(0)]);
    let written = [receipt(READ, 2), receipt(WRITE, 0)];
    assert_eq!(receipts(&REMOVE, &written), [Some(2), Some(0)]);
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
    assert_eq!(one_wait(None), None);
    assert_eq!(one_wait(Some(Duration::ZERO)), Some(Duration::ZERO));
    assert_eq!(
        one_wait(Some(Duration::from_nanos(1))),
        Some(Duration::from_nanos(1))
    );
    assert_eq!(one_wait(Some(Duration::MAX)), Some(LONGEST_WAIT));
}
