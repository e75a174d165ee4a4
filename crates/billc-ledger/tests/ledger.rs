//! The ledger through its library interface: versions and idempotent re-runs, every transition
//! (allowed and refused), roles and separation of duties, payments and aging, closing a period,
//! ad-hoc lines, credit limits, and `verify` finding hand edits made behind billc's back.

#![expect(clippy::unwrap_used, reason = "tests: a failure is a test failure")]

mod common;

use common::{input, invoice};

use billc_billing::invoice::{Exception, ExceptionKind, Invoice, Status as RunStatus};
use billc_ledger::actions::{self, Adjustment, Command, Selection};
use billc_ledger::model::{Customer, Document, Kind, Status};
use billc_ledger::payments::{self, GroupBy};
use billc_ledger::record::{self, Recorded, RunInput};
use billc_ledger::roles::Roles;
use billc_ledger::{Actor, Mode, Store, verify};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::path::{Path, PathBuf};

struct Ledger {
    _dir: tempfile::TempDir,
    path: PathBuf,
    store: Store,
}

fn ledger() -> Ledger {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("billing.db");
    let store = Store::open(&path, Mode::Create).unwrap();
    Ledger { _dir: dir, path, store }
}

fn actor(name: &str) -> Actor {
    Actor {
        name: name.into(),
        at: "2025-04-02T09:00:00.000Z".into(),
        roles: None,
    }
}

fn with_roles(name: &str, roles: &Roles) -> Actor {
    Actor {
        roles: Some(roles.clone()),
        ..actor(name)
    }
}

impl Ledger {
    /// Records a run of these invoices (numbered 01 as `billc run` makes them); returns what the
    /// ledger did and the numbers it gave.
    fn run(&mut self, who: &Actor, invoices: Vec<Invoice>) -> (Recorded, Vec<String>, Vec<Exception>) {
        let sites: Vec<String> = invoices.iter().map(|i| i.site.clone()).collect();
        let sites: Vec<&str> = sites.iter().map(String::as_str).collect();
        self.run_with(who, input(&sites), invoices)
    }

    fn run_with(
        &mut self,
        who: &Actor,
        input: RunInput,
        mut invoices: Vec<Invoice>,
    ) -> (Recorded, Vec<String>, Vec<Exception>) {
        let mut exceptions = Vec::new();
        let r = record::record_run(&mut self.store, who, &input, &mut invoices, &mut exceptions).unwrap();
        (r, invoices.into_iter().map(|i| i.number).collect(), exceptions)
    }

    fn doc(&mut self, number: &str) -> Document {
        self.store.read(|db| db.document(number)).unwrap().unwrap()
    }

    fn docs(&mut self) -> Vec<Document> {
        self.store.read(|db| db.select(None, None, None)).unwrap()
    }

    fn act(&mut self, who: &Actor, command: Command, numbers: &[&str], reason: &str) -> actions::Outcome {
        let selection = Selection {
            numbers: numbers.iter().map(|n| n.to_string()).collect(),
            ..Selection::default()
        };
        actions::act(&mut self.store, who, command, &selection, reason).unwrap()
    }

    /// Runs `command` and asserts it was done, to `to`.
    fn ok(&mut self, who: &Actor, command: Command, number: &str, reason: &str, to: Status) {
        let o = self.act(who, command, &[number], reason);
        assert_eq!(o.refused, vec![], "{command:?} {number}");
        assert_eq!(o.done[0].to, to, "{command:?} {number}");
    }

    /// Runs `command` and returns why it was refused.
    fn refused(&mut self, who: &Actor, command: Command, number: &str, reason: &str) -> String {
        let o = self.act(who, command, &[number], reason);
        assert_eq!(o.done, vec![], "{command:?} {number} should be refused");
        o.refused[0].why.clone()
    }

    fn events(&mut self) -> Vec<billc_ledger::model::Event> {
        self.store
            .read(|db| db.events(None))
            .unwrap()
            .into_iter()
            .map(|(_, e)| e)
            .collect()
    }

    fn clean(&mut self) {
        let v = verify::verify(&mut self.store).unwrap();
        assert_eq!(v.breaks, vec![], "verify");
    }

