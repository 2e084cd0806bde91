//! Names each family of operating systems once, as a `cfg` the source can test.
//!
//! The code never lists `target_os` values: it asks `cfg(minimio_epoll)`, `cfg(minimio_bsd)` and
//! so on, and this table decides which systems those are. Supporting another OS means adding
//! its name to the right rows here (and declaring its system calls in `src/sys/unix/ffi`).

use std::env;

/// OS families by what they have in common: the C interface minimio declares for them, and the
/// kernel features it relies on.
const FAMILIES: &[(&str, &[&str])] = &[
    // Linux's C interface (src/sys/unix/ffi/linux.rs): epoll, eventfd, accept4, pipe2.
    ("minimio_linux", &["linux"]),
    // The kqueue systems' C interface (src/sys/unix/ffi/bsd.rs).
    (
        "minimio_bsd",
        &["macos", "ios", "freebsd", "netbsd", "openbsd", "dragonfly"],
    ),
    // Darwin: no SOCK_NONBLOCK, accept4 or pipe2; SO_NOSIGPIPE instead of MSG_NOSIGNAL.
    ("minimio_apple", &["macos", "ios"]),
    // kqueue systems whose EVFILT_USER has been there long enough to build the waker on.
    (
        "minimio_evfilt_user",
        &["macos", "ios", "freebsd", "dragonfly"],
    ),
    // kqueue systems with EVFILT_AIO (Interest::AIO).
    (
        "minimio_evfilt_aio",
        &["macos", "ios", "freebsd", "dragonfly"],
    ),
    // kqueue systems with EVFILT_LIO (Interest::LIO).
    ("minimio_evfilt_lio", &["freebsd"]),
    // poll(2) can report a peer's half-close (POLLRDHUP).
    ("minimio_pollrdhup", &["linux", "freebsd"]),
];

/// Backends, derived from the families: exactly one is set on a supported Unix.
/// `minimio_unix` is set beside it: a Unix minimio supports, whatever its backend.
const BACKENDS: &[&str] = &[
    "minimio_epoll",
    "minimio_kqueue",
    "minimio_poll",
    "minimio_unix",
];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(minimio_force_poll)");
    for (name, _) in FAMILIES {
        println!("cargo::rustc-check-cfg=cfg({name})");
    }
    for name in BACKENDS {
        println!("cargo::rustc-check-cfg=cfg({name})");
    }

    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let in_family = |family: &str| {
        FAMILIES
            .iter()
            .any(|(name, systems)| *name == family && systems.contains(&os.as_str()))
    };
    for (name, systems) in FAMILIES {
        if systems.contains(&os.as_str()) {
            println!("cargo::rustc-cfg={name}");
        }
    }

    // `RUSTFLAGS="--cfg minimio_force_poll"` reaches build scripts as this variable.
    let force_poll = env::var_os("CARGO_CFG_MINIMIO_FORCE_POLL").is_some();
    let unix = in_family("minimio_linux") || in_family("minimio_bsd");
    let backend = match () {
        _ if !unix => None,
        _ if force_poll => Some("minimio_poll"),
        _ if in_family("minimio_linux") => Some("minimio_epoll"),
        _ => Some("minimio_kqueue"),
    };
    if let Some(backend) = backend {
        println!("cargo::rustc-cfg={backend}");
        println!("cargo::rustc-cfg=minimio_unix");
    }
}
