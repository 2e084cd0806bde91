//! An HTTP/1.1 "Hello, world!" server on minimio, keep-alive and pipelining included.
//!
//! ```sh
//! cargo run --release --example http_hello -- --addr 127.0.0.1:8080
//! curl http://127.0.0.1:8080/
//! wrk -t1 -c100 -d10s http://127.0.0.1:8080/
//! ```
//!
//! The server itself lives in `server.rs` and names its event library only as `library`, so
//! that the benchmarks can build the very same source on mio for comparison.

use minimio as library;

mod server;

fn main() -> std::io::Result<()> {
    server::main()
}
