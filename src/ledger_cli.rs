//! The ledger's commands: `approve`, `reject`, `send`, `void`, `dispute`, `credit`, `adjust`,
//! `close`, `payments import` and the `ledger` readers (`runs`, `invoices`, `history`, `aging`,
//! `verify`). Arguments and printing only: what they do is [`billc_ledger`].

use crate::console::{Console, outln};
use crate::{Format, NEEDS_A_PERSON, Outcome, USAGE, fail};
use billc_lang::value::format::{format_cents, plain_amount};
use billc_ledger::actions::{self, Command, Selection};
use billc_ledger::model::{Document, Status};
use billc_ledger::{Actor, LedgerError, Mode, Store};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Where the ledger is and who acts.
#[derive(clap::Args, Clone)]
pub struct Who {
    /// The ledger file (a run writes `<out>/billing.db` unless given --ledger).
    #[arg(long, value_name = "PATH", default_value = "out/billing.db")]
    pub ledger: PathBuf,
    /// Who acts (recorded in every event; checked against `roles.csv` beside the ledger). Default:
    /// the operating system's user.
    #[arg(long, value_name = "USER")]
    pub by: Option<String>,
}

/// `billc approve|reject|send|void|credit`: which documents, and why.
#[derive(clap::Args)]
pub struct StatusArgs {
    /// Invoice numbers (`0238-202503-01-01`).
    pub numbers: Vec<String>,
    /// Every document of this service month (YYYY-MM) …
    #[arg(long)]
    pub period: Option<String>,
    /// … in this status (draft, needs_approval, approved, rejected, sent, partially_paid, paid,
    /// credited, disputed, voided, superseded).
    #[arg(long)]
    pub status: Option<String>,
    /// Why (required by reject, void, dispute and credit; recorded in the event).
    #[arg(long, default_value = "")]
    pub reason: String,
    #[command(flatten)]
    pub who: Who,
}

/// `billc dispute`.
#[derive(clap::Args)]
pub struct DisputeArgs {
    #[command(flatten)]
    pub select: StatusArgs,
    /// Withdraw the dispute: back to sent, partially paid, paid or credited, by what was paid and credited.
    #[arg(long)]
    pub withdraw: bool,
}

/// `billc adjust`.
#[derive(clap::Args)]
pub struct AdjustArgs {
    /// The invoice (its current version).
    pub number: String,
    /// The line's title, as the customer reads it.
    #[arg(long)]
    pub title: String,
    /// The amount in dollars and cents (negative for a credit line).
    #[arg(long, allow_hyphen_values = true)]
    pub amount: String,
    /// The GL account (RULES.md §13: 4790 miscellaneous, 4792 reimbursable, 7000–7999 client paid).
    #[arg(long, default_value = "4790")]
    pub gl: String,
    /// Why (required; it is the line's description).
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub who: Who,
}

/// `billc close`.
#[derive(clap::Args)]
pub struct CloseArgs {
    /// The service month, YYYY-MM.
    #[arg(long)]
    pub period: String,
    #[command(flatten)]
    pub who: Who,
}

/// `billc payments`.
#[derive(clap::Subcommand)]
pub enum PaymentsCommand {
    /// Import a payments file (invoice, date, amount, reference): idempotent by reference.
    Import {
        file: PathBuf,
        #[command(flatten)]
        who: Who,
    },
}

/// Where the readers read.
#[derive(clap::Args, Clone)]
pub struct ReadArgs {
    /// The ledger file.
    #[arg(long, value_name = "PATH", default_value = "out/billing.db")]
    pub ledger: PathBuf,
    /// `text` (a table) or `json` (for tools).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// How `aging` groups.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AgingBy {
    Customer,
    Site,
    Parent,
}

