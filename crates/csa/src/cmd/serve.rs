//! `csa serve`: loads the configuration, creates the first administrator when the users
//! file is empty and a person is at the terminal, starts csa-serve's server and prints its
//! events on stderr. Runs until stopped (Ctrl-C or SIGTERM: requests in flight finish first).

use std::io::IsTerminal;
use std::time::Duration;

use csa_serve::users::{Role, Users};
use csa_serve::{Event, Options, Server};

use crate::cli::ServeArgs;
use crate::cmd::breakdown::load_config;
use crate::exit::UsageError;

/// `30m`, `90s`, `8h`, `1d`: between one second and a week.
fn duration(s: &str, flag: &str) -> anyhow::Result<Duration> {
    let bad =
        || UsageError(format!("{flag} {s:?}: write a number and a unit, e.g. 30m, 90s or 8h"));
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num.parse().map_err(|_| bad())?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(bad().into()),
    };
    if !(1..=7 * 86_400).contains(&secs) {
        return Err(UsageError(format!("{flag} {s:?}: between 1s and 7d")).into());
    }
    Ok(Duration::from_secs(secs))
}

/// With no users yet and a person at the terminal: ask for the first administrator.
fn first_admin(path: &std::path::Path) -> anyhow::Result<()> {
    let mut users = Users::load(path)?;
    if !users.users.is_empty() {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(UsageError(format!(
            "{} has no users: add one with `csa user add --users {} --name NAME --role admin`",
            path.display(),
            path.display()
        ))
        .into());
    }
    eprintln!("{} has no users yet: create the first administrator.", path.display());
    let name = crate::cmd::user::read_line("user name: ")?;
    csa_serve::users::check_name(&name)?;
    let password =
        crate::cmd::user::read_password(&format!("password for {name} (10 characters or more): "))?;
    users.add(&name, Role::Admin, &[], &password)?;
    users.save()?;
    eprintln!("added {name} (admin) to {}", path.display());
    Ok(())
}

fn print(e: Event) {
    match e {
        Event::Listening { url, crimes, users } => eprintln!(
            "csa serve: listening on {url} ({crimes} crime and ASB records loaded, {users} users); stop with Ctrl-C"
        ),
        Event::Reloaded { generation, crimes } => {
            eprintln!("csa serve: the dataset changed; version {generation} loaded ({crimes} records)")
        }
        Event::ReloadFailed(m) => {
            eprintln!("csa serve: warning: the dataset changed but could not be loaded (still serving the previous version): {m}")
        }
        Event::UsersReloaded(n) => eprintln!("csa serve: the users file changed; {n} users"),
        Event::UsersFailed(m) => {
            eprintln!("csa serve: warning: the users file changed but cannot be read (the previous users stay): {m}")
        }
        Event::RequestFailed { route, detail } => eprintln!("csa serve: error on {route}: {detail}"),
        Event::AuditFailed(m) => eprintln!("csa serve: error: {m}; requests are refused until it is fixed"),
    }
}

pub fn run(a: ServeArgs) -> anyhow::Result<()> {
    let config = load_config(a.config.as_deref())?;
    let dataset = crate::cmd::dataset_of(a.dataset.as_deref(), &config)?;
    let session_idle = duration(&a.session_idle, "--session-idle")?;
    let session_lifetime = duration(&a.session_lifetime, "--session-lifetime")?;
    let audit = a.audit.clone().unwrap_or_else(|| a.users.with_file_name("audit.jsonl"));
    first_admin(&a.users)?;
    let options = Options {
        dataset,
        config,
        users: a.users.clone(),
        bind: a.bind.clone(),
        tls: a.tls_cert.clone().zip(a.tls_key.clone()),
        audit,
        targets: a.targets.clone(),
        public_pack: a.public_pack.clone(),
        session_idle,
        session_lifetime,
    };
    // freed memory back to the system while serving (the batch commands keep it)
    crate::alloc::return_idle_pages().map_err(|e| anyhow::anyhow!("csa serve: {e}"))?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let server = Server::bind(options, std::sync::Arc::new(print)).await?;
        server.run(stopped()).await
    })?;
    eprintln!("csa serve: stopped");
    Ok(())
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM: the server then stops accepting connections and
/// finishes the requests in flight (their audit records included) before exiting.
async fn stopped() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = interrupt => {}
                _ = term.recv() => {}
            },
            Err(_) => interrupt.await,
        }
    }
    #[cfg(not(unix))]
    interrupt.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("30m", "x").ok(), Some(Duration::from_secs(1800)));
        assert_eq!(duration("90s", "x").ok(), Some(Duration::from_secs(90)));
        assert_eq!(duration("8h", "x").ok(), Some(Duration::from_secs(28_800)));
        assert!(
            duration("8", "x").is_err()
                && duration("0s", "x").is_err()
                && duration("9d", "x").is_err()
        );
    }
}
