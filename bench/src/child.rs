//! The bench watching itself: one measurement of one scenario with one library, run in a child
//! process under a counting tool (strace, valgrind).
//!
//! A count per operation takes two children per scenario and library, one doing a small and one
//! a large amount of work, and divides the difference of their counts by the difference of
//! their work. Starting the process, setting up sockets, threads and registrations, and exiting
//! are the same in both children and cancel out.

use std::ffi::OsStr;
use std::io;
use std::process::{Command, Stdio};

use crate::catalogue::{library, Context, Scenario, LIBRARIES};

/// The flag that makes the bench run one measurement and exit: `--child SCENARIO LIBRARY WORK`.
pub const CHILD_FLAG: &str = "--child";

/// Whether `program --version` runs and succeeds.
pub fn available(program: &str, version_flag: &str) -> bool {
    Command::new(program)
        .arg(version_flag)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Runs `program` with `tool_args`, then the bench itself measuring `scenario` with `library`
/// over `work` units. The child's standard output is discarded.
pub fn run_under<I, S>(
    program: &str,
    tool_args: I,
    scenario: &Scenario,
    library: &str,
    work: u64,
) -> io::Result<()>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let status = Command::new(program)
        .args(tool_args)
        .arg("--")
        .arg(std::env::current_exe()?)
        .args([CHILD_FLAG, &scenario.name, library, &work.to_string()])
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        return Err(io::Error::other(format!(
            "{program} of {} with {library} over {work} units failed: {status}",
            scenario.name
        )));
    }
    Ok(())
}

/// For every scenario and every library in [`LIBRARIES`] order: `observe` with the smaller and
/// then the larger of the two amounts of work `works` gives for the scenario, and `compare` of
/// the two observations. Shows progress on stderr, one line per scenario headed by `label`.
pub fn each_library<T, R>(
    label: &str,
    scenarios: &[Scenario],
    works: impl Fn(&Scenario) -> [u64; 2],
    mut observe: impl FnMut(&Scenario, &str, u64) -> io::Result<T>,
    mut compare: impl FnMut(&Scenario, &'static str, [u64; 2], [T; 2]) -> R,
) -> io::Result<Vec<R>> {
    let mut results = Vec::with_capacity(scenarios.len() * LIBRARIES.len());
    for scenario in scenarios {
        eprint!("{:<24}", format!("{label} {}", scenario.name));
        let [small, large] = works(scenario);
        for (library, _) in LIBRARIES {
            let few = observe(scenario, library, small)?;
            let many = observe(scenario, library, large)?;
            results.push(compare(scenario, library, [small, large], [few, many]));
            eprint!(".");
        }
        eprintln!();
    }
    Ok(results)
}

/// The child's side: one measurement of `scenario` with `library`, `work` units.
pub fn child(scenarios: &[Scenario], args: &[String]) -> io::Result<()> {
    let [name, library_name, work] = args else {
        return Err(io::Error::other(format!(
            "usage: {CHILD_FLAG} SCENARIO LIBRARY WORK"
        )));
    };
    let mut scenario = scenarios
        .iter()
        .find(|scenario| &scenario.name == name)
        .cloned()
        .ok_or_else(|| io::Error::other(format!("no scenario {name}")))?;
    let measure = library(library_name)
        .ok_or_else(|| io::Error::other(format!("no library {library_name}")))?;
    scenario.work = work.parse().map_err(io::Error::other)?;
    measure(&scenario, &mut Context::default()).map(drop)
}
