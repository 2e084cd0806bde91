//! Tests of `minimio::unix::pipe`.

#![cfg(unix)]

mod util;

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::process::{Command, Stdio};

use minimio::unix::pipe::{self, Receiver, Sender};
use minimio::{Interest, Token};

use util::unix::is_non_blocking;
use util::{
    assert_would_block, expect_events, expect_no_events, new_poll, read_exact_polled,
    read_until_would_block, wait_for_event, Expect,
};

const SENDER: Token = Token(1);
const RECEIVER: Token = Token(2);

/// Writes everything a non-blocking sender accepts and returns how many bytes that was.
fn fill(sender: &mut Sender) -> usize {
    let chunk = [0xA5u8; 4096];
    let mut total = 0;
    loop {
        match sender.write(&chunk) {
            Ok(n) => total += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return total,
            Err(e) => panic!("write failed after {total} bytes: {e}"),
        }
    }
}

/// A new sender is writable at once, and the receiver becomes readable after a write.
#[test]
fn sender_writable_and_receiver_readable_after_write() {
    let (mut poll, mut events) = new_poll(64);
    let (mut sender, mut receiver) = pipe::new().unwrap();
    poll.registry()
        .register(&mut sender, SENDER, Interest::WRITABLE)
        .unwrap();
    poll.registry()
        .register(&mut receiver, RECEIVER, Interest::READABLE)
        .unwrap();
    expect_events(&mut poll, &mut events, &[Expect::writable(SENDER)]);
    expect_no_events(&mut poll, &mut events, &[RECEIVER]);
    assert_would_block(receiver.read(&mut [0u8; 8]));

    assert_eq!(sender.write(b"through the pipe").unwrap(), 16);
    expect_events(&mut poll, &mut events, &[Expect::readable(RECEIVER)]);
    assert_eq!(
        read_until_would_block(&mut receiver).unwrap(),
        b"through the pipe"
    );
}

/// Receiver readiness is edge-triggered: a partial read raises no new event, new data does.
#[test]
fn receiver_readiness_is_edge_triggered() {
    let (mut poll, mut events) = new_poll(64);
    let (mut sender, mut receiver) = pipe::new().unwrap();
    poll.registry()
        .register(&mut receiver, RECEIVER, Interest::READABLE)
        .unwrap();

    let data: Vec<u8> = (0..100u8).collect();
    sender.write_all(&data).unwrap();
    expect_events(&mut poll, &mut events, &[Expect::readable(RECEIVER)]);
    let mut first = [0u8; 10];
    assert_eq!(receiver.read(&mut first).unwrap(), 10);
    assert_eq!(first, data[..10]);
    expect_no_events(&mut poll, &mut events, &[RECEIVER]);

    assert_eq!(read_until_would_block(&mut receiver).unwrap(), data[10..]);
    sender.write_all(b"again").unwrap();
    expect_events(&mut poll, &mut events, &[Expect::readable(RECEIVER)]);
    assert_eq!(
        read_exact_polled(&mut poll, &mut events, RECEIVER, &mut receiver, 5),
        b"again"
    );
}

/// Dropping the sender of an empty pipe reports read_closed on the receiver, whose reads then return 0.
#[test]
#[cfg_attr(
    miri,
    ignore = "Miri's epoll reports a pipe hang-up with other flags than Linux"
)]
fn dropping_sender_gives_read_closed() {
    let (mut poll, mut events) = new_poll(64);
    let (sender, mut receiver) = pipe::new().unwrap();
    poll.registry()
        .register(&mut receiver, RECEIVER, Interest::READABLE)
        .unwrap();
    drop(sender);
    let seen = expect_events(&mut poll, &mut events, &[Expect::read_closed(RECEIVER)]);
    // On Linux the hang-up of an empty pipe is reported without readable.
    if cfg!(target_os = "linux") {
        let event = seen
            .iter()
            .find(|e| e.token == RECEIVER && e.read_closed)
            .unwrap();
        assert!(
            !event.readable,
            "an empty pipe's hang-up is not readable: {event:?}"
        );
    }
    assert_eq!(receiver.read(&mut [0u8; 8]).unwrap(), 0);
}

