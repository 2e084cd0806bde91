//! `cargo run --release -p minimio-bench -- [SCENARIO...] [--quick] [--rounds N]`
//!
//! Measures minimio side by side with mio, polling and a hand-written epoll loop, scenario by
//! scenario, alternating the libraries round by round; prints a table and writes the results as
//! JSON and an SVG chart. A SCENARIO argument selects every scenario whose name starts with it
//! (`ping-pong`, `idle`, `waker-8`, ...); `syscalls` selects the strace count. A first argument
//! `instructions` runs only the callgrind count of instructions per operation, for the
//! scenarios the other arguments select (all that it counts when none).

mod catalogue;
mod child;
mod event_loop;
mod instructions;
mod libs;
mod report;
mod runner;
mod scenarios;
mod sockets;
mod stopwatch;
mod syscalls;

use std::io;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use catalogue::{catalogue, Kind, Scenario};
use report::Setting;
use runner::Clock;

/// File descriptors kept free beside the idle sockets: 100 active pairs, listeners, loops,
/// wakers and whatever the process already holds.
const FD_RESERVE: u64 = 1000;
/// The idle count the brief asks for; capped by the open-file limit where that is lower.
const IDLE_WANTED: usize = 100_000;

struct Options {
    quick: bool,
    /// `instructions` came first: count instructions only, for the scenarios `filters` select.
    instructions_only: bool,
    rounds: usize,
    filters: Vec<String>,
    out_dir: PathBuf,
}

fn options(args: &[String]) -> io::Result<Options> {
    let mut options = Options {
        quick: false,
        instructions_only: false,
        rounds: 5,
        filters: Vec::new(),
        out_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("results"),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--rounds" => {
                let value = args.next().and_then(|value| value.parse().ok());
                options.rounds = value.filter(|&rounds| rounds > 0).ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidInput, "--rounds takes a number ≥ 1")
                })?;
            }
            "--out" => {
                let dir = args.next().ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidInput, "--out takes a directory")
                })?;
                options.out_dir = PathBuf::from(dir);
            }
            flag if flag.starts_with("--") => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("unknown option {flag}"),
                ))
            }
            name => options.filters.push(name.to_string()),
        }
    }
    if options.filters.first().map(String::as_str) == Some("instructions") {
        options.filters.remove(0);
        options.instructions_only = true;
    }
    Ok(options)
}

