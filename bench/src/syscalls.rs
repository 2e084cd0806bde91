//! Scenario 7: system calls per operation, counted by `strace -c -f`.
//!
//! The bench runs itself under strace twice per library and scenario, once with `small` and
//! once with `large` units of work, and divides the difference in calls by the difference in
//! work (see [`crate::child`]).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io;

use crate::catalogue::Scenario;
use crate::child;

#[derive(Debug)]
pub struct SyscallCount {
    pub scenario: String,
    pub library: &'static str,
    pub per_op: f64,
    /// Calls per operation by system call name, largest first; those under 0.01 left out.
    pub by_call: Vec<(String, f64)>,
}

pub fn strace_available() -> bool {
    child::available("strace", "-V")
}

/// Counts calls per unit of work for each scenario and library.
pub fn count(scenarios: &[Scenario], small: u64, large: u64) -> io::Result<Vec<SyscallCount>> {
    child::each_library(
        "strace",
        scenarios,
        |_| [small, large],
        traced_calls,
        |scenario, library, [small, large], [few, many]| {
            let work = (large - small) as f64;
            let mut by_call: Vec<(String, f64)> = many
                .iter()
                .map(|(name, &calls)| {
                    let before = few.get(name).copied().unwrap_or(0);
                    (name.clone(), (calls as f64 - before as f64) / work)
                })
                .filter(|(_, per_op)| *per_op >= 0.01)
                .collect();
            by_call.sort_by(|a, b| b.1.total_cmp(&a.1));
            let total = |calls: &BTreeMap<String, u64>| calls.values().sum::<u64>() as f64;
            SyscallCount {
                scenario: scenario.name.clone(),
                library,
                per_op: (total(&many) - total(&few)) / work,
                by_call,
            }
        },
    )
}

/// Runs one measurement in a child under `strace -c -f` and returns its calls by name.
fn traced_calls(
    scenario: &Scenario,
    library: &str,
    work: u64,
) -> io::Result<BTreeMap<String, u64>> {
    let summary = std::env::temp_dir().join(format!("minimio-bench-strace-{}", std::process::id()));
    let args = [OsStr::new("-c"), OsStr::new("-f"), OsStr::new("-o")];
    child::run_under(
        "strace",
        args.into_iter().chain([summary.as_os_str()]),
        scenario,
        library,
        work,
    )?;
    let calls = parse_summary(&std::fs::read_to_string(&summary)?);
    std::fs::remove_file(&summary)?;
    Ok(calls)
}

/// Reads the table `strace -c` prints: `% time, seconds, usecs/call, calls, [errors], syscall`.
/// The errors column is empty for calls that never failed, so `calls` is the fourth field and
/// the name the last.
fn parse_summary(text: &str) -> BTreeMap<String, u64> {
    let mut calls = BTreeMap::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(count), Some(name)) = (fields.get(3), fields.last()) else {
            continue;
        };
        if *name == "total" || !(5..=6).contains(&fields.len()) {
            continue;
        }
        if let Ok(count) = count.parse::<u64>() {
            *calls.entry(name.to_string()).or_default() += count;
        }
    }
    calls
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_strace_summary_with_and_without_errors() {
        let text = "\
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 40.00    0.000400           2       200           epoll_wait
 30.00    0.000300           1       300       100 recvfrom
------ ----------- ----------- --------- --------- ----------------
100.00    0.000700           1       500       100 total
";
        let calls = parse_summary(text);
        assert_eq!(calls.get("epoll_wait"), Some(&200));
        assert_eq!(calls.get("recvfrom"), Some(&300));
        assert_eq!(calls.len(), 2);
    }
}
