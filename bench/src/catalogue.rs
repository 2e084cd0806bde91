//! Which scenarios exist, how much work one measurement does, and how a library runs one.

use std::io;
use std::os::fd::OwnedFd;

use crate::event_loop::EventLoop;
use crate::libs::{Minimio, Mio, Polling, RawEpoll};
use crate::scenarios::{accept, churn, idle, ping_pong, pump, waker};
use crate::sockets::idle_socket;

#[derive(Clone, Copy, Debug)]
pub enum Kind {
    PingPong { pairs: usize },
    Pump,
    Accept,
    Waker,
    ManyWakers { threads: usize },
    Churn,
    Idle { idle: usize },
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub kind: Kind,
    /// What one unit of `work` is, and what the result counts per second.
    pub unit: &'static str,
    /// Units of work one measurement performs (round trips, bytes, connections, ...).
    pub work: u64,
}

impl Scenario {
    fn new(name: impl Into<String>, kind: Kind, unit: &'static str, work: u64) -> Scenario {
        Scenario {
            name: name.into(),
            kind,
            unit,
            work,
        }
    }

    /// The result's unit, as shown in tables.
    pub fn rate_unit(&self) -> &'static str {
        match self.kind {
            Kind::Pump => "GiB/s",
            Kind::Accept => "conn/s",
            Kind::Churn => "pairs/s",
            _ => "round trips/s",
        }
    }
}

/// Every scenario, with work sized so a full measurement takes one or two tenths of a second here
/// and a quick one a few milliseconds. `idle_max` is the most idle sockets the fd limit allows.
pub fn catalogue(quick: bool, idle_max: usize) -> Vec<Scenario> {
    let scale = |full: u64| if quick { (full / 200).max(16) } else { full };
    let mut list = vec![
        Scenario::new(
            "ping-pong-1",
            Kind::PingPong { pairs: 1 },
            "round trips",
            scale(20_000),
        ),
        Scenario::new(
            "ping-pong-100",
            Kind::PingPong { pairs: 100 },
            "round trips",
            scale(50_000),
        ),
        Scenario::new(
            "ping-pong-1000",
            Kind::PingPong { pairs: 1000 },
            "round trips",
            scale(50_000),
        ),
        Scenario::new("pump", Kind::Pump, "bytes", scale(1 << 29)),
        Scenario::new("accept", Kind::Accept, "connections", scale(5_120)),
        Scenario::new("waker", Kind::Waker, "round trips", scale(20_000)),
        Scenario::new(
            "waker-8",
            Kind::ManyWakers { threads: 8 },
            "round trips",
            scale(24_000),
        ),
        Scenario::new(
            "churn",
            Kind::Churn,
            "register+deregister pairs",
            scale(100_000),
        ),
    ];
    // Both ends of every pair are open at once; `idle_max` is what the fd limit leaves beside
    // the reserve, so a limit too low for a scenario's pairs drops the scenario, not the run.
    list.retain(|scenario| match scenario.kind {
        Kind::PingPong { pairs } => 2 * pairs <= idle_max.max(idle::ACTIVE_PAIRS * 2),
        _ => true,
    });
    let mut idle_counts = vec![0, 10_000, 100_000.min(idle_max)];
    idle_counts.retain(|&count| count <= idle_max);
    idle_counts.dedup();
    for idle in idle_counts {
        let kind = Kind::Idle { idle };
        list.push(Scenario::new(
            format!("idle-{idle}"),
            kind,
            "round trips",
            scale(50_000),
        ));
    }
    list
}

/// State shared by measurements: the idle sockets, created once for all libraries.
#[derive(Default)]
pub struct Context {
    idle: Vec<OwnedFd>,
}

impl Context {
    fn idle_sockets(&mut self, count: usize) -> io::Result<&[OwnedFd]> {
        while self.idle.len() < count {
            self.idle.push(idle_socket()?);
        }
        Ok(&self.idle[..count])
    }

    /// Closes the idle sockets, once no scenario needs them.
    pub fn release_idle(&mut self) {
        self.idle.clear();
    }
}

/// One measurement's throughput: units of the scenario's result per second of wall-clock time,
/// and per second of CPU time spent by the process.
#[derive(Clone, Copy, Debug)]
pub struct Rates {
    pub wall: f64,
    pub cpu: f64,
}

/// Runs one measurement of `scenario` with library `L`.
fn measure<L: EventLoop>(scenario: &Scenario, context: &mut Context) -> io::Result<Rates> {
    let work = scenario.work;
    let (timing, units) = match scenario.kind {
        Kind::PingPong { pairs } => (ping_pong::run::<L>(pairs, work)?, work as f64),
        Kind::Pump => (pump::run::<L>(work)?, work as f64 / (1u64 << 30) as f64),
        Kind::Accept => {
            let batches = (work as usize).div_ceil(accept::BATCH);
            (accept::run::<L>(batches)?, (batches * accept::BATCH) as f64)
        }
        Kind::Waker => (waker::run::<L>(work)?, work as f64),
        Kind::ManyWakers { threads } => {
            let per_thread = work / threads as u64;
            let timing = waker::run_many::<L>(threads, per_thread)?;
            (timing, (per_thread * threads as u64) as f64)
        }
        Kind::Churn => (churn::run::<L>(work)?, work as f64),
        Kind::Idle { idle: count } => {
            let timing = idle::run::<L>(context.idle_sockets(count)?, work)?;
            (timing, work as f64)
        }
    };
    Ok(Rates {
        wall: units / timing.wall.as_secs_f64(),
        cpu: units / timing.cpu.as_secs_f64().max(1e-9),
    })
}

pub type Measure = fn(&Scenario, &mut Context) -> io::Result<Rates>;

/// The libraries, in the order every round runs them; minimio first, the floor last.
pub const LIBRARIES: [(&str, Measure); 4] = [
    (Minimio::NAME, measure::<Minimio>),
    (Mio::NAME, measure::<Mio>),
    (Polling::NAME, measure::<Polling>),
    (RawEpoll::NAME, measure::<RawEpoll>),
];

pub fn library(name: &str) -> Option<Measure> {
    LIBRARIES
        .iter()
        .find(|(library, _)| *library == name)
        .map(|&(_, measure)| measure)
}
