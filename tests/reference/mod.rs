//! A reference evaluator: RULES.md implemented directly over the PowerBill configuration, in plain
//! Rust, with no billc language involved. The differential test (`tests/differential.rs`) compares
//! it with imported contracts run by billc. Written from RULES.md section by section; where a rule
//! reads another line, it reads the rounded line (§3).

#![allow(dead_code, reason = "shared by test binaries that use different parts")]

use billc_lang::time::YearMonth;
use billc_powerbill::model::*;
use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::BTreeSet;

/// Input rows (the same rows are given to billc as test data).
#[derive(Clone, Debug, Default)]
pub struct Data {
    pub start: Option<NaiveDate>,
    pub revenue: Vec<Rev>,
    pub stats: Vec<Stat>,
    pub timesheets: Vec<Shift>,
    pub gl: Vec<Gl>,
}

#[derive(Clone, Debug)]
pub struct Rev {
    pub date: NaiveDate,
    pub code: String,
    pub category: String,
    pub collection: String,
    pub flag: String,
    pub ext: Decimal,
    pub net: Decimal,
    pub val: Decimal,
    pub tax_rate: Decimal,
}

#[derive(Clone, Debug)]
pub struct Stat {
    pub date: NaiveDate,
    pub category: String,
    pub value: Decimal,
}

#[derive(Clone, Debug)]
pub struct Shift {
    pub date: NaiveDate,
    pub job: String,
    /// regular, overtime, holiday, double overtime, holiday overtime, holiday double overtime
    pub minutes: [Decimal; 6],
}

#[derive(Clone, Debug)]
pub struct Gl {
    pub period: YearMonth,
    pub account: String,
    pub entity: String,
    pub balance: Decimal,
}

/// A line: group, title, amount (rounded to cents, non-zero).
pub type Line = (u32, String, Decimal);

pub fn round2(d: Decimal) -> Decimal {
    let mut r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    r
}

const BELL: [&str; 13] = [
    "Bell Service Fee",
    "Bag Drops",
    "Bell Porterage",
    "Bell Revenue",
    "Billable Tips/Gratuities",
    "Portorage",
    "Bell Gratuities",
    "Gratuities",
    "Service Charge",
    "Porterage Service Fee",
    "Gratuities/Tips",
    "Porterage",
    "Room Drops",
];

fn date10(s: &Option<String>) -> Option<NaiveDate> {
    billc_lang::time::parse_date(s.as_deref()?.get(..10)?)
}

fn pct(p: Decimal) -> Decimal {
    p / Decimal::ONE_HUNDRED
}

struct Ctx<'a> {
    c: &'a Config,
    d: &'a Data,
    groups: BTreeSet<u32>,
}