    fn sent(&mut self, number: &str) {
        let (a, b) = (actor("ana"), actor("bob"));
        self.ok(&b, Command::Approve, number, "", Status::Approved);
        self.ok(&a, Command::Send, number, "", Status::Sent);
    }
}

const A: &str = "0238-202503-01-01";

#[test]
fn an_unchanged_rerun_keeps_every_version_and_only_logs_the_run() {
    let mut l = ledger();
    let ana = actor("ana");
    let invoices = || {
        vec![
            invoice("0238", &[("Fee", dec!(1000.00))]),
            invoice("0239", &[("Fee", dec!(20.50))]),
        ]
    };
    let (r, numbers, _) = l.run(&ana, invoices());
    assert_eq!((r.counts.created, r.counts.unchanged), (2, 0));
    assert_eq!(numbers, vec![A, "0239-202503-01-01"]);
    let docs = l.docs();
    let events = l.events().len();
    let (r, numbers, _) = l.run(&ana, invoices());
    assert_eq!((r.counts.created, r.counts.unchanged, r.counts.replaced), (0, 2, 0));
    assert_eq!(numbers, vec![A, "0239-202503-01-01"]);
    assert_eq!(l.docs(), docs, "nothing changed but the run log");
    assert_eq!(l.events().len(), events + 1, "one `run` event");
    assert_eq!(l.store.read(|db| db.runs()).unwrap().len(), 2);
    assert_eq!(l.doc(A).status, Status::Draft);
    l.clean();
}

#[test]
fn a_changed_unsent_invoice_becomes_02_and_supersedes_01() {
    let mut l = ledger();
    let ana = actor("ana");
    l.run(&ana, vec![invoice("0238", &[("Fee", dec!(1000.00))])]);
    let (r, numbers, _) = l.run(&ana, vec![invoice("0238", &[("Fee", dec!(1000.01))])]);
    assert_eq!(numbers, vec!["0238-202503-01-02"]);
    assert_eq!(r.replaced, vec![(A.to_string(), Some("0238-202503-01-02".to_string()))]);
    assert_eq!(l.doc(A).status, Status::Superseded);
    let v2 = l.doc("0238-202503-01-02");
    assert_eq!(
        (v2.status, v2.content.total, v2.corrects.as_deref()),
        (Status::Draft, dec!(1000.01), Some(A))
    );
    // Back to the first amount: a third version, not a resurrection of the superseded one.
    let (_, numbers, _) = l.run(&ana, vec![invoice("0238", &[("Fee", dec!(1000.00))])]);
    assert_eq!(numbers, vec!["0238-202503-01-03"]);
    l.clean();
}

#[test]
fn a_changed_sent_invoice_is_never_touched_it_gets_a_credit_note_and_a_replacement() {
    let mut l = ledger();
    let ana = actor("ana");
    l.run(
        &ana,
        vec![invoice("0238", &[("Fee", dec!(1000.00)), ("Tax", dec!(75.00))])],
    );
    l.sent(A);
    let before = l.doc(A);
    let (r, numbers, _) = l.run(
        &ana,
        vec![invoice("0238", &[("Fee", dec!(1200.00)), ("Tax", dec!(90.00))])],
    );
    assert_eq!(numbers, vec!["0238-202503-01-03"]);
    assert_eq!(r.credit_notes, vec!["0238-202503-01-02"]);
    assert_eq!(l.doc(A), before, "the sent version is unchanged");
    let note = l.doc("0238-202503-01-02");
    assert_eq!(note.content.kind, Kind::CreditNote);
    assert_eq!(note.content.total, dec!(-1075.00));
    let amounts: Vec<Decimal> = note.content.lines.iter().map(|l| l.amount).collect();
    assert_eq!(amounts, vec![dec!(-1000.00), dec!(-75.00)]);
    assert_eq!((note.corrects.as_deref(), note.status), (Some(A), Status::Draft));
    let replacement = l.doc("0238-202503-01-03");
    assert_eq!(
        (replacement.content.total, replacement.corrects.as_deref()),
        (dec!(1290.00), Some(A))
    );
    // Sending the credit note settles the sent invoice: credited.
    l.sent("0238-202503-01-02");
    assert_eq!(l.doc(A).status, Status::Credited);
    // A re-run of the same data now changes nothing.
    let (r, _, _) = l.run(
        &ana,
        vec![invoice("0238", &[("Fee", dec!(1200.00)), ("Tax", dec!(90.00))])],
    );
    assert_eq!((r.counts.unchanged, r.counts.credit_notes), (1, 0));
    l.clean();
}

