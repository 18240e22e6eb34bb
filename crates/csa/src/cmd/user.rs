//! `csa user add|remove|list`: the users file of `csa serve` (csa-serve's `Users`).

use std::io::{BufRead, IsTerminal, Write};

use csa_serve::users::{check_name, Role, Users};

use crate::cli::{RoleArg, UserAction, UserArgs};
use crate::exit::UsageError;

fn role(r: RoleArg) -> Role {
    match r {
        RoleArg::Partner => Role::Partner,
        RoleArg::Public => Role::Public,
        RoleArg::Admin => Role::Admin,
    }
}

/// A password: asked twice without echo on a terminal, else one line of standard input.
pub(crate) fn read_password(prompt: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let p = rpassword::prompt_password(prompt)?;
        let again = rpassword::prompt_password("the same password again: ")?;
        if p != again {
            return Err(UsageError("the two passwords differ; nothing was changed".into()).into());
        }
        Ok(p)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let p = line.trim_end_matches(['\n', '\r']).to_string();
        if p.is_empty() {
            return Err(UsageError(
                "no password on standard input: give it as one line (or run on a terminal to be asked)".into(),
            )
            .into());
        }
        Ok(p)
    }
}

/// One line typed on the terminal (echoed), after a prompt on stderr.
pub(crate) fn read_line(prompt: &str) -> anyhow::Result<String> {
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().to_string())
}

pub fn run(a: UserArgs) -> anyhow::Result<()> {
    match a.action {
        UserAction::Add(a) => {
            let mut users = Users::load(&a.users)?;
            check_name(&a.name)?;
            if users.find(&a.name).is_some() {
                return Err(UsageError(format!(
                    "user {:?} exists already in {}; remove it first to change its role or password",
                    a.name,
                    a.users.display()
                ))
                .into());
            }
            let subgroups: Vec<String> = a
                .subgroups
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            let password = read_password(&format!("password for {}: ", a.name))?;
            users.add(&a.name, role(a.role), &subgroups, &password)?;
            users.save()?;
            eprintln!("added {} ({}) to {}", a.name, role(a.role).name(), a.users.display());
            Ok(())
        }
        UserAction::Remove(a) => {
            let mut users = Users::load(&a.users)?;
            users.remove(&a.name)?;
            users.save()?;
            eprintln!("removed {} from {}", a.name, a.users.display());
            Ok(())
        }
        UserAction::List(a) => {
            let users = Users::load(&a.users)?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "name\trole\tsubgroups\tadded")?;
            for u in &users.users {
                let groups = if u.subgroups.is_empty() {
                    "(all)".to_string()
                } else {
                    u.subgroups.join(", ")
                };
                writeln!(out, "{}\t{}\t{}\t{}", u.name, u.role.name(), groups, u.created)?;
            }
            Ok(())
        }
    }
}