impl Ctx<'_> {
    fn group(&self, g: Whole) -> u32 {
        let g = g.0.unwrap_or(1).max(1);
        if self.groups.contains(&g) { g } else { 1 }
    }

    fn escalate(&self, amount: Decimal, start: &Option<String>, m: YearMonth) -> Decimal {
        let o = &self.c.original;
        let p = o.increment_amount.value();
        let month = o.increment_month.as_deref().and_then(billc_lang::time::month_number);
        let (Some(month), false) = (month, p.is_zero()) else {
            return amount;
        };
        let since = match (date10(&self.c.metadata.contract_effective_date), date10(start)) {
            (Some(a), Some(b)) => a.max(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => return amount,
        };
        let mut a = amount;
        let first_day = m.first_day();
        let mut y = chrono::Datelike::year(&since);
        while let Some(d) = NaiveDate::from_ymd_opt(y, month, 1) {
            if d > first_day {
                break;
            }
            if d > since {
                a = round2(a * (Decimal::ONE + pct(p)));
            }
            y += 1;
        }
        a
    }

    fn revenue(&self, m: YearMonth) -> impl Iterator<Item = &Rev> {
        self.d.revenue.iter().filter(move |r| YearMonth::of(r.date) == m)
    }

    fn window(&self, kind: Option<&str>, m: YearMonth) -> Vec<YearMonth> {
        let first = match kind.unwrap_or("Monthly") {
            "AnnualCalendar" => YearMonth { year: m.year, month: 1 },
            "AnnualAnniversary" => {
                let start = self.d.start.map_or(1, |s| YearMonth::of(s).month);
                let year = if m.month >= start { m.year } else { m.year - 1 };
                YearMonth { year, month: start }
            }
            _ => m,
        };
        first.through(m).filter(|x| *x < m).collect()
    }

    fn active(start: &Option<String>, end: &Option<String>, m: YearMonth) -> bool {
        date10(start).is_none_or(|s| s <= m.last_day()) && date10(end).is_none_or(|e| e >= m.first_day())
    }

    /// Qualifying revenue of a structure (§6).
    fn qualifying(&self, codes: &[String], m: YearMonth) -> Decimal {
        let bell = self.c.original.bell_service_fee.enabled;
        self.revenue(m)
            .filter(|r| codes.contains(&r.code) && r.flag != "V" && r.category != "Per Man Hour")
            .filter(|r| !(bell && (r.code == "OR1" || r.code == "OR2")))
            .map(|r| r.net)
            .sum()
    }

    fn agreement_revenue(&self, m: YearMonth) -> Decimal {
        self.revenue(m)
            .filter(|r| r.flag != "V" && r.category != "Per Man Hour")
            .map(|r| r.net)
            .sum()
    }

    fn gl(&self, m: YearMonth, accounts: &[String], without_06: bool) -> Decimal {
        self.d
            .gl
            .iter()
            .filter(|g| g.period == m && accounts.contains(&g.account) && !(without_06 && g.entity == "06"))
            .map(|g| g.balance)
            .sum()
    }
}

/// The tier algorithm of §6 over `prior + base`: (due, band amounts with their percentages).
pub fn tiered(
    base: Decimal,
    prior: Decimal,
    tiers: &[(Decimal, Option<Decimal>)],
) -> (Decimal, Vec<(Decimal, Decimal)>) {
    let total = prior + base;
    let mut prev = Decimal::ZERO;
    let mut due = Decimal::ZERO;
    let mut bands = Vec::new();
    for (p, limit) in tiers {
        prev = prev.max(prior);
        if let Some(l) = limit
            && prev > *l
        {
            continue;
        }
        let band = match limit {
            Some(l) if total > *l => *l - prev,
            _ => total - prev,
        };
        if band > Decimal::ZERO {
            due += band * pct(*p);
            bands.push((band, *p));
        }
        match limit {
            Some(l) => prev = *l,
            None => break,
        }
    }
    (due, bands)
}

/// A tier table as (percent, limit); `None` limit = unlimited; a limited last tier gets a 0 % tail.
pub fn tiers_of(tiers: &[Tier]) -> Vec<(Decimal, Option<Decimal>)> {
    let mut out = Vec::new();
    for t in tiers {
        if t.amount.value().is_zero() {
            out.push((t.share_percentage.value(), None));
            return out;
        }
        out.push((t.share_percentage.value(), Some(t.amount.value())));
    }
    out.push((Decimal::ZERO, None));
    out
}

/// The enabled accounts of a JSON account list.
pub fn accounts(raw: &Text) -> Vec<String> {
    raw.as_deref()
        .and_then(|r| serde_json::from_str::<Vec<Account>>(r).ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|a| a.is_enabled)
        .filter_map(|a| a.code.0)
        .collect()
}

fn title(t: &Text, default: &str) -> String {
    t.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or(default)
        .to_string()
}

/// What a line counts as for profit share (§9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Deduction,
    NonGl,
    Other,
}

/// Every line of a contract for a service month, sorted; zero lines dropped.
pub fn evaluate(c: &Config, d: &Data, m: YearMonth) -> Vec<Line> {
    let mut lines: Vec<Line> = evaluate_tagged(c, d, m).into_iter().map(|(l, _)| l).collect();
    lines.sort();
    lines
}

