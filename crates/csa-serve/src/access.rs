//! Who may see what, decided on the server for every request (pages, downloads, the API):
//!
//! | role | priorities | figures | also |
//! |---|---|---|---|
//! | `partner` | those of their sub-groups (all when none are listed) | exact | |
//! | `public` | all | the public edition's ([`crate::public`]) | |
//! | `admin` | all | exact | users, audit log |
//!
//! A partner's priority list, home page, volume table and quarterly table hold only their
//! priorities; asking for another priority by URL is a 403 that names their sub-groups.

use csa_analysis::{Config, Priority, SubGroup};

use crate::error::{Result, ServeError};
use crate::query::ViewQuery;
use crate::users::{Role, User};

/// The signed-in user of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub name: String,
    pub role: Role,
    pub subgroups: Vec<SubGroup>,
    /// The session's CSRF token (put in every form).
    pub csrf: String,
    /// The session cookie's token (to end the session on sign-out).
    pub token: String,
}

impl Principal {
    pub fn new(user: &User, csrf: String, token: String) -> Principal {
        Principal {
            name: user.name.clone(),
            role: user.role,
            subgroups: user.subgroups(),
            csrf,
            token,
        }
    }

    /// Whether figures are exact (partner, admin) or published (public).
    pub fn exact(&self) -> bool {
        self.role != Role::Public
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Whether the user may see `p`.
    pub fn may_see(&self, p: &Priority) -> bool {
        match self.role {
            Role::Admin | Role::Public => true,
            Role::Partner => {
                self.subgroups.is_empty() || p.subgroups.iter().any(|g| self.subgroups.contains(g))
            }
        }
    }

    /// The priorities the user may see, in configuration order.
    /// Whether the user may see a re-offending indicator: those who see every priority, the
    /// Reducing Re-offending sub-group (the measure is theirs), and partners who may see the
    /// priority the indicator's cohort is drawn from.
    pub fn may_see_reoffending(&self, priority: &Priority) -> bool {
        self.sees_everything()
            || self.subgroups.contains(&SubGroup::ReducingReoffending)
            || self.may_see(priority)
    }

    pub fn priorities(&self, config: &Config) -> Vec<Priority> {
        config.priorities.iter().filter(|p| self.may_see(p)).cloned().collect()
    }

    /// Whether the user may see every priority (the `all` priority, whole-area tables).
    pub fn sees_everything(&self) -> bool {
        self.role != Role::Partner || self.subgroups.is_empty()
    }

    /// Refuses a view the user may not see (403, saying why).
    pub fn check(&self, q: &ViewQuery) -> Result<()> {
        // the volume table lists every priority; a partner's is cut to theirs (crate::shown)
        if q.view != csa_analysis::views::View::Volume && !self.may_see(&q.priority) {
            let groups: Vec<&str> = self.subgroups.iter().map(|g| g.name()).collect();
            return Err(ServeError::Forbidden(format!(
                "{:?} is not a priority of your sub-groups ({}); an administrator can change your sub-groups",
                q.priority.name,
                groups.join(", ")
            )));
        }
        if !self.exact() {
            crate::public::allowed(q.view, &q.dims)?;
        }
        Ok(())
    }

    /// Refuses what only administrators may do.
    pub fn require_admin(&self) -> Result<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ServeError::Forbidden("only administrators see users and the audit log".into()))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::query::{view_query, Params};

    fn who(role: Role, groups: &[&str]) -> Principal {
        Principal {
            name: "u".into(),
            role,
            subgroups: groups.iter().filter_map(|g| SubGroup::parse(g)).collect(),
            csrf: String::new(),
            token: String::new(),
        }
    }

    #[test]
    fn partners_see_their_subgroups_priorities_only() {
        let c = Config::default_config();
        let q = |s: &str| view_query(&Params::parse(s.as_bytes()).unwrap(), &c).unwrap();
        let harp = who(Role::Partner, &["Harm and Abuse Reduction"]);
        assert!(harp.check(&q("priority=domestic-abuse")).is_ok());
        let e = harp.check(&q("priority=shoplifting")).unwrap_err();
        assert_eq!(e.status(), 403);
        assert!(e.to_string().contains("Harm and Abuse Reduction"), "{e}");
        assert!(harp.check(&q("priority=all")).is_err(), "all crime is not one sub-group's");
        assert!(harp
            .priorities(&c)
            .iter()
            .all(|p| p.subgroups.contains(&SubGroup::HarmAndAbuseReduction)));
        assert!(!harp.priorities(&c).is_empty());
        let everyone = who(Role::Partner, &[]);
        assert!(everyone.check(&q("priority=shoplifting")).is_ok());
        assert_eq!(everyone.priorities(&c).len(), c.priorities.len());
        let public = who(Role::Public, &[]);
        assert!(public.check(&q("priority=shoplifting")).is_ok());
        assert_eq!(public.check(&q("view=prolific")).unwrap_err().status(), 403);
        assert!(public.check(&q("by=ward,hour,month")).is_err());
        assert!(who(Role::Admin, &[]).check(&q("view=prolific&priority=robbery")).is_ok());
        assert!(public.require_admin().is_err() && who(Role::Admin, &[]).require_admin().is_ok());
    }
}
