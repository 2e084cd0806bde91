//! Printing results: the console table, the JSON record and the SVG chart.

use std::fmt::Write as _;

use crate::catalogue::LIBRARIES;
use crate::instructions::InstructionCount;
use crate::runner::{Clock, Outcome, Summary};
use crate::syscalls::SyscallCount;

/// Where and how the numbers were taken.
#[derive(Debug)]
pub struct Setting {
    pub date: String,
    pub command: String,
    pub cpu: String,
    pub cores: usize,
    pub kernel: String,
    pub open_file_limit: u64,
    pub idle_note: String,
    pub warm_up: usize,
    pub rounds: usize,
}

/// A rate with three significant digits and a k/M suffix, or as is for small values (GiB/s).
pub fn human(rate: f64) -> String {
    match rate {
        r if r >= 1e6 => format!("{:.3}M", r / 1e6),
        r if r >= 1e3 => format!("{:.1}k", r / 1e3),
        r => format!("{r:.2}"),
    }
}

pub fn table(outcomes: &[Outcome], clock: Clock) -> String {
    let mut out = String::new();
    let peers = &LIBRARIES[1..];
    let _ = write!(out, "| scenario | unit |");
    for (library, _) in LIBRARIES {
        let _ = write!(out, " {library} median (min–max) |");
    }
    for (peer, _) in peers {
        let _ = write!(out, " minimio / {peer} |");
    }
    out.push('\n');
    out.push_str(&"|---".repeat(2 + LIBRARIES.len() + peers.len()));
    out.push_str("|\n");
    for outcome in outcomes {
        let _ = write!(
            out,
            "| {} | {} |",
            outcome.scenario.name,
            outcome.scenario.rate_unit()
        );
        for Summary { median, min, max } in outcome.summaries(clock) {
            let _ = write!(out, " {} ({}–{}) |", human(median), human(min), human(max));
        }
        for ratio in &outcome.ratios(clock)[1..] {
            let _ = write!(out, " {ratio:.3}× |");
        }
        out.push('\n');
    }
    out
}

pub fn syscall_table(counts: &[SyscallCount]) -> String {
    let mut out =
        String::from("| scenario | library | syscalls per round trip | largest contributors |\n");
    out.push_str("|---|---|---|---|\n");
    for count in counts {
        let top: Vec<String> = count
            .by_call
            .iter()
            .take(4)
            .map(|(name, per_op)| format!("{name} {per_op:.2}"))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {:.2} | {} |",
            count.scenario,
            count.library,
            count.per_op,
            top.join(", ")
        );
    }
    out
}

/// One row per scenario: instructions per operation for each library, then minimio's count
/// over each peer's (below 1 is fewer instructions than the peer).
pub fn instruction_table(counts: &[InstructionCount]) -> String {
    let peers = &LIBRARIES[1..];
    let mut out = String::from("| scenario | per |");
    for (library, _) in LIBRARIES {
        let _ = write!(out, " {library} |");
    }
    for (peer, _) in peers {
        let _ = write!(out, " minimio / {peer} |");
    }
    out.push('\n');
    out.push_str(&"|---".repeat(2 + LIBRARIES.len() + peers.len()));
    out.push_str("|\n");
    let mut scenarios: Vec<&str> = Vec::new();
    for count in counts {
        if !scenarios.contains(&count.scenario.as_str()) {
            scenarios.push(&count.scenario);
        }
    }
    for scenario in scenarios {
        let of = |library: &str| {
            counts
                .iter()
                .find(|count| count.scenario == scenario && count.library == library)
        };
        let operation = of(LIBRARIES[0].0).map_or("", |count| count.operation);
        let _ = write!(out, "| {scenario} | {operation} |");
        for (library, _) in LIBRARIES {
            match of(library) {
                Some(count) => write!(out, " {:.1} |", count.per_op),
                None => write!(out, " – |"),
            }
            .ok();
        }
        let minimio = of(LIBRARIES[0].0).map(|count| count.per_op);
        for (peer, _) in peers {
            match (minimio, of(peer).map(|count| count.per_op)) {
                (Some(ours), Some(theirs)) if theirs > 0.0 => {
                    write!(out, " {:.3}× |", ours / theirs)
                }
                _ => write!(out, " – |"),
            }
            .ok();
        }
        out.push('\n');
    }
    out
}

fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_numbers(values: &[f64]) -> String {
    let items: Vec<String> = values.iter().map(|value| format!("{value:.6}")).collect();
    format!("[{}]", items.join(", "))
}

pub fn json(
    setting: &Setting,
    outcomes: &[Outcome],
    counts: &[SyscallCount],
    instructions: &[InstructionCount],
) -> String {
    let mut out = String::from("{\n");
    let fields = [
        ("date", &setting.date),
        ("command", &setting.command),
        ("cpu", &setting.cpu),
        ("kernel", &setting.kernel),
        ("idle_note", &setting.idle_note),
    ];
    for (name, value) in fields {
        let _ = writeln!(out, "  \"{name}\": {},", json_string(value));
    }
    let _ = writeln!(out, "  \"cores\": {},", setting.cores);
    let _ = writeln!(out, "  \"open_file_limit\": {},", setting.open_file_limit);
    let _ = writeln!(out, "  \"warm_up_rounds\": {},", setting.warm_up);
    let _ = writeln!(out, "  \"counted_rounds\": {},", setting.rounds);
    out.push_str("  \"scenarios\": [\n");
    for (index, outcome) in outcomes.iter().enumerate() {
        let scenario = &outcome.scenario;
        let _ = writeln!(
            out,
            "    {{\n      \"name\": {},",
            json_string(&scenario.name)
        );
        let _ = writeln!(
            out,
            "      \"unit\": {},",
            json_string(scenario.rate_unit())
        );
        let _ = writeln!(out, "      \"work_per_measurement\": {},", scenario.work);
        let _ = writeln!(out, "      \"work_unit\": {},", json_string(scenario.unit));
        out.push_str("      \"libraries\": {\n");
        for (i, (library, _)) in LIBRARIES.iter().enumerate() {
            let by_clock: Vec<String> = [(Clock::Wall, "wall"), (Clock::Cpu, "cpu")]
                .into_iter()
                .map(|(clock, name)| {
                    let Summary { median, min, max } = outcome.summaries(clock)[i];
                    format!(
                        "\"{name}\": {{\"median\": {median:.6}, \"min\": {min:.6}, \
                         \"max\": {max:.6}, \"minimio_ratio\": {:.4}, \"samples\": {}}}",
                        outcome.ratios(clock)[i],
                        json_numbers(&outcome.rates(i, clock))
                    )
                })
                .collect();
            let _ = write!(
                out,
                "        {}: {{{}}}",
                json_string(library),
                by_clock.join(", ")
            );
            out.push_str(if i + 1 < LIBRARIES.len() { ",\n" } else { "\n" });
        }
        out.push_str("      }\n    }");
        out.push_str(if index + 1 < outcomes.len() {
            ",\n"
        } else {
            "\n"
        });
    }
    out.push_str("  ],\n  \"syscalls_per_operation\": [\n");
    for (index, count) in counts.iter().enumerate() {
        let calls: Vec<String> = count
            .by_call
            .iter()
            .map(|(name, per_op)| format!("{}: {per_op:.3}", json_string(name)))
            .collect();
        let _ = write!(
            out,
            "    {{\"scenario\": {}, \"library\": {}, \"per_op\": {:.3}, \"by_call\": {{{}}}}}",
            json_string(&count.scenario),
            json_string(count.library),
            count.per_op,
            calls.join(", ")
        );
        out.push_str(if index + 1 < counts.len() {
            ",\n"
        } else {
            "\n"
        });
    }
    out.push_str("  ],\n  \"instructions_per_operation\": [\n");
    for (index, count) in instructions.iter().enumerate() {
        let _ = write!(
            out,
            "    {{\"scenario\": {}, \"library\": {}, \"operation\": {}, \"per_op\": {:.3}, \
             \"operations\": {}, \"ir_totals\": [{}, {}]}}",
            json_string(&count.scenario),
            json_string(count.library),
            json_string(count.operation),
            count.per_op,
            count.operations,
            count.totals[0],
            count.totals[1]
        );
        out.push_str(if index + 1 < instructions.len() {
            ",\n"
        } else {
            "\n"
        });
    }
    out.push_str("  ]\n}\n");
    out
}