#[test]
fn an_invoice_the_rerun_no_longer_bills_is_withdrawn_but_a_failed_contract_withdraws_nothing() {
    let mut l = ledger();
    let ana = actor("ana");
    l.run(
        &ana,
        vec![
            invoice("0238", &[("Fee", dec!(10.00))]),
            invoice("0239", &[("Fee", dec!(20.00))]),
        ],
    );
    l.sent("0239-202503-01-01");
    // 0239 failed this time: its invoice stands.
    let mut failed = Vec::new();
    let mut invoices = vec![invoice("0238", &[("Fee", dec!(10.00))])];
    failed.push(Exception {
        site: "0239".into(),
        kind: ExceptionKind::ContractFailed,
        location: "contracts/0239.bill:3".into(),
        message: "overflow".into(),
    });
    let r = record::record_run(
        &mut l.store,
        &ana,
        &input(&["0238", "0239"]),
        &mut invoices,
        &mut failed,
    )
    .unwrap();
    assert_eq!(r.counts.withdrawn, 0);
    // Both bill nothing now: the draft is voided, the sent one credited.
    let (r, _, _) = l.run_with(&ana, input(&["0238", "0239"]), Vec::new());
    assert_eq!(r.counts.withdrawn, 2);
    assert_eq!(l.doc(A).status, Status::Voided);
    assert_eq!(r.credit_notes, vec!["0239-202503-01-02"]);
    // Billing nothing again credits nothing again: the credit note is already there.
    let (r, _, _) = l.run_with(&ana, input(&["0238", "0239"]), Vec::new());
    assert_eq!((r.counts.withdrawn, r.credit_notes.len()), (0, 0));
    // A run of other contracts withdraws nothing of these.
    let (r, _, _) = l.run_with(&ana, input(&["0500"]), Vec::new());
    assert_eq!(r.counts.withdrawn, 0);
    l.clean();
}

