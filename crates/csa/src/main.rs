//! `csa`: the command-line front end. Parses flags, calls the libraries, prints results and
//! maps errors to exit codes (0 ok, 1 internal error, 2 bad input or usage). All real work
//! lives in the `csa-*` library crates.

mod alloc;
mod cli;
mod cmd;
mod exit;
mod progress;

use clap::Parser;

/// jemalloc: ingest allocates millions of small strings from several threads, where glibc's
/// allocator spent a fifth of the time in locks and mimalloc most of it re-zeroing pages it
/// had returned to the kernel (measured, BENCHMARKS.md).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    let opts = cli::Opts::parse();
    let result = match opts.command {
        cli::Command::Ingest(a) => cmd::ingest::run(*a, opts.quiet),
        cli::Command::Synth(a) => cmd::synth::run(a, opts.quiet),
        cli::Command::Breakdown(a) => cmd::breakdown::run(a),
        cli::Command::Priorities(a) => cmd::breakdown::priorities(a),
        cli::Command::Hotspots(a) => cmd::hotspots::run(*a),
        cli::Command::NearRepeat(a) => cmd::hotspots::near_repeat(a),
        cli::Command::Quarterly(a) => cmd::quarterly::run(a),
        cli::Command::Reoffending(a) => cmd::reoffending::run(a),
        cli::Command::Survey(a) => cmd::survey::run(a),
        cli::Command::Consultation(a) => cmd::consultation::run(a),
        cli::Command::Assess(a) => cmd::assess::run(a, opts.quiet),
        cli::Command::Audit(a) => cmd::audit::run(a),
        cli::Command::Serve(a) => cmd::serve::run(a),
        cli::Command::User(a) => cmd::user::run(a),
    };
    match result {
        Ok(()) => std::process::exit(exit::OK),
        // the command has reported already (a JSON log line, or exceptions found)
        Err(e) if e.downcast_ref::<exit::Reported>().is_some() => {
            std::process::exit(e.downcast_ref::<exit::Reported>().map_or(exit::INTERNAL, |r| r.0))
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(exit::code_for(&e));
        }
    }
}
