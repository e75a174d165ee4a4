//! The differential test of the PowerBill importer: every fixture configuration is imported, and the
//! contract billc compiles is run on generated months of data (three seeds, 12 consecutive months so
//! that calendar-year and anniversary windows and the annual increments fire); an independent
//! reference evaluator (`tests/reference/`, RULES.md in plain Rust over the JSON) runs on the same
//! rows. Both must produce the same lines to the cent.

mod reference;

use billc_lang::session::Session;
use billc_lang::testdata::MemData;
use billc_lang::time::YearMonth;
use billc_lang::ty::Currency;
use billc_lang::value::Value;
use billc_powerbill::model::Config;
use chrono::NaiveDate;
use reference::{Data, Gl, Rev, Shift, Stat};
use rust_decimal::Decimal;
use std::path::Path;
use std::sync::Arc;

/// The generator's own deterministic random numbers, with the two shapes this test needs.
struct Rng(billc_data::generate::SplitMix);

impl Rng {
    fn cents(&mut self, lo: i64, hi: i64) -> Decimal {
        Decimal::new(self.0.range(lo as u64, hi as u64 - 1) as i64, 2)
    }
    fn pick(&mut self, n: usize) -> usize {
        self.0.range(0, n as u64 - 1) as usize
    }
}

/// Months of realistic rows for the codes, jobs and accounts the configuration uses.
#[expect(clippy::unwrap_used, reason = "test data generation")]
fn generate(c: &Config, seed: u64, months: &[YearMonth]) -> Data {
    let mut r = Rng(billc_data::generate::SplitMix(
        seed.wrapping_mul(7919) ^ u64::from(c.metadata.site_number.parse::<u32>().unwrap_or(0)),
    ));
    let o = &c.original;
    let mut codes: Vec<String> = o
        .revenue_share
        .threshold_structures
        .iter()
        .flat_map(|s| s.revenue_codes.iter().cloned())
        .collect();
    codes.extend(["PK".to_string(), "OR1".to_string()]);
    codes.sort();
    codes.dedup();
    let jobs: Vec<String> = o
        .per_labor_hour
        .job_rates
        .iter()
        .filter_map(|j| j.job_code.0.clone())
        .collect();
    let mut accounts: Vec<String> = ["6200", "6399", "6500", "7080", "7082", "7099", "7100"]
        .map(String::from)
        .to_vec();
    for b in &o.billable_accounts.billable_accounts_data {
        accounts.extend(reference::accounts(&b.payroll_accounts_data).into_iter().take(6));
        accounts.extend(
            reference::accounts(&b.payroll_expense_accounts_data)
                .into_iter()
                .take(10),
        );
    }
    accounts.sort();
    accounts.dedup();
    let start = NaiveDate::from_ymd_opt(2018 + r.pick(6) as i32, 1 + r.pick(12) as u32, 1 + r.pick(28) as u32).unwrap();
    let mut d = Data {
        start: Some(start),
        ..Data::default()
    };
    for m in months {
        for day in [3u32, 11, 19, 27] {
            let date = NaiveDate::from_ymd_opt(m.year, m.month, day).unwrap();
            for code in &codes {
                let bell = code == "OR1" || code == "OR2";
                let (category, collection) = if bell {
                    ("Other Revenue", ["Bell Service Fee", "Gratuities", "Valet"][r.pick(3)])
                } else if r.pick(10) == 0 {
                    ("Per Man Hour", "Transient")
                } else {
                    ("Parking", "Transient")
                };
                let flag = ["Y", "Y", "N"][r.pick(3)];
                let ext = r.cents(50_000, 4_000_000);
                d.revenue.push(Rev {
                    date,
                    code: code.clone(),
                    category: category.into(),
                    collection: collection.into(),
                    flag: flag.into(),
                    ext,
                    net: ext * Decimal::new(92, 2),
                    val: Decimal::ZERO,
                    tax_rate: Decimal::new(75, 3),
                });
            }
            d.revenue.push(Rev {
                date,
                code: "VAL".into(),
                category: "Parking".into(),
                collection: "Validation".into(),
                flag: "V".into(),
                ext: Decimal::ZERO,
                net: Decimal::ZERO,
                val: r.cents(10_000, 900_000),
                tax_rate: Decimal::new(75, 3),
            });
            d.stats.push(Stat {
                date,
                category: "Occupied Rooms".into(),
                value: Decimal::from(40 + r.pick(300)),
            });
            for job in &jobs {
                for _ in 0..2 {
                    let mut minutes = [Decimal::ZERO; 6];
                    minutes[0] = Decimal::from(200 + r.pick(300));
                    if r.pick(3) == 0 {
                        minutes[1] = Decimal::from(10 + r.pick(120));
                    }
                    if r.pick(8) == 0 {
                        minutes[2] = Decimal::from(r.pick(480));
                    }
                    d.timesheets.push(Shift {
                        date,
                        job: job.clone(),
                        minutes,
                    });
                }
            }
        }
        for a in &accounts {
            for entity in ["01", "06"] {
                if entity == "06" && r.pick(4) != 0 {
                    continue;
                }
                d.gl.push(Gl {
                    period: *m,
                    account: a.clone(),
                    entity: entity.into(),
                    balance: r.cents(0, 2_500_000),
                });
            }
        }
    }
    d
}

fn text(s: &str) -> Value {
    Value::Text(Arc::from(s))
}

fn usd(d: Decimal) -> Value {
    Value::Money(d, Currency::USD)
}