fn selected(filters: &[String], name: &str) -> bool {
    filters.is_empty()
        || filters
            .iter()
            .any(|filter| name.starts_with(filter.as_str()))
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let open_file_limit = sockets::raise_open_file_limit()?;
    let idle_max = open_file_limit.saturating_sub(FD_RESERVE) / 1000 * 1000;
    let idle_max = (idle_max as usize).min(IDLE_WANTED);

    if args.first().map(String::as_str) == Some(child::CHILD_FLAG) {
        return child::child(&catalogue(false, idle_max), &args[1..]);
    }
    let options = options(&args)?;
    let chosen = || {
        catalogue(options.quick, idle_max)
            .into_iter()
            .filter(|scenario| selected(&options.filters, &scenario.name))
    };
    let scenarios: Vec<Scenario> = if options.instructions_only {
        Vec::new()
    } else {
        chosen().collect()
    };
    // Counted on a run of everything, or alone when asked for first.
    let instruction_scenarios: Vec<Scenario> =
        if options.instructions_only || options.filters.is_empty() {
            chosen().filter(instructions::counted).collect()
        } else {
            Vec::new()
        };
    if selected(&options.filters, "ping-pong-1000")
        && !chosen().any(|scenario| scenario.name == "ping-pong-1000")
    {
        eprintln!("ping-pong-1000 skipped: RLIMIT_NOFILE {open_file_limit} is too low");
    }
    let count_syscalls = !options.instructions_only && selected(&options.filters, "syscalls");
    if scenarios.is_empty() && !count_syscalls && instruction_scenarios.is_empty() {
        let what = if options.instructions_only {
            "no scenario selected whose instructions are counted (the wakers are not)"
        } else {
            "no scenario selected"
        };
        return Err(io::Error::new(io::ErrorKind::InvalidInput, what));
    }

    let warm_up = 1;
    let rounds = if options.quick { 1 } else { options.rounds };
    let idle_note = if idle_max < IDLE_WANTED {
        format!(
            "{IDLE_WANTED} idle sockets need more file descriptors than RLIMIT_NOFILE allows \
             ({open_file_limit}, the most this process may raise it to); the largest idle \
             count used is {idle_max}"
        )
    } else {
        format!("RLIMIT_NOFILE raised to {open_file_limit}")
    };
    eprintln!("{idle_note}");
    let outcomes = runner::run(&scenarios, warm_up, rounds)?;

    let counts = if !count_syscalls {
        Vec::new()
    } else if !syscalls::strace_available() {
        eprintln!("strace not found: syscall counts skipped (apt-get install -y strace)");
        Vec::new()
    } else {
        let (small, large) = if options.quick {
            (100, 300)
        } else {
            (2_000, 6_000)
        };
        let counted: Vec<Scenario> = catalogue(options.quick, idle_max)
            .into_iter()
            .filter(|scenario| {
                matches!(
                    scenario.kind,
                    Kind::PingPong { pairs: 1 | 100 } | Kind::Waker | Kind::ManyWakers { .. }
                )
            })
            .collect();
        syscalls::count(&counted, small, large)?
    };
    let instruction_counts = if instruction_scenarios.is_empty() {
        Vec::new()
    } else if !instructions::valgrind_available() {
        eprintln!("valgrind not found: instruction counts skipped (apt-get install -y valgrind)");
        Vec::new()
    } else {
        instructions::count(&instruction_scenarios, options.quick)?
    };

    let setting = Setting {
        date: utc_now(),
        command: std::iter::once("cargo run --release -p minimio-bench --".to_string())
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" "),
        cpu: cpu_model(),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        kernel: read_trimmed("/proc/sys/kernel/osrelease"),
        open_file_limit,
        idle_note,
        warm_up,
        rounds,
    };
    println!(
        "\n{} · {} cores · Linux {} · {}\n",
        setting.cpu, setting.cores, setting.kernel, setting.date
    );
    if !outcomes.is_empty() {
        println!(
            "By the wall clock:\n\n{}",
            report::table(&outcomes, Clock::Wall)
        );
        println!(
            "Per CPU-second of the benchmark process:\n\n{}",
            report::table(&outcomes, Clock::Cpu)
        );
    }
    if !counts.is_empty() {
        println!("{}", report::syscall_table(&counts));
    }
    if !instruction_counts.is_empty() {
        println!(
            "User-space instructions per operation (callgrind, (Ir(2N) - Ir(N)) / N):\n\n{}",
            report::instruction_table(&instruction_counts)
        );
    }

    let stem = if options.quick { "quick" } else { "latest" };
    std::fs::create_dir_all(&options.out_dir)?;
    let json_path = options.out_dir.join(format!("{stem}.json"));
    std::fs::write(
        &json_path,
        report::json(&setting, &outcomes, &counts, &instruction_counts),
    )?;
    let mut written = vec![json_path];
    if !outcomes.is_empty() {
        let svg_path = options.out_dir.join(format!("{stem}.svg"));
        std::fs::write(&svg_path, report::svg(&setting, &outcomes))?;
        written.push(svg_path);
    }
    for path in written {
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn read_trimmed(path: &str) -> String {
    std::fs::read_to_string(path).map_or_else(|_| "unknown".into(), |text| text.trim().into())
}

fn cpu_model() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or_else(|| "unknown CPU".into(), |(_, model)| model.trim().into())
}

/// The current UTC time as `YYYY-MM-DD HH:MM UTC`.
fn utc_now() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let (year, month, day) = civil_date(seconds / 86_400);
    let minute_of_day = seconds % 86_400 / 60;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        minute_of_day / 60,
        minute_of_day % 60
    )
}

/// The Gregorian date `days` after 1970-01-01. Counts in 400-year eras (146 097 days each)
/// starting on 1 March, so that the leap day falls at the end of each counted year.
fn civil_date(days: u64) -> (u64, u64, u64) {
    let shifted = days + 719_468; // days from 0000-03-01 to 1970-01-01
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // 0 = March
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_match_known_days() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(11_016), (2000, 2, 29));
        assert_eq!(civil_date(19_782), (2024, 2, 29));
        assert_eq!(civil_date(20_818), (2026, 12, 31));
    }

    #[test]
    fn filters_select_by_prefix() {
        assert!(selected(&[], "pump"));
        let filters = vec!["ping-pong".to_string()];
        assert!(selected(&filters, "ping-pong-100"));
        assert!(!selected(&filters, "pump"));
    }
}
