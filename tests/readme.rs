//! The README's command table is checked against `csa --help`: every subcommand has a row,
//! and every option a subcommand takes appears in its rows, so the table cannot fall behind
//! the commands.

mod common;

use common::{csa, root};

/// Subcommand names listed under "Commands:" in `csa --help`.
fn subcommands() -> Vec<String> {
    let out = csa(&["--help"]);
    command_list(&String::from_utf8_lossy(&out.stdout))
}

/// The names under "Commands:" of a help text (a name line is indented two spaces; wrapped
/// descriptions are indented further).
fn command_list(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("Commands:") {
            inside = true;
            continue;
        }
        if inside {
            if line.trim().is_empty() || !line.starts_with("  ") {
                break;
            }
            if line.starts_with("   ") {
                continue;
            }
            let name = line.split_whitespace().next().unwrap_or_default();
            if !name.is_empty() && name != "help" {
                names.push(name.to_string());
            }
        }
    }
    names
}

/// `--long` options of one subcommand's help (subcommands of it included, e.g. `csa user add`).
fn options(cmd: &[&str]) -> Vec<String> {
    let mut args: Vec<&str> = cmd.to_vec();
    args.push("--help");
    let out = csa(&args);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // option lines are indented 2 ("  -q, --quiet") or 6 ("      --config <FILE>"); their
    // descriptions are indented further
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut opts: Vec<String> = text
        .lines()
        .filter(|l| l.trim_start().starts_with('-') && indent(l) <= 6)
        // the option itself, not its description (two spaces apart), which may name others
        .map(|l| l.trim_start().split("  ").next().unwrap_or_default())
        .flat_map(|l| l.split([' ', ',', '=', '[', '<']).map(str::to_string).collect::<Vec<_>>())
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .filter(|w| !matches!(w.as_str(), "--help" | "--version" | "--quiet"))
        .collect();
    opts.sort();
    opts.dedup();
    opts
}

/// The nested subcommands of a subcommand (`csa user add|remove|list`), if any.
fn nested(cmd: &str) -> Vec<String> {
    let out = csa(&[cmd, "--help"]);
    command_list(&String::from_utf8_lossy(&out.stdout))
}

#[test]
fn readme_command_table_lists_every_command_and_option() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let table: Vec<&str> = readme.lines().filter(|l| l.starts_with("| `csa ")).collect();
    let subs = subcommands();
    assert!(subs.len() >= 8, "csa --help lists too few commands: {subs:?}");
    let mut missing = Vec::new();
    for sub in &subs {
        let rows: String = table
            .iter()
            .filter(|l| l.starts_with(&format!("| `csa {sub} ")) || **l == format!("| `csa {sub}`"))
            .copied()
            .collect::<Vec<_>>()
            .join("\n");
        if rows.is_empty() {
            missing.push(format!("no row for `csa {sub}`"));
            continue;
        }
        let mut commands = vec![vec![sub.clone()]];
        for n in nested(sub) {
            commands.push(vec![sub.clone(), n]);
        }
        for c in commands {
            let c: Vec<&str> = c.iter().map(String::as_str).collect();
            for o in options(&c) {
                if !rows.contains(&o) {
                    missing.push(format!("`csa {}` row lacks {o}", c.join(" ")));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "README command table is behind `csa --help`:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_check_sees_a_missing_option() {
    // the parser finds real options in a help text, so the check above can fail
    let opts = options(&["breakdown"]);
    assert!(opts.contains(&"--by".to_string()) && opts.contains(&"--view".to_string()), "{opts:?}");
}
