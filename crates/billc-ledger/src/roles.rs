//! Roles and separation of duties: who may run, approve, send, void, dispute, credit, adjust,
//! import payments and close a period.
//!
//! The roles file is `roles.csv` beside the ledger: `user,role,approval_limit`, one row per user
//! and role (a user may hold several). `role` is `billing_admin`, `account_manager`,
//! `finance_manager` or `auditor`; `approval_limit` (billing admins only, optional) is the largest
//! invoice total, in dollars, that the user may approve when the invoice needs approval. Without a
//! roles file the ledger is a one-person ledger: roles are not checked (and every command says so).
//!
//! | action | billing_admin | account_manager | finance_manager | auditor |
//! |---|---|---|---|---|
//! | `run` | ✓ | | ✓ | |
//! | `approve` a draft | ✓ | | ✓ | |
//! | `approve` needs_approval | up to its limit | | ✓ | |
//! | `reject`, `adjust`, `dispute` | ✓ | ✓ | ✓ | |
//! | `send`, `void`, `credit`, `payments import` | ✓ | | ✓ | |
//! | `close` | | | ✓ | |
//! | reading (`billc ledger …`) | ✓ | ✓ | ✓ | ✓ |
//!
//! Separation of duties: nobody approves a document made by their own run (or their own `credit`
//! or `adjust`), whatever their roles.

use crate::LedgerError;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A role of the roles file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    BillingAdmin,
    AccountManager,
    FinanceManager,
    Auditor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::BillingAdmin => "billing_admin",
            Role::AccountManager => "account_manager",
            Role::FinanceManager => "finance_manager",
            Role::Auditor => "auditor",
        }
    }

    fn parse(text: &str) -> Option<Role> {
        [
            Role::BillingAdmin,
            Role::AccountManager,
            Role::FinanceManager,
            Role::Auditor,
        ]
        .into_iter()
        .find(|r| r.as_str() == text)
    }
}

/// What a command does, as the roles see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Run,
    Approve,
    Reject,
    Send,
    Void,
    Dispute,
    Credit,
    Adjust,
    ImportPayments,
    Close,
}

impl Action {
    /// The command's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Run => "run",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Send => "send",
            Action::Void => "void",
            Action::Dispute => "dispute",
            Action::Credit => "credit",
            Action::Adjust => "adjust",
            Action::ImportPayments => "payments import",
            Action::Close => "close",
        }
    }

    /// The roles that may do it at all.
    fn roles(self) -> &'static [Role] {
        match self {
            Action::Run | Action::Approve | Action::Send | Action::Void | Action::Credit | Action::ImportPayments => {
                &[Role::BillingAdmin, Role::FinanceManager]
            }
            Action::Reject | Action::Adjust | Action::Dispute => {
                &[Role::BillingAdmin, Role::AccountManager, Role::FinanceManager]
            }
            Action::Close => &[Role::FinanceManager],
        }
    }
}

/// A user's grants.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grants {
    pub roles: Vec<Role>,
    /// The largest total a billing admin may approve when it needs approval.
    pub approval_limit: Option<Decimal>,
}

/// The roles file, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Roles {
    pub file: PathBuf,
    pub users: BTreeMap<String, Grants>,
}

