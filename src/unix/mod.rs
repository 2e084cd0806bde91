//! Unix-only extensions: any file descriptor as a source, and non-blocking pipes.

pub mod pipe;
mod source_fd;

pub use self::source_fd::SourceFd;
