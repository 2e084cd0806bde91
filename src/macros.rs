//! The conversions every minimio socket and pipe offers, written once.

/// For a type `$ty { inner: IoSource<$std> }`: `Source`, `Debug`, and the conversions of the
/// OS's handle: on Unix `AsRawFd`, `AsFd`, `FromRawFd`, `IntoRawFd`, `From<OwnedFd>` and
/// `Into<OwnedFd>`; on Windows the same for sockets (`AsRawSocket`, `AsSocket`,
/// `FromRawSocket`, `IntoRawSocket`, `From<OwnedSocket>`, `Into<OwnedSocket>`).
///
/// `FromRawFd`/`From<OwnedFd>` (and the socket ones) take the handle as it is: the caller must
/// have made it non-blocking, exactly as with the `from_std` constructors.
macro_rules! io_source_type {
    ($ty:ident, $std:ty) => {
        impl $crate::event::Source for $ty {
            #[inline]
            fn register(
                &mut self,
                registry: &$crate::Registry,
                token: $crate::Token,
                interests: $crate::Interest,
            ) -> ::std::io::Result<()> {
                self.inner.register(registry, token, interests)
            }

            #[inline]

            fn reregister(
                &mut self,
                registry: &$crate::Registry,
                token: $crate::Token,
                interests: $crate::Interest,
            ) -> ::std::io::Result<()> {
                self.inner.reregister(registry, token, interests)
            }

            #[inline]

            fn deregister(&mut self, registry: &$crate::Registry) -> ::std::io::Result<()> {
                self.inner.deregister(registry)
            }
        }

        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_tuple(stringify!($ty)).field(&self.inner).finish()
            }
        }

        #[cfg(unix)]
        impl ::std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> ::std::os::fd::RawFd {
                self.inner.as_raw_fd()
            }
        }

        #[cfg(unix)]
        impl ::std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> ::std::os::fd::BorrowedFd<'_> {
                self.inner.as_fd()
            }
        }

        #[cfg(unix)]
        impl ::std::os::fd::FromRawFd for $ty {
            /// Takes ownership of `fd`, which must be open, of the right kind, and non-blocking.
            unsafe fn from_raw_fd(fd: ::std::os::fd::RawFd) -> $ty {
                // SAFETY: the caller guarantees `fd` is an open fd of this kind that it owns.
                $ty::from(unsafe { ::std::os::fd::OwnedFd::from_raw_fd(fd) })
            }
        }

        #[cfg(unix)]
        impl ::std::os::fd::IntoRawFd for $ty {
            fn into_raw_fd(self) -> ::std::os::fd::RawFd {
                self.inner.into_inner().into_raw_fd()
            }
        }

        #[cfg(unix)]
        impl From<::std::os::fd::OwnedFd> for $ty {
            /// Takes ownership of `fd`, which must be of the right kind and non-blocking.
            fn from(fd: ::std::os::fd::OwnedFd) -> $ty {
                $ty {
                    inner: $crate::io_source::IoSource::new(<$std>::from(fd)),
                }
            }
        }

        #[cfg(unix)]
        impl From<$ty> for ::std::os::fd::OwnedFd {
            fn from(source: $ty) -> ::std::os::fd::OwnedFd {
                source.inner.into_inner().into()
            }
        }

        #[cfg(windows)]
        impl ::std::os::windows::io::AsRawSocket for $ty {
            fn as_raw_socket(&self) -> ::std::os::windows::io::RawSocket {
                self.inner.as_raw_socket()
            }
        }

        #[cfg(windows)]
        impl ::std::os::windows::io::AsSocket for $ty {
            fn as_socket(&self) -> ::std::os::windows::io::BorrowedSocket<'_> {
                self.inner.as_socket()
            }
        }

        #[cfg(windows)]
        impl ::std::os::windows::io::FromRawSocket for $ty {
            /// Takes ownership of `socket`, which must be open, of the right kind, and
            /// non-blocking.
            unsafe fn from_raw_socket(socket: ::std::os::windows::io::RawSocket) -> $ty {
                // SAFETY: the caller guarantees `socket` is an open socket of this kind that it
                // owns.
                $ty::from(unsafe { ::std::os::windows::io::OwnedSocket::from_raw_socket(socket) })
            }
        }

        #[cfg(windows)]
        impl ::std::os::windows::io::IntoRawSocket for $ty {
            fn into_raw_socket(self) -> ::std::os::windows::io::RawSocket {
                self.inner.into_inner().into_raw_socket()
            }
        }

        #[cfg(windows)]
        impl From<::std::os::windows::io::OwnedSocket> for $ty {
            /// Takes ownership of `socket`, which must be of the right kind and non-blocking.
            fn from(socket: ::std::os::windows::io::OwnedSocket) -> $ty {
                $ty {
                    inner: $crate::io_source::IoSource::new(<$std>::from(socket)),
                }
            }
        }

        #[cfg(windows)]
        impl From<$ty> for ::std::os::windows::io::OwnedSocket {
            fn from(source: $ty) -> ::std::os::windows::io::OwnedSocket {
                source.inner.into_inner().into()
            }
        }
    };
}