#[test]
fn every_transition_allowed_and_refused_with_its_reason() {
    let mut l = ledger();
    let (ana, bob) = (actor("ana"), actor("bob"));
    let sites = ["0001", "0002", "0003", "0004", "0005"];
    l.run(
        &ana,
        sites.iter().map(|s| invoice(s, &[("Fee", dec!(100.00))])).collect(),
    );
    let n = |s: &str| format!("{s}-202503-01-01");
    // draft
    assert_eq!(
        l.refused(&ana, Command::Send, &n("0001"), ""),
        "cannot send: it is draft; send needs approved (approve it first)"
    );
    assert_eq!(
        l.refused(&ana, Command::Dispute, &n("0001"), "x"),
        "cannot dispute: it is draft; dispute needs sent or partially_paid or paid"
    );
    assert_eq!(
        l.refused(&ana, Command::Credit, &n("0001"), "x"),
        "cannot credit: it is draft; credit needs sent or partially_paid or paid or disputed (an unsent invoice is voided: `billc void`)"
    );
    assert_eq!(
        l.refused(&ana, Command::Withdraw, &n("0001"), ""),
        "cannot dispute --withdraw: it is draft; dispute --withdraw needs disputed"
    );
    assert_eq!(
        l.refused(&ana, Command::Reject, &n("0001"), " "),
        "cannot reject: reject needs a reason (--reason)"
    );
    l.ok(&ana, Command::Reject, &n("0001"), "wrong rate", Status::Rejected);
    l.ok(&bob, Command::Approve, &n("0001"), "", Status::Approved);
    l.ok(&ana, Command::Reject, &n("0001"), "approved too soon", Status::Rejected);
    l.ok(&ana, Command::Void, &n("0001"), "duplicate", Status::Voided);
    assert_eq!(
        l.refused(&bob, Command::Approve, &n("0001"), ""),
        "cannot approve: it is voided; approve needs draft or needs_approval or rejected"
    );
    // approved → sent → disputed → withdrawn → paid
    l.sent(&n("0002"));
    assert_eq!(
        l.refused(&ana, Command::Void, &n("0002"), "x"),
        "cannot void: it is sent; void needs draft or needs_approval or approved or rejected (a sent invoice is credited: `billc credit`)"
    );
    assert_eq!(
        l.refused(&bob, Command::Approve, &n("0002"), ""),
        "cannot approve: it is sent; approve needs draft or needs_approval or rejected"
    );
    assert_eq!(
        l.refused(&ana, Command::Send, &n("0002"), ""),
        "cannot send: it is sent; send needs approved"
    );
    l.ok(
        &ana,
        Command::Dispute,
        &n("0002"),
        "customer says the rate is old",
        Status::Disputed,
    );
    l.ok(&ana, Command::Withdraw, &n("0002"), "customer agreed", Status::Sent);
    // disputed → resolved by a credit note
    l.sent(&n("0003"));
    l.ok(&ana, Command::Dispute, &n("0003"), "not our garage", Status::Disputed);
    let o = l.act(&ana, Command::Credit, &[&n("0003")], "not our garage");
    assert_eq!(o.done[0].made, vec!["0003-202503-01-02"]);
    assert_eq!(
        l.refused(&ana, Command::Credit, &n("0003"), "again"),
        "cannot credit: 0003-202503-01-02 already credits it (draft)"
    );
    l.sent("0003-202503-01-02");
    assert_eq!(l.doc(&n("0003")).status, Status::Credited);
    assert_eq!(
        l.refused(&ana, Command::Dispute, "0003-202503-01-02", "x"),
        "cannot dispute: a credit note is not disputed: dispute the invoice it credits"
    );
    // unknown numbers and selections
    let o = l.act(&ana, Command::Approve, &["9999-202503-01-01"], "");
    assert_eq!(o.refused[0].why, "no invoice `9999-202503-01-01` in the ledger");
    let o = actions::act(
        &mut l.store,
        &bob,
        Command::Approve,
        &Selection {
            period: Some("2025-03".into()),
            status: Some(Status::Draft),
            ..Selection::default()
        },
        "",
    )
    .unwrap();
    let approved: Vec<&str> = o.done.iter().map(|d| d.number.as_str()).collect();
    assert_eq!(approved, vec!["0004-202503-01-01", "0005-202503-01-01"]);
    // Every refusal is an event.
    let refusals = l.events().iter().filter(|e| e.action == "refused").count();
    assert_eq!(refusals, 12);
    l.clean();
}

fn roles() -> Roles {
    Roles::parse(
        Path::new("roles.csv"),
        "user,role,approval_limit\nana,billing_admin,500\nbea,billing_admin,\ncarl,account_manager,\nfred,finance_manager,\naudrey,auditor,\n",
    )
    .unwrap()
}

