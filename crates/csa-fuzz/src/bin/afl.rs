//! The AFL++ entry point: `csa-fuzz TARGET`, built by `cargo afl build` (see `fuzz.sh`).
//! One binary for every target, so the instrumented dependency tree is linked once.

fn main() {
    let name = std::env::args().nth(1).unwrap_or_default();
    let Some(target) = csa_fuzz::target(&name) else {
        eprintln!("usage: csa-fuzz TARGET (one of: {})", csa_fuzz::names().join(", "));
        std::process::exit(2);
    };
    // no panic hook: a reader may catch a panic of a library it calls (polars' Parquet
    // reader) and turn it into an error; a panic that reaches afl's loop still aborts
    afl::fuzz_nohook!(|data: &[u8]| target(data));
}