/// Every non-zero line with what it counts as for profit share.
fn evaluate_tagged(c: &Config, d: &Data, m: YearMonth) -> Vec<(Line, Kind)> {
    let o = &c.original;
    let mut groups = BTreeSet::new();
    if o.invoice_grouping.enabled {
        groups.extend(
            o.invoice_grouping
                .invoice_groups
                .iter()
                .filter_map(|g| g.group_number.0),
        );
    }
    groups.insert(1);
    let cx = Ctx { c, d, groups };
    let mut lines: Vec<(Line, Kind)> = Vec::new();
    let mut tagged = |g: u32, t: String, a: Decimal, k: Kind| lines.push(((g, t, round2(a)), k));

    // §5 fixed fee
    if o.fixed_fee.enabled {
        for r in &o.fixed_fee.service_rates {
            if Ctx::active(&r.start_date, &r.end_date, m) {
                let t = r
                    .display_name
                    .0
                    .clone()
                    .or_else(|| r.name.0.clone())
                    .unwrap_or_else(|| "Fixed Fee".into());
                tagged(
                    cx.group(r.invoice_group),
                    t.trim().to_string(),
                    cx.escalate(r.fee.value(), &r.start_date, m),
                    Kind::Other,
                );
            }
        }
    }
    // §5 occupied rooms
    if o.per_occupied_room.enabled {
        let rooms: Decimal = d
            .stats
            .iter()
            .filter(|s| YearMonth::of(s.date) == m && s.category == "Occupied Rooms")
            .map(|s| s.value)
            .sum();
        tagged(
            cx.group(o.per_occupied_room.invoice_group),
            "Occupied Rooms".into(),
            rooms * o.per_occupied_room.room_rate.value(),
            Kind::Other,
        );
    }
    // §5 bell
    if o.bell_service_fee.enabled {
        let b: Decimal = cx
            .revenue(m)
            .filter(|r| r.category == "Other Revenue" && BELL.contains(&r.collection.as_str()))
            .map(|r| r.net)
            .sum();
        let g = o
            .bell_service_fee
            .bell_services
            .first()
            .map(|b| b.invoice_group)
            .unwrap_or_default();
        tagged(cx.group(g), "Bell Service Fee".into(), b, Kind::Other);
    }
    // §10 deposited revenue and parking tax
    if o.deposited_revenue.enabled
        && let Some(dd) = o.deposited_revenue.deposit_data.first()
    {
        let g = cx.group(dd.invoice_group);
        let tp = dd.towne_park_responsible_for_parking_tax == Some(true);
        if tp {
            let cc: Decimal = cx
                .revenue(m)
                .filter(|r| r.flag != "Y" && r.category != "Per Man Hour" && r.category != "Other Revenue")
                .map(|r| r.net)
                .sum();
            let rate = cx
                .revenue(m)
                .find(|r| r.flag == "N" && r.category != "Per Man Hour" && r.category != "Other Revenue")
                .map_or(Decimal::ZERO, |r| r.tax_rate);
            tagged(
                g,
                "Client Collected Parking Tax due to Towne Park".into(),
                cc * rate,
                Kind::Other,
            );
        }
        if dd.deposited_revenue_enabled == Some(true) {
            let dep: Decimal = cx
                .revenue(m)
                .filter(|r| r.flag == "Y")
                .map(|r| if tp { r.net } else { r.ext })
                .sum();
            tagged(g, "Less: Towne Park Deposited Revenue".into(), -dep, Kind::Other);
        }
    }
    // §8 billable accounts and management agreement
    let ma = o
        .management_agreement
        .enabled
        .then(|| o.management_agreement.management_fees.first())
        .flatten();
    let ma_group = ma.map_or(1, |f| cx.group(f.invoice_group));
    if o.billable_accounts.enabled
        && let Some(b) = o.billable_accounts.billable_accounts_data.first()
    {
        let payroll = accounts(&b.payroll_accounts_data);
        let expenses = accounts(&b.payroll_expense_accounts_data);
        let pg = cx.group(b.payroll_accounts_invoice_group);
        let eg = cx.group(b.payroll_expense_accounts_invoice_group);
        let p = round2(cx.gl(m, &payroll, false) + b.additional_payroll_amount.value().max(Decimal::ZERO));
        tagged(
            pg,
            title(&b.payroll_accounts_line_title, "Billable Payroll"),
            p,
            Kind::Deduction,
        );
        let mut pteb = Decimal::ZERO;
        if b.payroll_taxes_enabled == Some(true) {
            pteb = round2(if b.payroll_taxes_billing_type.as_deref() == Some("Actual") {
                cx.gl(m, &["6200".into(), "6399".into(), "6500".into()], false)
            } else {
                p * pct(b.payroll_taxes_percentage.value())
            });
            tagged(pg, title(&b.payroll_taxes_line_title, "PTEB"), pteb, Kind::Deduction);
        }
        if b.payroll_support_enabled == Some(true) {
            let amt = b.payroll_support_amount.value();
            let s = match (
                b.payroll_support_billing_type.as_deref(),
                b.payroll_support_payroll_type.as_deref(),
            ) {
                (Some("Fixed"), _) => amt,
                (_, Some("Total")) => (p + pteb) * pct(amt),
                _ => p * pct(amt),
            };
            tagged(
                pg,
                title(&b.payroll_support_line_title, "Support Services"),
                s,
                Kind::Deduction,
            );
        }
        let insured_on = ma.is_some_and(|f| {
            f.insurance_enabled == Some(true) && f.insurance_type.as_deref() == Some("BasedOnBillableAccounts")
        });
        let claims_on = ma.is_some_and(|f| f.claims_enabled == Some(true));
        let ins_accounts: Vec<String> = expenses
            .iter()
            .filter(|a| ["7080", "7082", "7085"].contains(&a.as_str()))
            .cloned()
            .collect();
        let claim_accounts: Vec<String> = expenses
            .iter()
            .filter(|a| ["7099", "7100", "7101", "7102"].contains(&a.as_str()))
            .cloned()
            .collect();
        let insured = if insured_on {
            cx.gl(m, &ins_accounts, true)
        } else {
            Decimal::ZERO
        };
        let claimed = if claims_on {
            cx.gl(m, &claim_accounts, true)
        } else {
            Decimal::ZERO
        };
        let x = cx.gl(m, &expenses, true) - insured - claimed;
        tagged(
            eg,
            title(&b.payroll_expense_accounts_line_title, "Billable Expenses"),
            x,
            Kind::Deduction,
        );
        if let Some(f) = ma {
            if insured_on {
                let i = round2(insured * (Decimal::ONE + pct(f.insurance_additional_percentage.value())));
                tagged(
                    ma_group,
                    title(&f.insurance_line_title, "Insurance"),
                    i,
                    Kind::Deduction,
                );
            }
            if claims_on {
                let amount = match f.claims_type.as_deref() {
                    Some("PerClaim") => claimed,
                    kind => {
                        let ytd: Decimal = cx
                            .window(kind, m)
                            .into_iter()
                            .map(|w| cx.gl(w, &claim_accounts, true))
                            .sum();
                        let cap = f.claims_cap_amount.value();
                        if ytd + claimed <= cap {
                            claimed
                        } else {
                            (cap - ytd).max(Decimal::ZERO)
                        }
                    }
                };
                tagged(ma_group, title(&f.claims_line_title, "Claims"), amount, Kind::Deduction);
            }
        }
    }
    if let Some(f) = ma {
        let rev = cx.agreement_revenue(m);
        let fee = match f.management_agreement_type.as_deref() {
            Some("RevenuePercentage") => rev * pct(f.revenue_percentage_amount.value()),
            _ => f.fixed_fee_amount.value(),
        };
        tagged(ma_group, "Management Fee".into(), fee, Kind::Deduction);
        if f.insurance_enabled == Some(true) && f.insurance_type.as_deref() == Some("FixedFee") {
            let i = f.insurance_fixed_fee_amount.value();
            tagged(
                ma_group,
                title(&f.insurance_line_title, "Insurance"),
                i,
                Kind::Deduction,
            );
        }
        let mut non_gl = Decimal::ZERO;
        if f.non_gl_billable_expenses_enabled == Some(true) {
            for n in &f.non_gl_billable_expenses {
                let last = n
                    .finalperiodbilled
                    .as_deref()
                    .and_then(|p| YearMonth::parse(p.get(..7)?));
                if last.is_some_and(|l| m > l) {
                    continue;
                }
                let a = match n.nonglexpensetype.as_deref() {
                    Some("FixedAmount") => n.expenseamount.value(),
                    Some("Revenue") => rev * pct(n.expenseamount.value()),
                    _ => continue,
                };
                non_gl += round2(a);
                tagged(ma_group, title(&n.expensetitle, "Non-GL Expense"), a, Kind::NonGl);
            }
        }
        let _ = non_gl;
    }
    // Profit share needs the other lines of the month: computed last (§9).
    if let Some(f) = ma
        && f.profit_share_enabled == Some(true)
    {
        let due = profit_share(c, d, m, f, ma_group, &cx);
        tagged(ma_group, "Towne Park Profit Share".into(), due, Kind::Other);
    }
    // §4 per labor hour
    if o.per_labor_hour.enabled {
        for j in &o.per_labor_hour.job_rates {
            let Some(job) = j.job_code.as_deref() else { continue };
            if !Ctx::active(&j.start_date, &j.end_date, m) {
                continue;
            }
            let (mut reg_h, mut ot_h) = (Decimal::ZERO, Decimal::ZERO);
            for s in d
                .timesheets
                .iter()
                .filter(|s| YearMonth::of(s.date) == m && s.job == job)
            {
                let [r, a, b, c2, e, f2] = s.minutes;
                reg_h += round2(r / Decimal::from(60));
                ot_h += round2((a + b + c2 + e + f2) / Decimal::from(60));
            }
            let rate = cx.escalate(j.rate.value(), &j.start_date, m);
            let ot_rate = cx.escalate(j.overtime_rate.value(), &j.start_date, m);
            let (rc, oc) = (round2(rate * reg_h), round2(ot_rate * ot_h));
            let t = j
                .display_name
                .0
                .clone()
                .unwrap_or_else(|| job.to_string())
                .trim()
                .to_string();
            let g = cx.group(j.invoice_group);
            if rate == ot_rate {
                tagged(g, t, rc + oc, Kind::Other);
            } else {
                tagged(g, t.clone(), rc, Kind::Other);
                tagged(g, t, oc, Kind::Other);
            }
        }
    }
    // §5 mid-month advance
    if o.mid_month_advance.enabled
        && let Some(a) = o.mid_month_advance.mid_month_advances.first()
    {
        tagged(
            cx.group(a.invoice_group),
            "Mid-Month Advance".into(),
            -a.amount.value(),
            Kind::Other,
        );
    }
    // §6, §7 revenue share and validated parking
    if o.revenue_share.enabled {
        let structures: Vec<&ThresholdStructure> = o
            .revenue_share
            .threshold_structures
            .iter()
            .filter(|s| !s.tiers.is_empty() && increasing(&s.tiers))
            .collect();
        if let Some(first) = structures.first() {
            let mut due = Decimal::ZERO;
            let mut banded = Decimal::ZERO;
            let mut first_bands = Vec::new();
            for (k, s) in structures.iter().enumerate() {
                let tiers = tiers_of(&s.tiers);
                let base = cx.qualifying(&s.revenue_codes, m);
                let prior: Decimal = cx
                    .window(s.accumulation_type.as_deref(), m)
                    .into_iter()
                    .map(|w| cx.qualifying(&s.revenue_codes, w))
                    .sum();
                let (d_s, bands) = tiered(base, prior, &tiers);
                due += d_s;
                banded += bands.iter().map(|b| b.0).sum::<Decimal>();
                if k == 0 {
                    first_bands = bands;
                }
            }
            let g = cx.group(first.invoice_group);
            tagged(g, "Towne Park Fees for Services".into(), due, Kind::Other);
            let v: Decimal = cx.revenue(m).filter(|r| r.flag == "V").map(|r| r.val).sum();
            let a = first.validation_threshold_amount.value();
            let e = match first.validation_threshold_type.as_deref() {
                Some("VehicleCount") => Some(v),
                Some("RevenuePercentage") => Some((v - banded * pct(a)).max(Decimal::ZERO)),
                Some("ValidationAmount") => Some((v - a).max(Decimal::ZERO)),
                _ => None,
            };
            if let Some(e) = e {
                let r1: Decimal = first_bands.iter().map(|b| b.0).sum();
                let fee = if r1.is_zero() {
                    e * pct(tiers_of(&first.tiers).first().map_or(Decimal::ZERO, |t| t.0))
                } else {
                    e * first_bands.iter().map(|(b, p)| p * b).sum::<Decimal>() / (Decimal::ONE_HUNDRED * r1)
                };
                tagged(g, "Towne Park Fees for Validated Parking".into(), fee, Kind::Other);
            }
        }
    }
    lines.retain(|(l, _)| !l.2.is_zero());
    lines
}