/// `billc ledger …`: reading the ledger.
#[derive(clap::Subcommand)]
pub enum LedgerCommand {
    /// Every run: period, digests, who, when, what it did.
    Runs {
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Documents of a period (or all), with status and total.
    Invoices {
        #[arg(long)]
        period: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        site: Option<String>,
        /// A customer id of `customers.csv`: its documents and those of every account under it.
        #[arg(long)]
        customer: Option<String>,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Every version of an invoice, its events and payments.
    History {
        /// An invoice number (any version) or its base (`0238-202503-01`).
        number: String,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Receivables by age (0–30, 31–60, 61–90, 90+ days since the invoice date).
    Aging {
        /// The date to age at (YYYY-MM-DD; default today).
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value_t = AgingBy::Customer)]
        by: AgingBy,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Recompute the audit log's hash chain and check the ledger's invariants.
    Verify {
        #[command(flatten)]
        read: ReadArgs,
    },
}

/// The actor of a command: `--by` or the operating system's user.
pub fn actor(
    console: &Console,
    by: Option<&str>,
    ledger: &Path,
) -> Result<Result<Actor, ExitCode>, crate::console::Failed> {
    let Some(name) = by.map(str::to_owned).or_else(billc_ledger::os_user) else {
        return Ok(Err(fail(
            console,
            USAGE,
            &"cannot tell who acts: give --by USER (no $USER or $LOGNAME)",
        )?));
    };
    match Actor::new(name, ledger) {
        Ok(a) => Ok(Ok(a)),
        Err(e) => Ok(Err(fail(console, NEEDS_A_PERSON, &e)?)),
    }
}

fn open(console: &Console, path: &Path, mode: Mode) -> Result<Result<Store, ExitCode>, crate::console::Failed> {
    match Store::open(path, mode) {
        Ok(s) => Ok(Ok(s)),
        Err(e) => Ok(Err(fail(console, NEEDS_A_PERSON, &e)?)),
    }
}

/// Says whether roles are checked (printed by every command that writes).
fn roles_note(console: &Console, actor: &Actor, ledger: &Path) -> Result<(), crate::console::Failed> {
    if actor.roles.is_none() {
        let dir = ledger.parent().unwrap_or(Path::new("."));
        crate::console::errln!(
            console,
            "note: no {} in {}: roles are not checked",
            billc_ledger::ROLES_FILE,
            dir.display()
        )?;
    }
    Ok(())
}

fn parse_status(
    console: &Console,
    text: Option<&str>,
) -> Result<Result<Option<Status>, ExitCode>, crate::console::Failed> {
    match text {
        None => Ok(Ok(None)),
        Some(t) => match Status::parse(t) {
            Some(s) => Ok(Ok(Some(s))),
            None => {
                let all: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
                Ok(Err(fail(
                    console,
                    USAGE,
                    &format!("--status `{t}` is not a status ({})", all.join(", ")),
                )?))
            }
        },
    }
}

/// `billc approve|reject|send|void|dispute|credit`.
pub fn status_command(console: &Console, command: Command, args: &StatusArgs) -> Outcome {
    if args.numbers.is_empty() && args.period.is_none() && args.status.is_none() {
        return fail(
            console,
            USAGE,
            &format!("{}: give invoice numbers, or --period P [--status S]", command.name()),
        );
    }
    let status = match parse_status(console, args.status.as_deref())? {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let mut store = match open(console, &args.who.ledger, Mode::Write)? {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let actor = match actor(console, args.who.by.as_deref(), &args.who.ledger)? {
        Ok(a) => a,
        Err(code) => return Ok(code),
    };
    roles_note(console, &actor, &args.who.ledger)?;
    let selection = Selection {
        numbers: args.numbers.clone(),
        period: args.period.clone(),
        status,
    };
    let outcome = match actions::act(&mut store, &actor, command, &selection, &args.reason) {
        Ok(o) => o,
        Err(e) => return fail(console, NEEDS_A_PERSON, &e),
    };
    print_outcome(console, command.name(), &outcome)
}

fn print_outcome(console: &Console, verb: &str, outcome: &actions::Outcome) -> Outcome {
    for d in &outcome.done {
        let made = if d.made.is_empty() {
            String::new()
        } else {
            format!(", made {}", d.made.join(" and "))
        };
        outln!(console, "{verb} {}: {} → {}{made}", d.number, d.from, d.to)?;
        for (number, to) in &d.also {
            outln!(console, "  {number} → {to}")?;
        }
    }
    for r in &outcome.refused {
        crate::console::errln!(console, "refused {}: {}", r.number, r.why)?;
    }
    outln!(
        console,
        "{verb}: {} done, {} refused",
        outcome.done.len(),
        outcome.refused.len()
    )?;
    Ok(if outcome.refused.is_empty() && !outcome.done.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(NEEDS_A_PERSON)
    })
}

/// `billc adjust`.
pub fn adjust(console: &Console, args: &AdjustArgs) -> Outcome {
    let Ok(amount) = rust_decimal::Decimal::from_str_exact(args.amount.trim()) else {
        return fail(console, USAGE, &format!("--amount `{}` is not an amount", args.amount));
    };
    let mut store = match open(console, &args.who.ledger, Mode::Write)? {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let actor = match actor(console, args.who.by.as_deref(), &args.who.ledger)? {
        Ok(a) => a,
        Err(code) => return Ok(code),
    };
    roles_note(console, &actor, &args.who.ledger)?;
    let adjustment = actions::Adjustment {
        title: args.title.clone(),
        gl: args.gl.clone(),
        amount,
        reason: args.reason.clone(),
    };
    match actions::adjust(&mut store, &actor, &args.number, &adjustment) {
        Ok(o) => print_outcome(console, "adjust", &o),
        Err(e) => fail(console, NEEDS_A_PERSON, &e),
    }
}

/// `billc close`.
pub fn close(console: &Console, args: &CloseArgs) -> Outcome {
    if billc_lang::time::YearMonth::parse(&args.period).is_none() {
        return fail(
            console,
            USAGE,
            &format!("--period `{}` is not a month (YYYY-MM)", args.period),
        );
    }
    let mut store = match open(console, &args.who.ledger, Mode::Write)? {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let actor = match actor(console, args.who.by.as_deref(), &args.who.ledger)? {
        Ok(a) => a,
        Err(code) => return Ok(code),
    };
    roles_note(console, &actor, &args.who.ledger)?;
    match actions::close(&mut store, &actor, &args.period) {
        Ok(Ok(n)) => {
            outln!(console, "closed {} ({n} documents)", args.period)?;
            Ok(ExitCode::SUCCESS)
        }
        Ok(Err(why)) => fail(console, NEEDS_A_PERSON, &why),
        Err(e) => fail(console, NEEDS_A_PERSON, &e),
    }
}

/// `billc payments import`.
pub fn payments(console: &Console, command: &PaymentsCommand) -> Outcome {
    let PaymentsCommand::Import { file, who } = command;
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            return fail(
                console,
                USAGE,
                &format!("{}: cannot read the payments file: {e}", file.display()),
            );
        }
    };
    let mut store = match open(console, &who.ledger, Mode::Write)? {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let actor = match actor(console, who.by.as_deref(), &who.ledger)? {
        Ok(a) => a,
        Err(code) => return Ok(code),
    };
    roles_note(console, &actor, &who.ledger)?;
    let imported = match billc_ledger::payments::import(&mut store, &actor, file, &text) {
        Ok(i) => i,
        Err(e) => return fail(console, NEEDS_A_PERSON, &e),
    };
    let mut unmatched = 0;
    for p in &imported.recorded {
        let what = if p.outcome == "unmatched" {
            unmatched += 1;
            format!("unmatched: {}", p.reason)
        } else if !p.overpaid.is_zero() {
            format!("applied {}, {}", format_cents(p.applied), p.reason)
        } else {
            format!("applied {}", format_cents(p.applied))
        };
        outln!(
            console,
            "{} {} {}: {what}",
            p.reference,
            p.invoice,
            format_cents(p.amount)
        )?;
    }
    outln!(
        console,
        "imported {} payments: {} applied, {} overpaid, {} unmatched ({}); {} already imported",
        imported.recorded.len(),
        format_cents(imported.sum(|p| p.applied)),
        format_cents(imported.sum(|p| p.overpaid)),
        unmatched,
        format_cents(imported.sum(|p| if p.outcome == "unmatched" {
            p.amount
        } else {
            rust_decimal::Decimal::ZERO
        })),
        imported.already.len()
    )?;
    Ok(if unmatched > 0 {
        ExitCode::from(NEEDS_A_PERSON)
    } else {
        ExitCode::SUCCESS
    })
}

/// `billc ledger …`.
pub fn ledger(console: &Console, command: &LedgerCommand) -> Outcome {
    let read = match command {
        LedgerCommand::Runs { read }
        | LedgerCommand::Invoices { read, .. }
        | LedgerCommand::History { read, .. }
        | LedgerCommand::Aging { read, .. }
        | LedgerCommand::Verify { read } => read,
    };
    let mut store = match open(console, &read.ledger, Mode::Read)? {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let json = read.format == Format::Json;
    let result: Result<Outcome, LedgerError> = match command {
        LedgerCommand::Runs { .. } => store.read(|db| Ok(db.runs()?)).map(|runs| {
            if json {
                return print_json(console, &runs);
            }
            outln!(
                console,
                "{:>4}  {:<7}  {:<12}  {:<24}  {:>8} {:>7} {:>9} {:>8} {:>7} {:>9} {:>10}",
                "run",
                "period",
                "by",
                "finished",
                "invoices",
                "created",
                "unchanged",
                "replaced",
                "credits",
                "withdrawn",
                "exceptions"
            )?;
            for r in &runs {
                outln!(
                    console,
                    "{:>4}  {:<7}  {:<12}  {:<24}  {:>8} {:>7} {:>9} {:>8} {:>7} {:>9} {:>10}{}",
                    r.id,
                    r.period,
                    r.actor,
                    r.finished_at,
                    r.invoices,
                    r.created,
                    r.unchanged,
                    r.replaced,
                    r.credit_notes,
                    r.withdrawn,
                    r.exceptions,
                    if r.refused { "  refused" } else { "" }
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }),
        LedgerCommand::Invoices {
            period,
            status,
            site,
            customer,
            ..
        } => {
            let status = match parse_status(console, status.as_deref())? {
                Ok(s) => s,
                Err(code) => return Ok(code),
            };
            store
                .read(|db| {
                    let docs = db.select(period.as_deref(), status, site.as_deref())?;
                    let Some(customer) = customer else {
                        return Ok(docs);
                    };
                    let master = db.customers()?.into_iter().map(|c| (c.id.clone(), c)).collect();
                    Ok(docs
                        .into_iter()
                        .filter(|d| {
                            d.content
                                .customer_id
                                .as_deref()
                                .is_some_and(|id| billc_ledger::record::ancestry(&master, id).contains(customer))
                        })
                        .collect())
                })
                .map(|docs| print_documents(console, &docs, json))
        }
        LedgerCommand::History { number, .. } => history(console, &mut store, number, json),
        LedgerCommand::Aging { as_of, by, .. } => {
            let date = match as_of {
                None => chrono::Utc::now().date_naive(),
                Some(t) => match chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
                    Ok(d) => d,
                    Err(_) => return fail(console, USAGE, &format!("--as-of `{t}` is not a date (YYYY-MM-DD)")),
                },
            };
            let by = match by {
                AgingBy::Customer => billc_ledger::payments::GroupBy::Customer,
                AgingBy::Site => billc_ledger::payments::GroupBy::Site,
                AgingBy::Parent => billc_ledger::payments::GroupBy::Parent,
            };
            billc_ledger::payments::aging(&mut store, date, by).map(|rows| print_aging(console, &rows, date, json))
        }
        LedgerCommand::Verify { .. } => billc_ledger::verify::verify(&mut store).map(|v| {
            if json {
                print_json(console, &v)?;
            } else {
                for b in &v.breaks {
                    outln!(console, "BREAK {}: {}", b.at, b.what)?;
                }
                outln!(
                    console,
                    "{} events, {} documents, {} payments: {}; chain head {}",
                    v.events,
                    v.documents,
                    v.payments,
                    if v.breaks.is_empty() {
                        "no breaks".to_owned()
                    } else {
                        format!("{} breaks", v.breaks.len())
                    },
                    v.head
                )?;
            }
            Ok(if v.breaks.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(NEEDS_A_PERSON)
            })
        }),
    };
    match result {
        Ok(outcome) => outcome,
        Err(e) => fail(console, NEEDS_A_PERSON, &e),
    }
}

fn print_json<T: serde::Serialize>(console: &Console, value: &T) -> Outcome {
    match serde_json::to_string_pretty(value) {
        Ok(text) => {
            outln!(console, "{text}")?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => fail(console, NEEDS_A_PERSON, &e),
    }
}

fn print_documents(console: &Console, docs: &[Document], json: bool) -> Outcome {
    if json {
        return print_json(console, &docs);
    }
    outln!(
        console,
        "{:<18}  {:<11}  {:<14}  {:<5}  {:<28}  {:>14}",
        "number",
        "kind",
        "status",
        "site",
        "customer",
        "total"
    )?;
    let mut total = rust_decimal::Decimal::ZERO;
    for d in docs {
        total = total.saturating_add(d.content.total);
        outln!(
            console,
            "{:<18}  {:<11}  {:<14}  {:<5}  {:<28}  {:>14}",
            d.number,
            d.content.kind.as_str(),
            d.status.as_str(),
            d.content.site,
            d.content.customer.chars().take(28).collect::<String>(),
            plain_amount(d.content.total)
        )?;
    }
    outln!(console, "{} documents, {}", docs.len(), format_cents(total))?;
    Ok(ExitCode::SUCCESS)
}

fn history(console: &Console, store: &mut Store, number: &str, json: bool) -> Result<Outcome, LedgerError> {
    let base = billc_ledger::split_number(number).map_or(number, |(b, _)| b).to_owned();
    let found: Vec<(
        Document,
        Vec<billc_ledger::model::Event>,
        Vec<billc_ledger::model::Payment>,
    )> = store.read(|db| {
        let versions = db.versions(&base)?;
        let mut out = Vec::new();
        for d in versions {
            let events: Vec<_> = db.events(Some(d.id))?.into_iter().map(|(_, e)| e).collect();
            let payments = db.payments(Some(d.id))?;
            out.push((d, events, payments));
        }
        Ok::<_, LedgerError>(out)
    })?;
    Ok(print_history(console, number, &found, json))
}

type History = (
    Document,
    Vec<billc_ledger::model::Event>,
    Vec<billc_ledger::model::Payment>,
);

fn print_history(console: &Console, number: &str, found: &[History], json: bool) -> Outcome {
    if found.is_empty() {
        return fail(console, NEEDS_A_PERSON, &format!("no invoice `{number}` in the ledger"));
    }
    if json {
        let value: Vec<_> = found
            .iter()
            .map(|(d, e, p)| serde_json::json!({ "document": d, "events": e, "payments": p }))
            .collect();
        return print_json(console, &value);
    }
    for (d, events, payments) in found {
        let corrects = d
            .corrects
            .as_ref()
            .map(|c| match d.content.kind {
                billc_ledger::model::Kind::CreditNote => format!(", credits {c}"),
                billc_ledger::model::Kind::Invoice => format!(", replaces {c}"),
            })
            .unwrap_or_default();
        outln!(
            console,
            "{} {} {} {}{corrects} — {} {}",
            d.number,
            d.content.kind.as_str(),
            d.status,
            format_cents(d.content.total),
            d.content.site,
            d.content.customer
        )?;
        for r in &d.reasons {
            outln!(console, "    why: {r}")?;
        }
        for l in &d.content.lines {
            outln!(
                console,
                "    {:<44} {:>6} {:>14}  {}",
                l.title,
                l.gl,
                plain_amount(l.amount),
                l.origin
            )?;
        }
        for e in events {
            let change = match (e.from, e.to) {
                (Some(f), Some(t)) => format!(" {f} → {t}"),
                (None, Some(t)) => format!(" → {t}"),
                _ => String::new(),
            };
            let run = e.run.map(|r| format!(" (run {r})")).unwrap_or_default();
            let reason = if e.reason.is_empty() {
                String::new()
            } else {
                format!(": {}", e.reason)
            };
            outln!(console, "  {} {} {}{change}{run}{reason}", e.at, e.actor, e.action)?;
        }
        for p in payments {
            outln!(
                console,
                "  payment {} on {}: {} applied{}",
                p.reference,
                p.date,
                format_cents(p.applied),
                if p.overpaid.is_zero() {
                    String::new()
                } else {
                    format!(", {} overpaid", format_cents(p.overpaid))
                }
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_aging(
    console: &Console,
    rows: &[billc_ledger::payments::AgingRow],
    as_of: chrono::NaiveDate,
    json: bool,
) -> Outcome {
    if json {
        return print_json(
            console,
            &serde_json::json!({ "as_of": as_of.to_string(), "rows": rows }),
        );
    }
    outln!(console, "receivables as of {as_of}, by days since the invoice date")?;
    let w = rows
        .iter()
        .map(|r| r.key.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(5, 40);
    outln!(
        console,
        "{:<w$}  {:<28}  {:>14} {:>14} {:>14} {:>14} {:>14} {:>14}",
        "key",
        "name",
        "0-30",
        "31-60",
        "61-90",
        "90+",
        "credits",
        "total"
    )?;
    let mut sums = [rust_decimal::Decimal::ZERO; 6];
    for r in rows {
        let cells = [
            r.buckets[0],
            r.buckets[1],
            r.buckets[2],
            r.buckets[3],
            r.credits,
            r.total,
        ];
        for (s, c) in sums.iter_mut().zip(cells) {
            *s = s.saturating_add(c);
        }
        outln!(
            console,
            "{:<w$}  {:<28}  {:>14} {:>14} {:>14} {:>14} {:>14} {:>14}",
            r.key.chars().take(40).collect::<String>(),
            r.name.chars().take(28).collect::<String>(),
            plain_amount(cells[0]),
            plain_amount(cells[1]),
            plain_amount(cells[2]),
            plain_amount(cells[3]),
            plain_amount(cells[4]),
            plain_amount(cells[5])
        )?;
    }
    outln!(
        console,
        "{:<w$}  {:<28}  {:>14} {:>14} {:>14} {:>14} {:>14} {:>14}",
        "total",
        "",
        plain_amount(sums[0]),
        plain_amount(sums[1]),
        plain_amount(sums[2]),
        plain_amount(sums[3]),
        plain_amount(sums[4]),
        plain_amount(sums[5])
    )?;
    Ok(ExitCode::SUCCESS)
}

/// What the ledger records of a run besides its invoices.
pub fn run_input(
    args: &crate::RunArgs,
    compiled: &billc_billing::period::Compiled,
    data: &billc_data::DataSet,
    report: &billc_billing::run::RunReport,
    started_at: String,
) -> billc_ledger::record::RunInput {
    let options = serde_json::json!({
        "contracts": args.paths.iter().map(|p| billc_billing::sources::display(&billc_billing::sources::normalize(p))).collect::<Vec<_>>(),
        "data": billc_billing::sources::display(&billc_billing::sources::normalize(&args.data)),
        "history": args.history,
        "skip_bad_sites": args.skip_bad_sites,
        "allow_missing": args.allow_missing,
    });
    billc_ledger::record::RunInput {
        period: report.output.period.to_string(),
        contracts_digest: report.output.contracts_digest.clone(),
        data_digest: report.output.data_digest.clone(),
        billc_version: env!("CARGO_PKG_VERSION").to_owned(),
        started_at,
        options: options.to_string(),
        refused: report.refused,
        contracts: compiled.plans.iter().map(|p| p.file.clone()).collect(),
        customers: data
            .customers
            .values()
            .map(|c| billc_ledger::model::Customer {
                id: c.id.clone(),
                name: c.name.clone(),
                parent: c.parent.clone(),
                credit_limit: c.credit_limit,
                payment_terms: c.payment_terms.clone(),
                billing_contacts: c.billing_contacts.clone(),
            })
            .collect(),
        site_customers: data
            .sites
            .values()
            .filter_map(|s| Some((s.site.clone(), s.customer.clone()?)))
            .collect(),
    }
}

/// The run summary's ledger line.
pub fn recorded_line(ledger: &Path, r: &billc_ledger::record::Recorded, refused: bool) -> String {
    if refused {
        return format!(
            "  ledger     run {} in {}: recorded as refused (no invoice changed)",
            r.run,
            ledger.display()
        );
    }
    let c = &r.counts;
    let mut line = format!(
        "  ledger     run {} in {}: {} new, {} unchanged, {} replaced, {} credit notes, {} withdrawn",
        r.run,
        ledger.display(),
        c.created,
        c.unchanged,
        c.replaced,
        c.credit_notes,
        c.withdrawn
    );
    for (old, new) in &r.replaced {
        match new {
            Some(n) => line.push_str(&format!("\n    {old} → {n}")),
            None => line.push_str(&format!("\n    {old} withdrawn")),
        }
    }
    for n in &r.credit_notes {
        line.push_str(&format!("\n    credit note {n}"));
    }
    line
}