#[test]
fn roles_and_separation_of_duties() {
    let mut l = ledger();
    let r = roles();
    let (ana, bea, carl, fred, audrey) = (
        with_roles("ana", &r),
        with_roles("bea", &r),
        with_roles("carl", &r),
        with_roles("fred", &r),
        with_roles("audrey", &r),
    );
    let mut big = invoice("0002", &[("Fee", dec!(900.00))]);
    big.status = RunStatus::NeedsApproval;
    big.status_reasons = vec!["revenue 40% below forecast".into()];
    let mut small = invoice("0003", &[("Fee", dec!(400.00))]);
    small.status = RunStatus::NeedsApproval;
    l.run(&ana, vec![invoice("0001", &[("Fee", dec!(100.00))]), big, small]);
    assert_eq!(
        l.refused(&ana, Command::Approve, "0001-202503-01-01", ""),
        "cannot approve: `ana` made it (run 1): someone else approves it (separation of duties)"
    );
    assert_eq!(
        l.refused(&carl, Command::Approve, "0001-202503-01-01", ""),
        "cannot approve: `carl` is account_manager and `approve` needs billing_admin or finance_manager"
    );
    assert_eq!(
        l.refused(&bea, Command::Approve, "0002-202503-01-01", ""),
        "cannot approve: it needs approval and `bea` has no approval limit: a finance_manager approves it"
    );
    l.ok(&bea, Command::Approve, "0001-202503-01-01", "", Status::Approved);
    l.ok(&fred, Command::Approve, "0002-202503-01-01", "", Status::Approved);
    assert_eq!(
        l.refused(&audrey, Command::Send, "0002-202503-01-01", ""),
        "cannot send: `audrey` is auditor and `send` needs billing_admin or finance_manager"
    );
    l.ok(
        &carl,
        Command::Reject,
        "0003-202503-01-01",
        "check the hours",
        Status::Rejected,
    );
    let stranger = with_roles("zoe", &r);
    assert_eq!(
        l.refused(&stranger, Command::Send, "0001-202503-01-01", ""),
        "cannot send: `zoe` is not in roles.csv"
    );
    // A billing admin approves what needs approval up to their limit.
    let mut third = invoice("0004", &[("Fee", dec!(500.00))]);
    third.status = RunStatus::NeedsApproval;
    l.run(&fred, vec![third]);
    l.ok(&ana, Command::Approve, "0004-202503-01-01", "", Status::Approved);
    // Closing is a finance manager's.
    let why = actions::close(&mut l.store, &ana, "2025-03").unwrap().unwrap_err();
    assert_eq!(
        why,
        "cannot close 2025-03: `ana` is billing_admin and `close` needs finance_manager"
    );
    let refused = l
        .events()
        .iter()
        .filter(|e| e.action == "refused" && e.actor == "ana")
        .count();
    assert_eq!(refused, 2, "refusals are logged with who was refused");
    l.clean();
}

fn pay(l: &mut Ledger, rows: &str) -> Result<payments::Imported, String> {
    let text = format!("invoice,date,amount,reference\n{rows}");
    payments::import(&mut l.store, &actor("ana"), Path::new("payments.csv"), &text).map_err(|e| e.to_string())
}

#[test]
fn payments_partial_full_over_unmatched_and_reimported() {
    let mut l = ledger();
    let ana = actor("ana");
    l.run(
        &ana,
        vec![
            invoice("0001", &[("Fee", dec!(1000.00))]),
            invoice("0002", &[("Fee", dec!(500.00))]),
        ],
    );
    l.sent("0001-202503-01-01");
    l.sent("0002-202503-01-01");
    let i = pay(
        &mut l,
        "0001-202503-01-01,2025-04-10,400.00,CHK-1\n0002-202503-01-01,2025-04-11,650.00,CHK-2\n0009-202503-01-01,2025-04-11,5.00,CHK-3\n",
    )
    .unwrap();
    let shown: Vec<(String, Decimal, Decimal, String)> = i
        .recorded
        .iter()
        .map(|p| (p.reference.clone(), p.applied, p.overpaid, p.outcome.clone()))
        .collect();
    assert_eq!(
        shown,
        vec![
            ("CHK-1".into(), dec!(400.00), dec!(0), "applied".into()),
            ("CHK-2".into(), dec!(500.00), dec!(150.00), "applied".into()),
            ("CHK-3".into(), dec!(0), dec!(0), "unmatched".into()),
        ]
    );
    assert_eq!(i.recorded[1].reason, "overpayment: $500.00 owed, $650.00 paid");
    assert_eq!(i.recorded[2].reason, "no invoice `0009-202503-01-01` in the ledger");
    assert_eq!(l.doc("0001-202503-01-01").status, Status::PartiallyPaid);
    assert_eq!(l.doc("0002-202503-01-01").status, Status::Paid);
    // Re-importing the same file: nothing new.
    let again = pay(
        &mut l,
        "0001-202503-01-01,2025-04-10,400.00,CHK-1\n0002-202503-01-01,2025-04-11,650.00,CHK-2\n0009-202503-01-01,2025-04-11,5.00,CHK-3\n",
    )
    .unwrap();
    assert_eq!((again.recorded.len(), again.already.len()), (0, 3));
    // A reference reused for another payment refuses the whole file.
    let e = pay(
        &mut l,
        "0001-202503-01-01,2025-04-20,600.00,CHK-4\n0001-202503-01-01,2025-04-10,401.00,CHK-1\n",
    )
    .unwrap_err();
    assert_eq!(
        e,
        "1 row with references already imported differently: nothing imported\n  payments.csv:3: reference `CHK-1` was imported before as 0001-202503-01-01 400.00 on 2025-04-10"
    );
    assert_eq!(
        l.doc("0001-202503-01-01").status,
        Status::PartiallyPaid,
        "nothing of the refused file applied"
    );
    let i = pay(&mut l, "0001-202503-01-01,2025-04-20,600.00,CHK-4\n").unwrap();
    assert_eq!(i.recorded[0].applied, dec!(600.00));
    assert_eq!(l.doc("0001-202503-01-01").status, Status::Paid);
    let i = pay(&mut l, "0001-202503-01-01,2025-04-21,1.00,CHK-5\n").unwrap();
    assert_eq!(i.recorded[0].reason, "0001-202503-01-01 is already paid in full");
    l.clean();
}