fn increasing(tiers: &[Tier]) -> bool {
    let mut prev = Decimal::ZERO;
    for t in tiers {
        if t.amount.value().is_zero() {
            return true;
        }
        if t.amount.value() <= prev {
            return false;
        }
        prev = t.amount.value();
    }
    true
}

/// §9: the month's profit share, with the profits of the earlier months of the window.
fn profit_share(c: &Config, d: &Data, m: YearMonth, f: &ManagementFee, group: u32, cx: &Ctx<'_>) -> Decimal {
    let monthly = |w: YearMonth| -> Decimal {
        let rev = cx.agreement_revenue(w);
        let lines = evaluate_without_profit(c, d, w);
        let sum_of = |kind: Kind| -> Decimal {
            lines
                .iter()
                .filter(|((g, _, _), k)| *g == group && *k == kind)
                .map(|((_, _, a), _)| *a)
                .sum()
        };
        let (deductions, non_gl) = (sum_of(Kind::Deduction), sum_of(Kind::NonGl));
        let vx = if f.validation_threshold_enabled == Some(true) {
            let v: Decimal = cx
                .revenue(w)
                .filter(|r| r.flag == "V" && r.category != "Per Man Hour")
                .map(|r| r.val)
                .sum();
            let a = f.validation_threshold_amount.value();
            match f.validation_threshold_type.as_deref() {
                Some("VehicleCount") => v,
                Some("RevenuePercentage") => (v - rev * pct(a)).max(Decimal::ZERO),
                Some("ValidationAmount") => (v - a).max(Decimal::ZERO),
                _ => Decimal::ZERO,
            }
        } else {
            Decimal::ZERO
        };
        rev + vx - deductions - non_gl
    };
    let prior: Decimal = cx
        .window(f.profit_share_accumulation_type.as_deref(), m)
        .into_iter()
        .map(monthly)
        .sum();
    let tiers = if f.profit_share_tier_data.is_empty() {
        vec![(Decimal::ZERO, None)]
    } else {
        tiers_of(&f.profit_share_tier_data)
    };
    tiered(monthly(m), prior, &tiers).0
}

fn evaluate_without_profit(c: &Config, d: &Data, m: YearMonth) -> Vec<(Line, Kind)> {
    let mut c2 = c.clone();
    for f in &mut c2.original.management_agreement.management_fees {
        f.profit_share_enabled = Some(false);
    }
    evaluate_tagged(&c2, d, m)
}
