//! A waker on a pipe, for kqueue systems without a user event to rely on.
//!
//! The reading end is registered readable and edge-triggered; every byte written to the pipe is
//! a new edge, so it is reported again, and one wake is one `write`. The pipe is not read while
//! there is room; once it is full (after thousands of wakes nobody read) one `write` fails with
//! `WouldBlock`, and the pipe is emptied before writing again, so the poller still sees a fresh
//! edge.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;

use crate::sys::unix::{pipe, Selector};
use crate::{Interest, Token};

#[derive(Debug)]
pub(crate) struct Waker {
    reader: File,
    writer: File,
}

impl Waker {
    pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        let (reader, writer) = pipe::new_pipe()?;
        selector.register(reader.as_raw_fd(), token, Interest::READABLE)?;
        Ok(Waker { reader, writer })
    }

    pub(crate) fn wake(&self) -> io::Result<()> {
        match (&self.writer).write(&[1]) {
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                self.empty()?;
                (&self.writer).write(&[1]).map(drop)
            }
            result => result.map(drop),
        }
    }

    fn empty(&self) -> io::Result<()> {
        let mut sink = [0u8; 512];
        loop {
            match (&self.reader).read(&mut sink) {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    }
}