#[test]
fn aging_buckets_receivables_by_days_since_the_invoice_date() {
    let mut l = ledger();
    let ana = actor("ana");
    let mut feb = invoice("0001", &[("Fee", dec!(300.00))]);
    feb.date = NaiveDate::from_ymd_opt(2025, 1, 15).unwrap();
    l.run(
        &ana,
        vec![
            feb,
            invoice("0002", &[("Fee", dec!(200.00))]),
            invoice("0003", &[("Fee", dec!(99.99))]),
        ],
    );
    for n in ["0001-202503-01-01", "0002-202503-01-01"] {
        l.sent(n);
    }
    pay(&mut l, "0002-202503-01-01,2025-04-10,50.00,A\n").unwrap();
    let rows = payments::aging(
        &mut l.store,
        NaiveDate::from_ymd_opt(2025, 5, 15).unwrap(),
        GroupBy::Site,
    )
    .unwrap();
    let shown: Vec<(String, [Decimal; 4], Decimal)> =
        rows.iter().map(|r| (r.key.clone(), r.buckets, r.total)).collect();
    assert_eq!(
        shown,
        vec![
            ("0001".into(), [dec!(0), dec!(0), dec!(0), dec!(300.00)], dec!(300.00)),
            ("0002".into(), [dec!(0), dec!(150.00), dec!(0), dec!(0)], dec!(150.00)),
        ],
        "0003 is not sent: not a receivable"
    );
    // Before March's invoice date, only January's invoice is owed.
    let rows = payments::aging(
        &mut l.store,
        NaiveDate::from_ymd_opt(2025, 2, 1).unwrap(),
        GroupBy::Site,
    )
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].buckets[0], dec!(300.00));
}

#[test]
fn adjust_makes_a_new_version_that_every_rerun_keeps() {
    let mut l = ledger();
    let ana = actor("ana");
    let run = || vec![invoice("0238", &[("Fee", dec!(1000.00))])];
    l.run(&ana, run());
    let adjustment = Adjustment {
        title: "Damage claim".into(),
        gl: "4790".into(),
        amount: dec!(-125.50),
        reason: "claim 4471 agreed with the GM".into(),
    };
    let o = actions::adjust(&mut l.store, &ana, A, &adjustment).unwrap();
    assert_eq!(o.done[0].made, vec!["0238-202503-01-02"]);
    assert_eq!(l.doc(A).status, Status::Superseded);
    assert_eq!(l.doc("0238-202503-01-02").content.total, dec!(874.50));
    let (r, numbers, _) = l.run(&ana, run());
    assert_eq!(
        (r.counts.unchanged, numbers),
        (1, vec!["0238-202503-01-02".to_string()])
    );
    // Once sent, an adjustment is a credit note and a replacement.
    l.sent("0238-202503-01-02");
    let o = actions::adjust(
        &mut l.store,
        &ana,
        "0238-202503-01-02",
        &Adjustment {
            amount: dec!(10.00),
            ..adjustment
        },
    )
    .unwrap();
    assert_eq!(o.done[0].made, vec!["0238-202503-01-03", "0238-202503-01-04"]);
    assert_eq!(l.doc("0238-202503-01-04").content.total, dec!(884.50));
    let (r, numbers, _) = l.run(&ana, run());
    assert_eq!(
        (r.counts.unchanged, numbers),
        (1, vec!["0238-202503-01-04".to_string()])
    );
    let o = actions::adjust(
        &mut l.store,
        &ana,
        "0238-202503-01-02",
        &Adjustment {
            title: "x".into(),
            gl: "4790".into(),
            amount: dec!(1.00),
            reason: "late".into(),
        },
    )
    .unwrap();
    assert_eq!(
        o.refused[0].why,
        "cannot adjust: 0238-202503-01-02 is not the current version: 0238-202503-01-04 is"
    );
    l.clean();
}