/// The same rows as billc test data.
#[expect(clippy::unwrap_used, reason = "test data")]
fn mem(site: &str, d: &Data) -> MemData {
    let mut m = MemData::default();
    let f = |pairs: Vec<(&str, Value)>| pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<Vec<_>>();
    if let Some(s) = d.start {
        m.push("sites", site, &f(vec![("start_date", Value::Date(s))])).unwrap();
    }
    for r in &d.revenue {
        m.push(
            "revenue",
            site,
            &f(vec![
                ("date", Value::Date(r.date)),
                ("revenue_code", text(&r.code)),
                ("category", text(&r.category)),
                ("collection_type", text(&r.collection)),
                ("deposit_flag", text(&r.flag)),
                ("tax_rate", Value::Number(r.tax_rate)),
                ("external_revenue", usd(r.ext)),
                ("net_external_revenue", usd(r.net)),
                ("billable_net_validation", usd(r.val)),
            ]),
        )
        .unwrap();
    }
    for s in &d.stats {
        m.push(
            "statistics",
            site,
            &f(vec![
                ("date", Value::Date(s.date)),
                ("category", text(&s.category)),
                ("value", Value::Number(s.value)),
            ]),
        )
        .unwrap();
    }
    let names = [
        "regular_minutes",
        "overtime_minutes",
        "holiday_minutes",
        "double_overtime_minutes",
        "holiday_overtime_minutes",
        "holiday_double_overtime_minutes",
    ];
    for s in &d.timesheets {
        let mut fields = vec![("date", Value::Date(s.date)), ("job_code", text(&s.job))];
        for (n, v) in names.iter().zip(s.minutes) {
            fields.push((n, Value::Number(v)));
        }
        m.push("timesheets", site, &f(fields)).unwrap();
    }
    for g in &d.gl {
        m.push(
            "gl",
            site,
            &f(vec![
                ("period", Value::Month(g.period)),
                ("account", text(&g.account)),
                ("entity", text(&g.entity)),
                ("balance", usd(g.balance)),
            ]),
        )
        .unwrap();
    }
    m
}

/// Imports every configuration of `dir`, runs billc and the reference evaluator on generated months
/// for each seed, and returns (contract-months compared, line counts by title, mismatches).
#[expect(clippy::unwrap_used, reason = "test helper")]
fn compare(dir: &Path, seeds: u64) -> (usize, std::collections::BTreeMap<String, usize>, Vec<String>) {
    let mut files = Vec::new();
    billc_billing::sources::collect(dir, "json", &mut files).unwrap();
    let first = YearMonth::parse("2024-01").unwrap();
    let months: Vec<YearMonth> = first.through(YearMonth::parse("2026-02").unwrap()).collect();
    let compared: Vec<YearMonth> = YearMonth::parse("2025-03")
        .unwrap()
        .through(YearMonth::parse("2026-02").unwrap())
        .collect();
    let mut mismatches = Vec::new();
    let mut checked = 0;
    let mut titles = std::collections::BTreeMap::new();
    for path in &files {
        let json = std::fs::read_to_string(path).unwrap();
        let config: Config = serde_json::from_str(&json).unwrap();
        let imported = billc_powerbill::import("fixture.json", &json).unwrap();
        let mut session = Session::default();
        let f = session.add_file("imported.bill", &imported.text);
        let plans = session.plans(&[f]);
        let plan = &plans[0];
        for seed in 1..=seeds {
            let data = generate(&config, seed, &months);
            let mem = mem(&plan.site, &data);
            for m in &compared {
                let want = reference::evaluate(&config, &data, *m);
                let got = match billc_lang::eval::run_contract(plan, &mem, *m) {
                    Ok(run) => {
                        let mut lines: Vec<reference::Line> = run
                            .lines
                            .iter()
                            .map(|l| (l.group, l.line.title.clone(), l.line.amount))
                            .collect();
                        lines.sort();
                        lines
                    }
                    Err(e) => {
                        mismatches.push(format!(
                            "{} {m} seed {seed}: billc failed: {}",
                            path.display(),
                            e.kind.describe()
                        ));
                        continue;
                    }
                };
                checked += 1;
                for l in &got {
                    *titles.entry(l.1.clone()).or_insert(0usize) += 1;
                }
                if got != want {
                    mismatches.push(format!(
                        "{} {m} seed {seed}:\n  billc     {got:?}\n  reference {want:?}",
                        path.display()
                    ));
                }
            }
        }
    }
    assert_eq!(
        checked + mismatches.iter().filter(|m| m.contains("billc failed")).count(),
        files.len() * seeds as usize * 12
    );
    (checked, titles, mismatches)
}

#[test]
fn imported_contracts_agree_with_the_reference_evaluator() {
    let (checked, titles, mismatches) = compare(Path::new("tests/fixtures/powerbill"), 3);
    assert_eq!(checked, 64 * 3 * 12);
    assert!(
        mismatches.is_empty(),
        "{} of {checked} months differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    // Not vacuous: every kind of line was produced, many times.
    for t in [
        "Towne Park Fees for Services",
        "Towne Park Fees for Validated Parking",
        "Towne Park Profit Share",
        "Management Fee",
        "PTEB",
        "Insurance",
        "Less: Towne Park Deposited Revenue",
        "Client Collected Parking Tax due to Towne Park",
        "Mid-Month Advance",
        "Occupied Rooms",
        "Bell Service Fee",
    ] {
        assert!(titles.get(t).copied().unwrap_or(0) >= 3, "{t}: {titles:?}");
    }
}

/// CI has ../shared beside the checkout: all 516 real configurations, one seed, 12 months.
#[test]
fn all_516_configurations_run_on_generated_data_and_agree() {
    let dir = Path::new("../shared/powerbill/contracts");
    if !dir.is_dir() {
        eprintln!("skipped: {} is not here", dir.display());
        return;
    }
    let (checked, _, mismatches) = compare(dir, 1);
    assert!(
        mismatches.is_empty(),
        "{} of {checked} months differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert_eq!(checked, 516 * 12);
}