/// Dropping the sender after writing reports readable and read_closed, and the data is still readable.
#[test]
fn dropping_sender_keeps_buffered_data() {
    let (mut poll, mut events) = new_poll(64);
    let (mut sender, mut receiver) = pipe::new().unwrap();
    poll.registry()
        .register(&mut receiver, RECEIVER, Interest::READABLE)
        .unwrap();
    sender.write_all(b"last words").unwrap();
    drop(sender);
    expect_events(
        &mut poll,
        &mut events,
        &[Expect {
            read_closed: Some(true),
            ..Expect::readable(RECEIVER)
        }],
    );
    let mut buf = [0u8; 32];
    assert_eq!(receiver.read(&mut buf).unwrap(), 10);
    assert_eq!(&buf[..10], b"last words");
    assert_eq!(receiver.read(&mut buf).unwrap(), 0);
}

/// Dropping the receiver reports error and write_closed on the sender, whose writes then fail with BrokenPipe.
#[test]
#[cfg_attr(
    miri,
    ignore = "Miri's epoll reports a pipe hang-up with other flags than Linux"
)]
fn dropping_receiver_gives_error_on_sender() {
    let (mut poll, mut events) = new_poll(64);
    let (mut sender, receiver) = pipe::new().unwrap();
    poll.registry()
        .register(&mut sender, SENDER, Interest::WRITABLE)
        .unwrap();
    expect_events(&mut poll, &mut events, &[Expect::writable(SENDER)]);
    drop(receiver);
    let event = wait_for_event(&mut poll, &mut events, SENDER, "error or closed", |e| {
        e.error || e.write_closed
    });
    if cfg!(target_os = "linux") {
        assert!(
            event.error && event.write_closed,
            "Linux reports both error and write_closed: {event:?}"
        );
    }
    let err = sender
        .write(b"anyone?")
        .expect_err("writing to a pipe without reader must fail");
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");
}

/// A full pipe raises no writable event; draining it gives a new writable event (edge).
#[test]
fn writable_again_after_draining_a_full_pipe() {
    let (mut poll, mut events) = new_poll(64);
    let (mut sender, mut receiver) = pipe::new().unwrap();
    poll.registry()
        .register(&mut sender, SENDER, Interest::WRITABLE)
        .unwrap();
    expect_events(&mut poll, &mut events, &[Expect::writable(SENDER)]);

    let written = fill(&mut sender);
    assert!(written > 0, "an empty pipe must accept some bytes");
    assert_would_block(sender.write(b"x"));
    expect_no_events(&mut poll, &mut events, &[SENDER]);

    let drained = read_until_would_block(&mut receiver).unwrap();
    assert_eq!(drained.len(), written);
    assert!(drained.iter().all(|&b| b == 0xA5));
    expect_events(&mut poll, &mut events, &[Expect::writable(SENDER)]);
    assert_eq!(sender.write(b"room again").unwrap(), 10);
}

/// Both ends start non-blocking, and set_nonblocking switches the mode off and on again.
#[test]
fn set_nonblocking_switches_mode() {
    let (mut sender, mut receiver) = pipe::new().unwrap();
    assert!(is_non_blocking(sender.as_raw_fd()));
    assert!(is_non_blocking(receiver.as_raw_fd()));

    receiver.set_nonblocking(false).unwrap();
    sender.set_nonblocking(false).unwrap();
    assert!(!is_non_blocking(receiver.as_raw_fd()));
    assert!(!is_non_blocking(sender.as_raw_fd()));
    // A blocking read waits for the writer on the other thread.
    let writer = std::thread::spawn(move || {
        sender.write_all(b"blocking").unwrap();
        sender
    });
    let mut got = [0u8; 8];
    receiver.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"blocking");
    let sender = writer.join().unwrap();

    receiver.set_nonblocking(true).unwrap();
    sender.set_nonblocking(true).unwrap();
    assert!(is_non_blocking(receiver.as_raw_fd()));
    assert!(is_non_blocking(sender.as_raw_fd()));
    assert_would_block(receiver.read(&mut got));
}

/// Both ends of a new pipe are close-on-exec.
#[cfg(target_os = "linux")]
#[test]
fn pipe_ends_are_close_on_exec() {
    let (sender, receiver) = pipe::new().unwrap();
    for (what, fd) in [
        ("sender", sender.as_raw_fd()),
        ("receiver", receiver.as_raw_fd()),
    ] {
        assert!(
            util::unix::is_close_on_exec(fd),
            "{what} is not close-on-exec"
        );
    }
}