#[test]
fn a_closed_period_refuses_until_everything_is_sent_and_then_only_corrects() {
    let mut l = ledger();
    let ana = actor("ana");
    l.run(&ana, vec![invoice("0001", &[("Fee", dec!(10.00))])]);
    let why = actions::close(&mut l.store, &ana, "2025-03").unwrap().unwrap_err();
    assert_eq!(
        why,
        "cannot close 2025-03: 1 document is not sent yet: 0001-202503-01-01 (draft)"
    );
    l.sent("0001-202503-01-01");
    assert_eq!(actions::close(&mut l.store, &ana, "2025-03").unwrap(), Ok(1));
    let why = actions::close(&mut l.store, &ana, "2025-03").unwrap().unwrap_err();
    assert_eq!(why, "cannot close 2025-03: ana closed it at 2025-04-02T09:00:00.000Z");
    let (r, numbers, _) = l.run(
        &ana,
        vec![
            invoice("0001", &[("Fee", dec!(11.00))]),
            invoice("0002", &[("Fee", dec!(5.00))]),
        ],
    );
    assert_eq!(r.credit_notes, vec!["0001-202503-01-02"]);
    assert_eq!(numbers, vec!["0001-202503-01-03", "0002-202503-01-01"]);
    let new = l.doc("0002-202503-01-01");
    assert_eq!(new.status, Status::NeedsApproval);
    assert_eq!(
        new.reasons,
        vec!["period 2025-03 is closed: a new invoice in it needs approval"]
    );
    l.clean();
}

#[test]
fn a_customer_over_its_credit_limit_or_its_parents_needs_approval() {
    let mut l = ledger();
    let ana = actor("ana");
    let customer = |id: &str, parent: Option<&str>, limit: Option<Decimal>| Customer {
        id: id.into(),
        name: format!("Name {id}"),
        parent: parent.map(str::to_owned),
        credit_limit: limit,
        payment_terms: String::new(),
        billing_contacts: vec![],
    };
    let mut run = input(&["0001", "0002", "0003"]);
    run.customers = vec![
        customer("DIS", None, Some(dec!(1500.00))),
        customer("DIS-FL", Some("DIS"), None),
        customer("HYATT", None, Some(dec!(100000))),
    ];
    run.site_customers = [("0001", "DIS-FL"), ("0002", "DIS-FL"), ("0003", "HYATT")]
        .into_iter()
        .map(|(s, c)| (s.to_string(), c.to_string()))
        .collect();
    let invoices = vec![
        invoice("0001", &[("Fee", dec!(1000.00))]),
        invoice("0002", &[("Fee", dec!(600.00))]),
        invoice("0003", &[("Fee", dec!(600.00))]),
    ];
    let (_, _, exceptions) = l.run_with(&ana, run, invoices);
    let flagged: Vec<(&str, &str)> = exceptions
        .iter()
        .map(|e| (e.location.as_str(), e.message.as_str()))
        .collect();
    let why = "customer DIS (Name DIS) is over its credit limit: $1,600.00 owed and to be sent against $1,500.00";
    assert_eq!(flagged, vec![("0001-202503-01-01", why), ("0002-202503-01-01", why)]);
    assert_eq!(l.doc("0001-202503-01-01").status, Status::NeedsApproval);
    assert_eq!(l.doc("0003-202503-01-01").status, Status::Draft);
    l.clean();
}