impl Roles {
    /// The roles file beside `ledger`, if there is one.
    pub fn beside(ledger: &Path) -> Result<Option<Roles>, LedgerError> {
        let file = ledger
            .parent()
            .map_or_else(|| PathBuf::from(crate::ROLES_FILE), |d| d.join(crate::ROLES_FILE));
        if !file.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&file)
            .map_err(|e| LedgerError::Roles(format!("{}: cannot read the roles file: {e}", file.display())))?;
        Roles::parse(&file, &text).map(Some)
    }

    /// Reads `user,role,approval_limit` rows (the header is required; `approval_limit` may be absent).
    pub fn parse(file: &Path, text: &str) -> Result<Roles, LedgerError> {
        let at = |line: u64, why: String| LedgerError::Roles(format!("{}:{line}: {why}", file.display()));
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
        let header = reader
            .headers()
            .map_err(|e| at(1, format!("cannot read the header: {e}")))?
            .clone();
        let column = |name: &str| header.iter().position(|h| h.trim() == name);
        let (Some(user_at), Some(role_at)) = (column("user"), column("role")) else {
            return Err(at(
                1,
                "the header must name `user` and `role` (and may name `approval_limit`)".into(),
            ));
        };
        let limit_at = column("approval_limit");
        let mut users: BTreeMap<String, Grants> = BTreeMap::new();
        for record in reader.records() {
            let record = record.map_err(|e| at(e.position().map_or(0, |p| p.line()), e.to_string()))?;
            let line = record.position().map_or(0, |p| p.line());
            let field = |k: usize| record.get(k).unwrap_or("").trim();
            let user = field(user_at);
            if user.is_empty() {
                return Err(at(line, "`user` is empty".into()));
            }
            let role = Role::parse(field(role_at)).ok_or_else(|| {
                at(
                    line,
                    format!(
                        "`{}` is not a role (billing_admin, account_manager, finance_manager, auditor)",
                        field(role_at)
                    ),
                )
            })?;
            let grants = users.entry(user.to_owned()).or_default();
            if !grants.roles.contains(&role) {
                grants.roles.push(role);
            }
            if let Some(k) = limit_at
                && !field(k).is_empty()
            {
                let limit = Decimal::from_str_exact(field(k))
                    .ok()
                    .filter(|l| !l.is_sign_negative())
                    .ok_or_else(|| at(line, format!("`approval_limit` `{}` is not an amount", field(k))))?;
                if role != Role::BillingAdmin {
                    return Err(at(line, "`approval_limit` is for billing_admin rows only".into()));
                }
                grants.approval_limit = Some(limit);
            }
        }
        Ok(Roles {
            file: file.to_path_buf(),
            users,
        })
    }

    /// Whether `user` may do `action` at all; the reason if not.
    pub fn allows(&self, user: &str, action: Action) -> Result<&Grants, String> {
        let Some(grants) = self.users.get(user) else {
            return Err(format!("`{user}` is not in {}", self.file.display()));
        };
        if grants.roles.iter().any(|r| action.roles().contains(r)) {
            return Ok(grants);
        }
        let held: Vec<&str> = grants.roles.iter().map(|r| r.as_str()).collect();
        let needed: Vec<&str> = action.roles().iter().map(|r| r.as_str()).collect();
        Err(format!(
            "`{user}` is {} and `{}` needs {}",
            held.join(" and "),
            action.as_str(),
            needed.join(" or ")
        ))
    }

    /// Whether `user` may approve a document of `total` that needs approval (or not).
    pub fn may_approve(&self, user: &str, needs_approval: bool, total: Decimal) -> Result<(), String> {
        let grants = self.allows(user, Action::Approve)?;
        if !needs_approval || grants.roles.contains(&Role::FinanceManager) {
            return Ok(());
        }
        match grants.approval_limit {
            Some(limit) if total.abs() <= limit => Ok(()),
            Some(limit) => Err(format!(
                "it needs approval and its total {} is above `{user}`'s approval limit {}: a finance_manager approves it",
                billc_lang::value::format::format_cents(total),
                billc_lang::value::format::format_cents(limit)
            )),
            None => Err(format!(
                "it needs approval and `{user}` has no approval limit: a finance_manager approves it"
            )),
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        Role::parse(s).ok_or_else(|| format!("`{s}` is not a role"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn roles(text: &str) -> Result<Roles, LedgerError> {
        Roles::parse(Path::new("out/roles.csv"), text)
    }

    #[test]
    fn grants_and_refusals() {
        let r = roles(
            "user,role,approval_limit\nana,billing_admin,5000\nana,account_manager,\nfred,finance_manager,\naudrey,auditor,\n",
        )
        .unwrap();
        assert!(r.allows("ana", Action::Send).is_ok());
        assert_eq!(
            r.allows("audrey", Action::Send).unwrap_err(),
            "`audrey` is auditor and `send` needs billing_admin or finance_manager"
        );
        assert_eq!(
            r.allows("bob", Action::Run).unwrap_err(),
            "`bob` is not in out/roles.csv"
        );
        assert_eq!(
            r.allows("ana", Action::Close).unwrap_err(),
            "`ana` is billing_admin and account_manager and `close` needs finance_manager"
        );
        assert!(r.may_approve("ana", true, dec!(5000.00)).is_ok());
        assert_eq!(
            r.may_approve("ana", true, dec!(5000.01)).unwrap_err(),
            "it needs approval and its total $5,000.01 is above `ana`'s approval limit $5,000.00: a finance_manager approves it"
        );
        assert!(r.may_approve("ana", false, dec!(1000000)).is_ok());
        assert!(r.may_approve("fred", true, dec!(1000000)).is_ok());
    }

    #[test]
    fn bad_files_name_the_line() {
        let e = |t: &str| roles(t).unwrap_err().to_string();
        assert_eq!(
            e("user,role\nana,admin\n"),
            "out/roles.csv:2: `admin` is not a role (billing_admin, account_manager, finance_manager, auditor)"
        );
        assert_eq!(
            e("name,role\nana,auditor\n"),
            "out/roles.csv:1: the header must name `user` and `role` (and may name `approval_limit`)"
        );
        assert_eq!(
            e("user,role,approval_limit\nana,billing_admin,lots\n"),
            "out/roles.csv:2: `approval_limit` `lots` is not an amount"
        );
        assert_eq!(
            e("user,role,approval_limit\nfred,finance_manager,10\n"),
            "out/roles.csv:2: `approval_limit` is for billing_admin rows only"
        );
        assert_eq!(e("user,role\n,auditor\n"), "out/roles.csv:2: `user` is empty");
    }
}