/// `Read` for `$ty` and `&$ty`, each call going through the backend's `do_io`. The owned impl
/// forwards to the shared one, so one value can be read through `&` from several places.
macro_rules! read_through_do_io {
    ($ty:ident) => {
        impl ::std::io::Read for $ty {
            #[inline]
            fn read(&mut self, buf: &mut [u8]) -> ::std::io::Result<usize> {
                (&*self).read(buf)
            }

            #[inline]

            fn read_vectored(
                &mut self,
                bufs: &mut [::std::io::IoSliceMut<'_>],
            ) -> ::std::io::Result<usize> {
                (&*self).read_vectored(bufs)
            }
        }

        impl ::std::io::Read for &$ty {
            #[inline]
            fn read(&mut self, buf: &mut [u8]) -> ::std::io::Result<usize> {
                self.inner.do_io(|mut inner| inner.read(buf))
            }

            #[inline]

            fn read_vectored(
                &mut self,
                bufs: &mut [::std::io::IoSliceMut<'_>],
            ) -> ::std::io::Result<usize> {
                self.inner.do_io(|mut inner| inner.read_vectored(bufs))
            }
        }
    };
}

/// `Write` for `$ty` and `&$ty`, each call going through the backend's `do_io`.
macro_rules! write_through_do_io {
    ($ty:ident) => {
        impl ::std::io::Write for $ty {
            #[inline]
            fn write(&mut self, buf: &[u8]) -> ::std::io::Result<usize> {
                (&*self).write(buf)
            }

            #[inline]

            fn write_vectored(
                &mut self,
                bufs: &[::std::io::IoSlice<'_>],
            ) -> ::std::io::Result<usize> {
                (&*self).write_vectored(bufs)
            }

            #[inline]

            fn flush(&mut self) -> ::std::io::Result<()> {
                (&*self).flush()
            }
        }

        impl ::std::io::Write for &$ty {
            #[inline]
            fn write(&mut self, buf: &[u8]) -> ::std::io::Result<usize> {
                self.inner.do_io(|mut inner| inner.write(buf))
            }

            #[inline]

            fn write_vectored(
                &mut self,
                bufs: &[::std::io::IoSlice<'_>],
            ) -> ::std::io::Result<usize> {
                self.inner.do_io(|mut inner| inner.write_vectored(bufs))
            }

            #[inline]

            fn flush(&mut self) -> ::std::io::Result<()> {
                self.inner.do_io(|mut inner| inner.flush())
            }
        }
    };
}

// What the layout proofs prove. Each ffi file ends in a `layout_proof` module, compiled with the
// tests of the target at hand (so `cargo check --tests --target T` proves T), that checks its
// declarations against the `libc` or `windows-sys` crate in four ways:
//
// - `same_layout!` (below): equal size and alignment and equal offsets of the fields it lists,
//   but not the fields' types (so not their signedness), nor any field left out of the list.
// - `same_value!` (below): equal constants, compared as bit patterns of our constant's width,
//   so deliberately not their types or signedness, nor bits of the crate's value above that width.
// - Function-pointer coercions (`const _: unsafe extern "C" fn(..) -> .. = f;`, or "system" on
//   Windows, once for our `f` and once for the crate's): each function has exactly the signature
//   written, calling convention and variadics included, since a coercion needs identical types,
//   while that the two written signatures agree (ours naming our structs where the crate's
//   names its own) is checked by reading them side by side.
// - Hand-written checks where those do not reach: a field type whose signedness matters
//   (kevent's `filter` and `flags`, in bsd.rs); and the AFD structs (and the handle table the
//   Windows tests read), which windows-sys lacks, proven only against offsets and sizes written
//   beside them, that is against our own reading of their layout, not an independent one.
//
// Not proven at all: link names. The symbol a declaration binds (NetBSD's `__kevent50` and
// `__socket30`, for instance) is chosen by hand; a wrong one shows only when linking, or not at
// all when it names an entry point kept for an older ABI.

/// Compile-time proof that one of our FFI types has the size, alignment and field offsets of the
/// platform crate's (`libc` or `windows-sys`) type: `same_layout!(ours, theirs { our_field =
/// their_field, .. })`. Used only in the `layout_proof` test modules of the ffi files. Only the
/// listed fields' offsets are compared, never their types.
#[cfg(test)]
macro_rules! same_layout {
    ($ours:ty, $theirs:ty { $($field:ident = $their_field:ident),* $(,)? }) => {
        const _: () = {
            assert!(::std::mem::size_of::<$ours>() == ::std::mem::size_of::<$theirs>());
            assert!(::std::mem::align_of::<$ours>() == ::std::mem::align_of::<$theirs>());
            $(assert!(
                ::std::mem::offset_of!($ours, $field) == ::std::mem::offset_of!($theirs, $their_field)
            );)*
        };
    };
}

/// Compile-time proof that our constants equal the platform crate's: `same_value!(OURS = path,
/// ..)`, or `same_value!(NAME, ..)` for names that `libc` spells the same. Values are compared
/// as bit patterns of our constant's width, since the crates type some flags signed where we
/// use unsigned (`EPOLLET` is `1 << 31`); bits of theirs above that width are not compared.
#[cfg(test)]
macro_rules! same_value {
    ($($ours:ident = $theirs:path),* $(,)?) => {
        $(const _: () = {
            const fn width_mask<T>(_: &T) -> u64 {
                u64::MAX >> (64 - 8 * ::std::mem::size_of::<T>())
            }
            let mask = width_mask(&$ours);
            assert!(($ours as i64 as u64) & mask == ($theirs as i64 as u64) & mask);
        };)*
    };
    ($($name:ident),* $(,)?) => {
        same_value!($($name = libc::$name),*);
    };
}
