//! Runs the delay server of the minimio demo on its own.
//!
//! ```text
//! cargo run --example delay_server -- [--addr HOST:PORT]
//! ```
//!
//! `GET /{delay_ms}/{message}` is answered with `message` after `delay_ms` milliseconds, e.g.
//! `curl http://127.0.0.1:8080/1500/hello`. Point the demo at it with
//! `cargo run --example demo -- --server 127.0.0.1:8080`.

#[path = "shared/delay_server.rs"]
mod delay_server;

use std::net::TcpListener;
use std::process::ExitCode;

const DEFAULT_ADDR: &str = "127.0.0.1:8080";

const USAGE: &str = "\
usage: delay_server [--addr HOST:PORT]

Serves GET /{delay_ms}/{message}: answers with message after delay_ms milliseconds.

options:
  --addr HOST:PORT  address to listen on (default 127.0.0.1:8080; port 0 picks a free port)
  -h, --help        show this help";

fn main() -> ExitCode {
    let addr = match parse_args(std::env::args().skip(1)) {
        Ok(Some(addr)) => addr,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("delay_server: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    let listener = match TcpListener::bind(&addr) {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("delay_server: cannot listen on {addr}: {err}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(local) => {
            println!("delay server listening on {local} (try: curl http://{local}/1000/hello)")
        }
        Err(err) => {
            eprintln!("delay_server: {err}");
            return ExitCode::FAILURE;
        }
    }

    match delay_server::serve(listener, true) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("delay_server: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Returns the address to listen on, or `None` when help was asked for.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<String>, String> {
    let mut addr = DEFAULT_ADDR.to_string();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--addr" => addr = args.next().ok_or("--addr needs a value")?,
            _ => match arg.strip_prefix("--addr=") {
                Some(value) => addr = value.to_string(),
                None => return Err(format!("unknown argument {arg:?}")),
            },
        }
    }
    Ok(Some(addr))
}
