//! Rounds: every library measures a scenario in turn (A B C D A B C D ...), so that whatever
//! else the machine is doing at a moment is spread over all of them alike.

use std::io;

use crate::catalogue::{Context, Kind, Rates, Scenario, LIBRARIES};

/// Which clock a rate was taken by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    Wall,
    Cpu,
}

impl Clock {
    pub fn of(self, rates: &Rates) -> f64 {
        match self {
            Clock::Wall => rates.wall,
            Clock::Cpu => rates.cpu,
        }
    }
}

/// The measurements of one scenario: for each library in [`LIBRARIES`] order, one pair of
/// rates per counted round.
#[derive(Debug)]
pub struct Outcome {
    pub scenario: Scenario,
    pub samples: Vec<Vec<Rates>>,
}

/// Median, smallest and largest of a set of rates.
#[derive(Clone, Copy, Debug)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Summary {
    pub fn of(samples: &[f64]) -> Summary {
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let middle = sorted.len() / 2;
        let median = if sorted.len() % 2 == 1 {
            sorted[middle]
        } else {
            (sorted[middle - 1] + sorted[middle]) / 2.0
        };
        Summary {
            median,
            min: sorted[0],
            max: sorted[sorted.len() - 1],
        }
    }
}

impl Outcome {
    /// One library's rates by `clock`, round by round.
    pub fn rates(&self, library: usize, clock: Clock) -> Vec<f64> {
        self.samples[library]
            .iter()
            .map(|rates| clock.of(rates))
            .collect()
    }

    pub fn summaries(&self, clock: Clock) -> Vec<Summary> {
        (0..self.samples.len())
            .map(|library| Summary::of(&self.rates(library, clock)))
            .collect()
    }

    /// minimio's median over each library's median (index 0 is minimio itself).
    pub fn ratios(&self, clock: Clock) -> Vec<f64> {
        let summaries = self.summaries(clock);
        summaries
            .iter()
            .map(|peer| summaries[0].median / peer.median)
            .collect()
    }
}

/// Runs `warm_up` uncounted and `rounds` counted rounds of each scenario.
pub fn run(scenarios: &[Scenario], warm_up: usize, rounds: usize) -> io::Result<Vec<Outcome>> {
    let mut context = Context::default();
    let mut outcomes = Vec::with_capacity(scenarios.len());
    for scenario in scenarios {
        let mut samples = vec![Vec::with_capacity(rounds); LIBRARIES.len()];
        eprint!("{:<16}", scenario.name);
        for round in 0..warm_up + rounds {
            for ((library, measure), samples) in LIBRARIES.iter().zip(&mut samples) {
                let rates = measure(scenario, &mut context)
                    .map_err(|err| io::Error::new(err.kind(), format!("{library}: {err}")))?;
                if round >= warm_up {
                    samples.push(rates);
                }
            }
            eprint!(".");
        }
        eprintln!();
        if !matches!(scenario.kind, Kind::Idle { .. }) {
            context.release_idle();
        }
        outcomes.push(Outcome {
            scenario: scenario.clone(),
            samples,
        });
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        let odd = Summary::of(&[5.0, 1.0, 3.0]);
        assert_eq!((odd.median, odd.min, odd.max), (3.0, 1.0, 5.0));
        let even = Summary::of(&[4.0, 1.0, 3.0, 2.0]);
        assert_eq!((even.median, even.min, even.max), (2.5, 1.0, 4.0));
    }
}