const COLOURS: [&str; 4] = ["#d9480f", "#1971c2", "#2f9e44", "#868e96"];

/// Bars per scenario and library, one panel by the wall clock and one per CPU-second.
/// Scenarios have different units, so each group is drawn relative to its fastest library,
/// with the median written on every bar.
pub fn svg(setting: &Setting, outcomes: &[Outcome]) -> String {
    let (group_width, left, panel_height) = (148.0, 40.0, 340.0);
    let width = left * 2.0 + group_width * outcomes.len() as f64;
    let height = 60.0 + 2.0 * panel_height + 30.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"11\">"
    );
    let _ = writeln!(out, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
    let _ = writeln!(
        out,
        "<text x=\"{left}\" y=\"22\" font-size=\"15\">minimio vs mio, polling and a raw epoll \
         loop: medians of {} alternating rounds; bars relative to the fastest library</text>",
        setting.rounds
    );
    let _ = writeln!(
        out,
        "<text x=\"{left}\" y=\"40\" fill=\"#555\">{} · {} cores · Linux {} · {}</text>",
        xml(&setting.cpu),
        setting.cores,
        xml(&setting.kernel),
        xml(&setting.date)
    );
    let panels = [
        (Clock::Wall, "by the wall clock (per second)"),
        (Clock::Cpu, "per CPU-second used by the benchmark process"),
    ];
    for (index, (clock, title)) in panels.into_iter().enumerate() {
        let top = 60.0 + panel_height * index as f64;
        panel(&mut out, outcomes, clock, title, top, left, width);
    }
    for (i, (library, _)) in LIBRARIES.iter().enumerate() {
        let x = left + 150.0 * i as f64;
        let y = height - 14.0;
        let _ = writeln!(
            out,
            "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/>\
             <text x=\"{}\" y=\"{y}\">{library}</text>",
            y - 10.0,
            COLOURS[i],
            x + 16.0
        );
    }
    out.push_str("</svg>\n");
    out
}

fn panel(
    out: &mut String,
    outcomes: &[Outcome],
    clock: Clock,
    title: &str,
    top: f64,
    left: f64,
    width: f64,
) {
    let (group_width, bar_width, chart_height) = (148.0, 30.0, 240.0);
    let base = top + 30.0 + chart_height;
    let _ = writeln!(
        out,
        "<text x=\"{left}\" y=\"{}\" font-size=\"13\">{title}</text>\
         <line x1=\"{left}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"#333\"/>",
        top + 14.0,
        width - left
    );
    for (g, outcome) in outcomes.iter().enumerate() {
        let summaries = outcome.summaries(clock);
        let best = summaries.iter().map(|s| s.median).fold(0.0, f64::max);
        let group_x = left + group_width * g as f64 + 8.0;
        for (i, summary) in summaries.iter().enumerate() {
            let bar = chart_height * summary.median / best;
            let x = group_x + bar_width * i as f64;
            let _ = writeln!(
                out,
                "<rect x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{bar}\" fill=\"{}\"/>\
                 <text x=\"{}\" y=\"{}\" font-size=\"8\" text-anchor=\"middle\">{}</text>",
                base - bar,
                bar_width - 3.0,
                COLOURS[i],
                x + (bar_width - 3.0) / 2.0,
                base - bar - 3.0,
                human(summary.median)
            );
        }
        let label_x = group_x + bar_width * 2.0;
        let _ = writeln!(
            out,
            "<text x=\"{label_x}\" y=\"{}\" text-anchor=\"middle\">{}</text>\
             <text x=\"{label_x}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">{}</text>",
            base + 16.0,
            xml(&outcome.scenario.name),
            base + 30.0,
            outcome.scenario.rate_unit()
        );
    }
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_shortened_readably() {
        assert_eq!(human(2_345_678.0), "2.346M");
        assert_eq!(human(45_678.0), "45.7k");
        assert_eq!(human(2.2183), "2.22");
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
    }
}