/// Opens the file as a person with `sqlite3` would, behind billc's back.
fn hand_edit(path: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(sql).unwrap();
}

#[test]
fn the_database_refuses_edits_and_verify_finds_those_made_around_it() {
    let mut l = ledger();
    let ana = actor("ana");
    l.run(&ana, vec![invoice("0238", &[("Fee", dec!(1000.00))])]);
    l.sent(A);
    pay(&mut l, &format!("{A},2025-04-10,100.00,CHK-1\n")).unwrap();
    l.clean();
    // The triggers refuse an edit of a line, of a sent document's content and of the log.
    let conn = rusqlite::Connection::open(&l.path).unwrap();
    for sql in [
        "UPDATE lines SET amount = '1.00'",
        "UPDATE documents SET total = '1.00'",
        "UPDATE events SET reason = 'x'",
        "DELETE FROM events",
        "DELETE FROM documents",
    ] {
        assert!(conn.execute_batch(sql).is_err(), "{sql}");
    }
    drop(conn);
    // Around the triggers: a line's amount.
    hand_edit(
        &l.path,
        "DROP TRIGGER lines_frozen_update; UPDATE lines SET amount = '900.00';",
    );
    let v = verify::verify(&mut l.store).unwrap();
    let found: Vec<String> = v.breaks.iter().map(|b| format!("{}: {}", b.at, b.what)).collect();
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(
        found[0].starts_with("document 0238-202503-01-01: its rows do not hash to its digest"),
        "{found:#?}"
    );
    assert!(
        found[1].starts_with("document 0238-202503-01-01: its total 1000.00 is not the sum of its lines (900.00)"),
        "{found:#?}"
    );
    assert!(
        found[2].starts_with("document 0238-202503-01-01: it was sent with digest"),
        "{found:#?}"
    );
}

#[test]
fn verify_finds_an_edited_status_and_an_edited_event() {
    let mut l = ledger();
    let ana = actor("ana");
    l.run(&ana, vec![invoice("0238", &[("Fee", dec!(1000.00))])]);
    hand_edit(&l.path, "UPDATE documents SET status = 'paid';");
    let v = verify::verify(&mut l.store).unwrap();
    let found: Vec<String> = v.breaks.iter().map(|b| format!("{}: {}", b.at, b.what)).collect();
    assert_eq!(
        found,
        vec![
            "document 0238-202503-01-01: it is paid but was never sent",
            "document 0238-202503-01-01: its status is paid but its last event set draft",
        ]
    );
    hand_edit(
        &l.path,
        "UPDATE documents SET status = 'draft'; DROP TRIGGER events_append_only_update; UPDATE events SET actor = 'mallory' WHERE id = 1;",
    );
    let v = verify::verify(&mut l.store).unwrap();
    let found: Vec<String> = v.breaks.iter().map(|b| format!("{}: {}", b.at, b.what)).collect();
    assert_eq!(
        found,
        vec!["event 1: its content does not hash to its hash (a field was changed): created 0238-202503-01-01"]
    );
}

#[test]
fn a_ledger_of_a_newer_billc_is_refused_and_a_missing_one_is_not_created() {
    let l = ledger();
    drop(l.store);
    hand_edit(&l.path, "PRAGMA user_version = 99;");
    let e = Store::open(&l.path, Mode::Write).err().unwrap().to_string();
    assert!(
        e.ends_with("the ledger has schema version 99, this billc knows up to 1: use a newer billc"),
        "{e}"
    );
    let missing = l.path.with_file_name("none.db");
    let e = Store::open(&missing, Mode::Write).err().unwrap().to_string();
    assert!(
        e.ends_with("none.db: no ledger here (a `billc run` creates it; or give --ledger PATH)"),
        "{e}"
    );
    assert!(!missing.exists());
}