/// A child's stdin and stdout become a Sender and a Receiver: data echoed by `cat` is read back through a Poll.
#[test]
#[cfg_attr(miri, ignore = "Miri cannot spawn processes")]
fn child_stdin_and_stdout_through_cat() {
    let (mut poll, mut events) = new_poll(64);
    let mut child = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn cat");
    let mut sender = Sender::from(child.stdin.take().unwrap());
    let mut receiver = Receiver::from(child.stdout.take().unwrap());
    sender.set_nonblocking(true).unwrap();
    receiver.set_nonblocking(true).unwrap();
    poll.registry()
        .register(&mut sender, SENDER, Interest::WRITABLE)
        .unwrap();
    poll.registry()
        .register(&mut receiver, RECEIVER, Interest::READABLE)
        .unwrap();
    expect_events(&mut poll, &mut events, &[Expect::writable(SENDER)]);

    let message = b"hello through cat\n";
    sender.write_all(message).unwrap();
    assert_eq!(
        read_exact_polled(
            &mut poll,
            &mut events,
            RECEIVER,
            &mut receiver,
            message.len()
        ),
        message
    );

    // Closing cat's input makes it exit, which closes its output.
    drop(sender);
    expect_events(&mut poll, &mut events, &[Expect::read_closed(RECEIVER)]);
    assert_eq!(receiver.read(&mut [0u8; 8]).unwrap(), 0);
    assert!(child.wait().unwrap().success());
}

/// A child's stderr becomes a Receiver that reports what the child wrote there.
#[test]
#[cfg_attr(miri, ignore = "Miri cannot spawn processes")]
fn child_stderr_through_poll() {
    let (mut poll, mut events) = new_poll(64);
    let mut child = Command::new("sh")
        .args(["-c", "printf 'to stderr' >&2"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sh");
    let mut receiver = Receiver::from(child.stderr.take().unwrap());
    receiver.set_nonblocking(true).unwrap();
    poll.registry()
        .register(&mut receiver, RECEIVER, Interest::READABLE)
        .unwrap();
    assert_eq!(
        read_exact_polled(&mut poll, &mut events, RECEIVER, &mut receiver, 9),
        b"to stderr"
    );
    assert!(child.wait().unwrap().success());
}

/// try_io on both ends hands back values and errors unchanged, including WouldBlock from real I/O.
#[test]
fn try_io_passes_results_through() {
    let (mut poll, mut events) = new_poll(64);
    let (sender, mut receiver) = pipe::new().unwrap();
    poll.registry()
        .register(&mut receiver, RECEIVER, Interest::READABLE)
        .unwrap();

    assert_eq!(sender.try_io(|| Ok(1)).unwrap(), 1);
    assert_eq!(receiver.try_io(|| Ok(2)).unwrap(), 2);
    let err = receiver
        .try_io(|| Err::<(), _>(io::Error::other("custom failure")))
        .unwrap_err();
    assert_eq!(err.to_string(), "custom failure");

    let mut buf = [0u8; 8];
    assert_would_block(receiver.try_io(|| (&receiver).read(&mut buf)));
    assert_eq!(sender.try_io(|| (&sender).write(b"try")).unwrap(), 3);
    expect_events(&mut poll, &mut events, &[Expect::readable(RECEIVER)]);
    assert_eq!(receiver.try_io(|| (&receiver).read(&mut buf)).unwrap(), 3);
    assert_eq!(&buf[..3], b"try");
}

/// Both ends survive round trips through OwnedFd and raw descriptors and still work with a Poll.
#[test]
fn fd_round_trips() {
    let (mut poll, mut events) = new_poll(64);
    let (sender, receiver) = pipe::new().unwrap();
    let (sender_raw, receiver_raw) = (sender.as_raw_fd(), receiver.as_raw_fd());
    assert_eq!(sender.as_fd().as_raw_fd(), sender_raw);
    assert_eq!(receiver.as_fd().as_raw_fd(), receiver_raw);

    let sender = Sender::from(OwnedFd::from(sender));
    let receiver = Receiver::from(OwnedFd::from(receiver));
    assert_eq!(sender.as_raw_fd(), sender_raw);
    assert_eq!(receiver.as_raw_fd(), receiver_raw);

    assert_eq!(sender.into_raw_fd(), sender_raw);
    assert_eq!(receiver.into_raw_fd(), receiver_raw);
    // SAFETY: both descriptors were just released by `into_raw_fd` and are owned by nothing else.
    let (mut sender, mut receiver) = unsafe {
        (
            Sender::from_raw_fd(sender_raw),
            Receiver::from_raw_fd(receiver_raw),
        )
    };

    poll.registry()
        .register(&mut receiver, RECEIVER, Interest::READABLE)
        .unwrap();
    sender.write_all(b"round trip").unwrap();
    assert_eq!(
        read_exact_polled(&mut poll, &mut events, RECEIVER, &mut receiver, 10),
        b"round trip"
    );
}
