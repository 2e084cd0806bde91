//! The `http_hello` example's server, compiled against mio instead of minimio: the very same
//! source file, so that `bench/wrk.sh` compares the two libraries and nothing else.

use mio as library;

#[path = "../../../examples/http_hello/server.rs"]
mod server;

fn main() -> std::io::Result<()> {
    server::main()
}
