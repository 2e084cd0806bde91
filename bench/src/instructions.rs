//! Instructions per operation, counted by `valgrind --tool=callgrind`.
//!
//! The bench runs itself under callgrind for one scenario and library, once doing N operations
//! and once 2N, and reads the total of instructions executed (`Ir`) from each run's output
//! file; (Ir(2N) − Ir(N)) / N is the instructions per operation (see [`crate::child`]).
//! Callgrind counts the instructions the process executes in user space, the same on every run
//! of the same binary whatever else the machine is doing (`pump` varies by a fraction of a
//! percent: how many bytes each read and write moves is up to the kernel). It leaves out the
//! kernel's work inside system calls.

use std::io;
use std::path::Path;

use crate::catalogue::{Kind, Scenario};
use crate::child;
use crate::scenarios::{accept, idle, pump};

/// The most idle sockets a counted idle scenario carries. Valgrind keeps descriptors of its own
/// below the open-file limit, so the child may not reach the largest idle count of the run;
/// and one count beside `idle-0` shows whether idle sockets cost.
const IDLE_COUNTED: usize = 10_000;

#[derive(Debug)]
pub struct InstructionCount {
    pub scenario: String,
    pub library: &'static str,
    /// What one operation is (`round trip`, ...).
    pub operation: &'static str,
    /// N: the operations of the smaller run; the larger does 2N.
    pub operations: u64,
    /// Ir of the run with N and of the run with 2N operations.
    pub totals: [u64; 2],
    pub per_op: f64,
}

pub fn valgrind_available() -> bool {
    child::available("valgrind", "--version")
}

/// What one operation of a scenario is, and how many units of the scenario's work it takes.
fn operation(kind: Kind) -> (&'static str, u64) {
    match kind {
        Kind::Pump => ("64 KiB written and read", pump::BUFFER_LEN as u64),
        Kind::Accept => ("connection (connect, accept, close)", 1),
        Kind::Churn => ("register + deregister", 1),
        _ => ("round trip", 1),
    }
}

/// N, the operations of the smaller run, or `None` for a scenario not counted. Only
/// single-threaded scenarios are: valgrind runs one thread at a time, so threads waking each
/// other would be paced by its scheduler. Idle scenarios are counted up to [`IDLE_COUNTED`]
/// idle sockets. Ping-pongs do a whole number of rounds of all their pairs and accept whole
/// batches, so that both runs stop at the same point of a round. A full-sized run takes well
/// under a second under callgrind here; `quick` ones only prove that the count works.
fn operations(kind: Kind, quick: bool) -> Option<u64> {
    let (full, tiny) = match kind {
        Kind::PingPong { pairs } => (10_000.max(20 * pairs as u64), 100.max(2 * pairs as u64)),
        Kind::Idle { idle } if idle <= IDLE_COUNTED => (10_000, 2 * idle::ACTIVE_PAIRS as u64),
        Kind::Pump => (2_000, 16),
        Kind::Accept => (20 * accept::BATCH as u64, accept::BATCH as u64),
        Kind::Churn => (20_000, 100),
        Kind::Idle { .. } | Kind::Waker | Kind::ManyWakers { .. } => return None,
    };
    Some(if quick { tiny } else { full })
}

/// Whether a scenario's instructions are counted.
pub fn counted(scenario: &Scenario) -> bool {
    operations(scenario.kind, false).is_some()
}

/// Counts instructions per operation for each counted scenario and library. The callgrind
/// output files go to a directory of their own under the system's temporary directory, removed
/// at the end.
pub fn count(scenarios: &[Scenario], quick: bool) -> io::Result<Vec<InstructionCount>> {
    let dir = std::env::temp_dir().join(format!("minimio-bench-callgrind-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let counted: Vec<Scenario> = scenarios.iter().filter(|s| counted(s)).cloned().collect();
    let operations = |kind| operations(kind, quick).unwrap_or(0);
    let counts = child::each_library(
        "callgrind",
        &counted,
        |scenario| {
            let work = operations(scenario.kind) * operation(scenario.kind).1;
            [work, 2 * work]
        },
        |scenario, library, work| instructions(&dir, scenario, library, work),
        |scenario, library, _, totals| {
            let operations = operations(scenario.kind);
            InstructionCount {
                scenario: scenario.name.clone(),
                library,
                operation: operation(scenario.kind).0,
                operations,
                totals,
                per_op: (totals[1] as f64 - totals[0] as f64) / operations as f64,
            }
        },
    );
    std::fs::remove_dir_all(&dir)?;
    counts
}

/// Runs one measurement in a child under callgrind and returns the instructions it executed.
fn instructions(dir: &Path, scenario: &Scenario, library: &str, work: u64) -> io::Result<u64> {
    let out = dir.join("callgrind.out");
    let mut out_flag = std::ffi::OsString::from("--callgrind-out-file=");
    out_flag.push(&out);
    let args = [
        "--tool=callgrind".into(),
        "--collect-atstart=yes".into(),
        "-q".into(),
        out_flag,
    ];
    child::run_under("valgrind", args, scenario, library, work)?;
    let text = std::fs::read_to_string(&out)?;
    std::fs::remove_file(&out)?;
    total_ir(&text).ok_or_else(|| {
        io::Error::other(format!(
            "no Ir total in callgrind's output for {} with {library}",
            scenario.name
        ))
    })
}

/// Reads the `Ir` total of a callgrind output file: the `events:` line names the counted events
/// in order, the `totals:` line (or `summary:`, older files) gives their totals in that order.
fn total_ir(text: &str) -> Option<u64> {
    let field = |key: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(key))
            .map(|rest| rest.split_whitespace().collect::<Vec<_>>())
    };
    let index = field("events:")?.iter().position(|&event| event == "Ir")?;
    let totals = field("totals:").or_else(|| field("summary:"))?;
    totals.get(index)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ir_total_from_callgrind_output() {
        let text = "\
# callgrind format
version: 1
creator: callgrind-3.19.0
cmd:  minimio-bench --child churn minimio 100
positions: line
events: Ir
summary: 1234567
fn=(1) main
0 12
totals: 1234567
";
        assert_eq!(total_ir(text), Some(1_234_567));
        let two_events = "events: Dr Ir\nsummary: 5 77\n";
        assert_eq!(total_ir(two_events), Some(77));
        assert_eq!(total_ir("events: Dr\ntotals: 5\n"), None);
    }
}
