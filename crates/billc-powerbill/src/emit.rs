//! Writes one PowerBill configuration as a `.bill` contract: the mapping from each configuration
//! field to a stdlib component argument lives here, in one place (RULES.md section by section).

use super::Warning;
use super::model::*;
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Builds the contract text and collects warnings.
pub struct Emitter<'c> {
    source: &'c str,
    c: &'c Config,
    out: String,
    warnings: Vec<Warning>,
    /// Invoice groups the contract declares (1 when grouping is off).
    groups: BTreeSet<u32>,
}

/// The gl code of a labor service name (RULES.md §4); `None` for names without one.
pub fn service_gl(name: &str) -> Option<&'static str> {
    Some(match name {
        "Valet Services" => "4700",
        "Shuttle Services" => "4705",
        "Concierge" => "4710",
        "Parking Management" => "4715",
        "Bell" => "4725",
        "Greeter" => "4750",
        "Patient Transport" => "4775",
        "General Revenue" => "4790",
        _ => return None,
    })
}

/// Text as a billc string literal: quotes, backslashes and braces escaped, line breaks as spaces.
pub fn text(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '{' => out.push_str("{{"),
            '}' => out.push_str("}}"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `$30,831.05`, `-$12,000` (the number's own decimals, thousands grouped).
pub fn money(d: Decimal) -> String {
    let d = d.normalize();
    let sign = if d.is_sign_negative() && !d.is_zero() { "-" } else { "" };
    let abs = d.abs().to_string();
    let (int, frac) = abs.split_once('.').map_or((abs.as_str(), None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let frac = match frac {
        Some(f) if f.len() == 1 => format!(".{f}0"),
        Some(f) => format!(".{f}"),
        None => String::new(),
    };
    format!("{sign}${grouped}{frac}")
}

/// `20%`, `8.75%` from a percentage in points.
pub fn percent(points: Decimal) -> String {
    format!("{}%", points.normalize())
}

/// `2025-03-03` from `2025-03-03T20:22:07`, if it is a date.
fn date(s: &Option<String>) -> Option<String> {
    let d = s.as_deref()?.get(..10)?;
    billc_lang::time::parse_date(d).map(|_| d.to_string())
}

/// Adds `<key> "text"` when the text is not empty.
fn push_text(args: &mut Vec<String>, key: &str, value: &Option<String>) {
    if let Some(t) = value.as_deref().filter(|t| !t.trim().is_empty()) {
        args.push(format!("{key} {}", text(t.trim())));
    }
}

/// The description of a mid-month advance line in words. PowerBill's `lineTitle` holds one of two
/// codes (RULES.md §5), which the customer would otherwise read on the invoice: `MidMonthBilling`
/// is what the stdlib's default says ("Mid-month billing advance"), so it is left out; `PreBill` is
/// written "Pre-billed advance". Any other text is the contract's own and is kept.
fn advance_description(line_title: &Option<String>) -> Option<String> {
    match line_title.as_deref().map(str::trim) {
        Some("MidMonthBilling") => None,
        Some("PreBill") => Some("Pre-billed advance".into()),
        other => other.map(str::to_string),
    }
}

/// Adds `group N` (the helper gives " group N" or nothing).
fn push_group(args: &mut Vec<String>, group: &str) {
    if !group.is_empty() {
        args.push(group.trim_start().to_string());
    }
}

/// Adds `from` / `until` for a dated row.
fn push_dates(args: &mut Vec<String>, start: &Option<String>, end: &Option<String>) {
    if let Some(d) = date(start) {
        args.push(format!("from {d}"));
    }
    if let Some(d) = date(end) {
        args.push(format!("until {d}"));
    }
}

fn window(kind: Option<&str>) -> Result<&'static str, String> {
    match kind.unwrap_or("Monthly") {
        "Monthly" | "" => Ok("monthly"),
        "AnnualCalendar" => Ok("calendar_year"),
        "AnnualAnniversary" => Ok("anniversary"),
        other => Err(other.to_string()),
    }
}

impl<'c> Emitter<'c> {
    pub fn new(source: &'c str, c: &'c Config) -> Emitter<'c> {
        Emitter {
            source,
            c,
            out: String::new(),
            warnings: Vec::new(),
            groups: BTreeSet::new(),
        }
    }

    pub fn into_warnings(self) -> Vec<Warning> {
        self.warnings
    }

    fn warn(&mut self, path: impl Into<String>, kind: &'static str, message: impl Into<String>) {
        self.warnings.push(Warning {
            file: self.source.to_string(),
            path: path.into(),
            kind,
            message: message.into(),
        });
    }

    fn line(&mut self, indent: usize, s: &str) {
        for _ in 0..indent {
            self.out.push_str("    ");
        }
        self.out.push_str(s);
        self.out.push('\n');
    }

    /// A component block: on one line when short, else one argument per line with aligned names.
    fn component(&mut self, name: &str, args: &[String]) {
        let one = format!("{name} {{ {} }}", args.join(" "));
        if args.is_empty() {
            self.line(1, &format!("{name} {{ }}"));
        } else if one.len() <= 100 && !one.contains('[') {
            self.line(1, &one);
        } else {
            let width = args
                .iter()
                .filter_map(|a| a.split_once(' '))
                .map(|(k, _)| k.len())
                .max()
                .unwrap_or(0);
            self.line(1, &format!("{name} {{"));
            for a in args {
                let line = match a.split_once(' ') {
                    Some((k, v)) => format!("{k:<width$} {}", v.trim_start()),
                    None => a.clone(),
                };
                self.line(2, &line);
            }
            self.line(1, "}");
        }
    }

    /// Adds `<key> N` for an invoice group other than 1.
    fn group_arg(&mut self, args: &mut Vec<String>, key: &str, g: Whole, path: &str) {
        let group = self.group(g, path);
        if let Some(n) = group.strip_prefix(" group ") {
            args.push(format!("{key} {n}"));
        }
    }

    /// ` group N` for a component's invoice group (nothing for group 1), checked against the
    /// contract's groups.
    fn group(&mut self, g: Whole, path: &str) -> String {
        let g = g.0.unwrap_or(1).max(1);
        if !self.c.original.invoice_grouping.enabled {
            if g != 1 {
                self.warn(
                    path,
                    "group_without_grouping",
                    format!("invoice group {g} while invoice grouping is off: billed on the one invoice (group 1)"),
                );
            }
            return String::new();
        }
        if !self.groups.contains(&g) {
            self.warn(
                path,
                "undeclared_group",
                format!("invoice group {g} is not among the contract's invoice groups: billed on group 1"),
            );
            return String::new();
        }
        if g == 1 { String::new() } else { format!(" group {g}") }
    }

    /// The annual increment of a fixed fee or labor rate (RULES.md §2), or the amount as is.
    fn escalated(&self, amount: String, start: &Option<String>) -> String {
        let o = &self.c.original;
        let pct = o.increment_amount.unwrap_or_default();
        let Some(month) = o.increment_month.as_deref().map(str::to_ascii_lowercase) else {
            return amount;
        };
        if pct.is_zero() || billc_lang::time::month_number(&month).is_none() {
            return amount;
        }
        let exported = self.c.metadata.contract_effective_date.clone();
        let since = match (date(&exported), date(start)) {
            (Some(a), Some(b)) => a.max(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => return amount,
        };
        format!(
            "escalate({amount}, by: {}, every: {month}, since: {since})",
            percent(pct)
        )
    }

    /// The whole contract.
    pub fn contract(&mut self) -> String {
        let c = self.c;
        let m = &c.metadata;
        let o = &c.original;
        let site = m.site_number.trim().to_string();
        let _ = writeln!(
            self.out,
            "// {} — imported from PowerBill ({}).",
            m.customer_name.trim(),
            self.source.rsplit('/').next().unwrap_or(self.source)
        );
        if let Some(t) = m.contract_type.as_deref().filter(|t| !t.is_empty()) {
            let _ = writeln!(self.out, "// Contract type: {t}.");
        }
        self.notes();
        self.out.push_str("use towne_park\n\n");
        let _ = writeln!(self.out, "contract {} {{", text(&site));
        self.line(1, &format!("customer  {}", text(m.customer_name.trim())));
        let billing = match o.billing_type.as_deref() {
            Some("Advanced") => "advanced",
            Some("Arrears") | None => "arrears",
            Some(other) => {
                self.warn(
                    "original.billingType",
                    "unknown_value",
                    format!("billing type `{other}` is neither Arrears nor Advanced: imported as arrears"),
                );
                "arrears"
            }
        };
        self.line(1, &format!("billing   {billing}"));
        let terms = o
            .payment_terms
            .0
            .clone()
            .or_else(|| m.payment_terms.0.clone())
            .filter(|t| !t.trim().is_empty());
        if let Some(t) = terms {
            if billc_lang::terms::Terms::parse(&t).is_err() {
                self.warn(
                    "original.paymentTerms",
                    "unreadable_terms",
                    format!("payment terms `{t}` give no due date"),
                );
            }
            self.line(1, &format!("terms     {}", text(t.trim())));
        }
        if let Some(d) = date(&m.contract_effective_date) {
            self.line(1, &format!("effective {d}"));
        }
        let (pct, amt) = (
            o.deviation_percentage.unwrap_or_default(),
            o.deviation_amount.unwrap_or_default(),
        );
        if pct.is_zero() && amt.is_zero() {
            self.line(1, "review    always");
        } else {
            self.line(1, &format!("review    over {} and {}", percent(pct), money(amt)));
        }
        if let Some(po) = o.purchase_order.as_deref().filter(|p| !p.trim().is_empty()) {
            self.line(1, &format!("// Purchase order: {}", po.trim()));
        }
        if o.consumer_price_index == Some(true) {
            self.warn(
                "original.consumerPriceIndex",
                "cpi_not_exported",
                "CPI escalation is set but its terms are not in the export: the increment amount is used",
            );
        }
        self.invoice_groups();
        self.fixed_fees();
        self.occupied_rooms();
        self.bell();
        self.deposited();
        self.billable_and_agreement();
        self.advance();
        self.labor();
        self.revenue_share();
        self.out.push_str("}\n");
        std::mem::take(&mut self.out)
    }

    fn notes(&mut self) {
        let c = self.c;
        let mut notes: Vec<(&str, &str)> = Vec::new();
        if let Some(n) = c.metadata.notes.as_deref().filter(|n| !n.trim().is_empty()) {
            notes.push(("metadata.notes", n));
        }
        if let Some(n) = c.original.notes.as_deref().filter(|n| !n.trim().is_empty())
            && notes.iter().all(|(_, m)| m.trim() != n.trim())
        {
            notes.push(("original.notes", n));
        }
        for (path, n) in notes {
            self.out
                .push_str("//\n// Notes — billed by hand in PowerBill, NOT imported; write them as rules:\n");
            for l in n.lines() {
                let _ = writeln!(self.out, "//   {}", l.trim_end());
            }
            self.warn(
                path,
                "notes_not_imported",
                "the contract's notes may state terms the configuration cannot express; review them",
            );
        }
        self.out.push('\n');
    }

    fn invoice_groups(&mut self) {
        let grouping = &self.c.original.invoice_grouping;
        if !grouping.enabled {
            self.groups.insert(1);
            return;
        }
        self.out.push('\n');
        for (i, g) in grouping.invoice_groups.iter().enumerate() {
            let path = format!("original.invoiceGrouping.invoiceGroups[{i}]");
            let Some(n) = g.group_number.filter(|n| *n >= 1) else {
                self.warn(
                    &path,
                    "bad_group",
                    "an invoice group without a group number: not imported",
                );
                continue;
            };
            if !self.groups.insert(n) {
                self.warn(
                    &path,
                    "duplicate_group",
                    format!("invoice group {n} is declared twice: the second is not imported"),
                );
                continue;
            }
            let title = g.title.0.clone().unwrap_or_default();
            let mut props = Vec::new();
            if let Some(d) = g.description.as_deref().filter(|d| !d.trim().is_empty()) {
                props.push(format!("description {}", text(d.trim())));
            }
            if let Some(s) = g.site_number.as_deref().filter(|s| !s.trim().is_empty()) {
                props.push(format!("site {}", text(s.trim())));
            }
            if let Some(s) = g.customer_name.as_deref().filter(|s| !s.trim().is_empty()) {
                props.push(format!("customer {}", text(s.trim())));
            }
            if let Some(s) = g.vendor_id.as_deref().filter(|s| !s.trim().is_empty()) {
                props.push(format!("vendor {}", text(s.trim())));
            }
            let body = if props.is_empty() {
                String::new()
            } else {
                format!(" {{ {} }}", props.join(" "))
            };
            self.line(1, &format!("group {n} {}{body}", text(title.trim())));
        }
        if self.groups.is_empty() {
            self.warn(
                "original.invoiceGrouping",
                "bad_group",
                "invoice grouping is on but declares no group: one invoice (group 1)",
            );
            self.groups.insert(1);
            self.line(1, "group 1 \"Invoice\"");
        }
    }

    fn fixed_fees(&mut self) {
        let ff = &self.c.original.fixed_fee;
        if !ff.enabled {
            return;
        }
        for (i, r) in ff.service_rates.iter().enumerate() {
            let path = format!("original.fixedFee.serviceRates[{i}]");
            let title = r
                .display_name
                .0
                .clone()
                .or_else(|| r.name.0.clone())
                .unwrap_or_else(|| "Fixed Fee".into());
            if r.fee.value().is_zero() {
                self.warn(&path, "zero_amount", "a fixed fee of $0 (it bills nothing)");
            }
            let group = self.group(r.invoice_group, &format!("{path}.invoiceGroup"));
            let gl = r
                .code
                .0
                .clone()
                .filter(|c| !c.trim().is_empty())
                .unwrap_or_else(|| "4790".into());
            let amount = self.escalated(money(r.fee.value()), &r.start_date);
            let mut args = vec![
                format!("title {}", text(title.trim())),
                format!("amount {amount}"),
                format!("gl {}", text(gl.trim())),
            ];
            push_group(&mut args, &group);
            push_dates(&mut args, &r.start_date, &r.end_date);
            self.component("fixed_fee", &args);
        }
    }

    fn occupied_rooms(&mut self) {
        let r = &self.c.original.per_occupied_room;
        if !r.enabled {
            return;
        }
        if r.room_rate.value().is_zero() {
            self.warn("original.perOccupiedRoom.roomRate", "zero_amount", "a room rate of $0");
        }
        let group = self.group(r.invoice_group, "original.perOccupiedRoom.invoiceGroup");
        let mut args = vec![format!("rate {}/room", money(r.room_rate.value()))];
        push_group(&mut args, &group);
        self.component("occupied_rooms", &args);
    }

    fn bell(&mut self) {
        let b = &self.c.original.bell_service_fee;
        if !b.enabled {
            return;
        }
        let g = b.bell_services.first().map(|x| x.invoice_group).unwrap_or_default();
        let group = self.group(g, "original.bellServiceFee.bellServices[0].invoiceGroup");
        let mut args = Vec::new();
        push_group(&mut args, &group);
        self.component("bell_service", &args);
    }

    fn deposited(&mut self) {
        let d = &self.c.original.deposited_revenue;
        if !d.enabled {
            return;
        }
        let Some(first) = d.deposit_data.first() else {
            self.warn(
                "original.depositedRevenue",
                "empty_component",
                "deposited revenue is on but has no data: not imported",
            );
            return;
        };
        let deposited = first.deposited_revenue_enabled.unwrap_or(false);
        let tax = first.towne_park_responsible_for_parking_tax.unwrap_or(false);
        if !deposited && !tax {
            self.warn(
                "original.depositedRevenue.depositData[0]",
                "empty_component",
                "deposited revenue is on but neither the deposit credit nor the parking tax is: nothing to bill",
            );
            return;
        }
        let group = self.group(
            first.invoice_group,
            "original.depositedRevenue.depositData[0].invoiceGroup",
        );
        let mut args = vec![format!("deposited {deposited}"), format!("parking_tax {tax}")];
        push_group(&mut args, &group);
        self.component("deposited_revenue", &args);
    }

    fn accounts(&mut self, raw: &Option<String>, path: &str) -> Vec<String> {
        let Some(raw) = raw.as_deref().filter(|r| !r.trim().is_empty()) else {
            return Vec::new();
        };
        match serde_json::from_str::<Vec<Account>>(raw) {
            Ok(list) => list
                .into_iter()
                .filter(|a| a.is_enabled)
                .filter_map(|a| a.code.0)
                .collect(),
            Err(e) => {
                self.warn(
                    path,
                    "bad_accounts",
                    format!("the account list is not readable ({e}): no accounts imported"),
                );
                Vec::new()
            }
        }
    }

    fn billable_and_agreement(&mut self) {
        let o = &self.c.original;
        let ma = o
            .management_agreement
            .enabled
            .then(|| o.management_agreement.management_fees.first())
            .flatten();
        let ba = o
            .billable_accounts
            .enabled
            .then(|| o.billable_accounts.billable_accounts_data.first())
            .flatten();
        let ma_group = ma.map(|m| m.invoice_group).unwrap_or_default();
        if let Some(b) = ba {
            let base = "original.billableAccounts.billableAccountsData[0]";
            let payroll = self.accounts(&b.payroll_accounts_data, &format!("{base}.payrollAccountsData"));
            let expenses = self.accounts(
                &b.payroll_expense_accounts_data,
                &format!("{base}.payrollExpenseAccountsData"),
            );
            let list = |v: &[String]| format!("[{}]", v.iter().map(|c| text(c)).collect::<Vec<_>>().join(", "));
            let mut args = vec![
                format!("payroll {}", list(&payroll)),
                format!("expenses {}", list(&expenses)),
            ];
            push_text(&mut args, "payroll_title", &b.payroll_accounts_line_title);
            self.group_arg(
                &mut args,
                "payroll_group",
                b.payroll_accounts_invoice_group,
                &format!("{base}.payrollAccountsInvoiceGroup"),
            );
            if let Some(a) = b.additional_payroll_amount.filter(|a| !a.is_zero()) {
                args.push(format!("additional_payroll {}", money(a)));
            }
            if b.payroll_taxes_enabled == Some(true) {
                match b.payroll_taxes_billing_type.as_deref() {
                    Some("Actual") => {
                        args.push("pteb_actual true".into());
                        if b.payroll_taxes_percentage.is_some_and(|p| !p.is_zero()) {
                            self.warn(
                                format!("{base}.payrollTaxesPercentage"),
                                "pteb_percent_with_actual",
                                "a PTEB percentage with billing type Actual: the percentage is not used",
                            );
                        }
                    }
                    _ => {
                        let p = b.payroll_taxes_percentage.unwrap_or_default();
                        self.check_percent(p, &format!("{base}.payrollTaxesPercentage"));
                        args.push(format!("pteb {}", percent(p)));
                    }
                }
                push_text(&mut args, "pteb_title", &b.payroll_taxes_line_title);
            }
            if b.payroll_support_enabled == Some(true) {
                let amount = b.payroll_support_amount.unwrap_or_default();
                match b.payroll_support_billing_type.as_deref() {
                    Some("Fixed") => args.push(format!("support_fixed {}", money(amount))),
                    _ => {
                        self.check_percent(amount, &format!("{base}.payrollSupportAmount"));
                        args.push(format!("support_percent {}", percent(amount)));
                        if b.payroll_support_payroll_type.as_deref() == Some("Total") {
                            args.push("support_of_total true".into());
                        }
                    }
                }
                push_text(&mut args, "support_title", &b.payroll_support_line_title);
            }
            push_text(&mut args, "expenses_title", &b.payroll_expense_accounts_line_title);
            self.group_arg(
                &mut args,
                "expenses_group",
                b.payroll_expense_accounts_invoice_group,
                &format!("{base}.payrollExpenseAccountsInvoiceGroup"),
            );
            if let Some(m) = ma {
                let mbase = "original.managementAgreement.ManagementFees[0]";
                if m.insurance_enabled == Some(true) && m.insurance_type.as_deref() == Some("BasedOnBillableAccounts") {
                    args.push("insurance true".into());
                    if let Some(p) = m.insurance_additional_percentage.filter(|p| !p.is_zero()) {
                        args.push(format!("insurance_markup {}", percent(p)));
                    }
                    push_text(&mut args, "insurance_title", &m.insurance_line_title);
                }
                if m.claims_enabled == Some(true) {
                    args.push("claims true".into());
                    match m.claims_type.as_deref() {
                        Some("PerClaim") => {}
                        kind => match window(kind) {
                            Ok(w) => {
                                args.push("claims_per_claim false".into());
                                args.push(format!("claims_window {w}"));
                                args.push(format!("claims_cap {}", money(m.claims_cap_amount.unwrap_or_default())));
                            }
                            Err(k) => self.warn(
                                format!("{mbase}.claimsType"),
                                "unknown_value",
                                format!("claims type `{k}` is unknown: claims billed per claim, without a cap"),
                            ),
                        },
                    }
                    push_text(&mut args, "claims_title", &m.claims_line_title);
                }
                self.group_arg(&mut args, "agreement_group", ma_group, &format!("{mbase}.invoiceGroup"));
            }
            self.component("billable_accounts", &args);
        }
        if let Some(m) = ma {
            self.agreement(m, ba.is_some());
        }
    }

    fn check_percent(&mut self, p: Decimal, path: &str) {
        // The checker's rule (W0502), on a percentage in points.
        if billc_lang::lint::share_out_of_range(p / Decimal::ONE_HUNDRED) {
            self.warn(
                path,
                "share_over_100",
                format!("a percentage of {}, outside 0–100 %", percent(p)),
            );
        }
    }

    fn agreement(&mut self, m: &ManagementFee, has_accounts: bool) {
        let base = "original.managementAgreement.ManagementFees[0]";
        let mut args = Vec::new();
        match m.management_agreement_type.as_deref() {
            Some("FixedFee") | None => {
                let fee = m.fixed_fee_amount.unwrap_or_default();
                if !fee.is_zero() {
                    args.push(format!("fee {}", money(fee)));
                }
            }
            Some("RevenuePercentage") => {
                let p = m.revenue_percentage_amount.unwrap_or_default();
                self.check_percent(p, &format!("{base}.revenuePercentageAmount"));
                args.push(format!("revenue_percent {}", percent(p)));
            }
            Some(other) => self.warn(
                format!("{base}.managementAgreementType"),
                "unsupported_fee",
                format!("management fee type `{other}` is not imported: write the fee as a rule"),
            ),
        }
        let group = self.group(m.invoice_group, &format!("{base}.invoiceGroup"));
        if !group.is_empty() {
            args.push(group.trim_start().to_string());
        }
        if m.insurance_enabled == Some(true) {
            match m.insurance_type.as_deref() {
                Some("FixedFee") => {
                    args.push(format!(
                        "insurance_fixed {}",
                        money(m.insurance_fixed_fee_amount.unwrap_or_default())
                    ));
                    push_text(&mut args, "insurance_title", &m.insurance_line_title);
                }
                Some("BasedOnBillableAccounts") if !has_accounts => self.warn(
                    format!("{base}.insuranceType"),
                    "insurance_without_accounts",
                    "insurance based on billable accounts, but billable accounts are off: no insurance is billed",
                ),
                _ => {}
            }
        }
        if m.claims_enabled == Some(true) && !has_accounts {
            self.warn(
                format!("{base}.claimsEnabled"),
                "claims_without_accounts",
                "claims are on, but billable accounts are off: no claims are billed",
            );
        }
        if m.non_gl_billable_expenses_enabled == Some(true) {
            let mut items = Vec::new();
            for (i, n) in m.non_gl_billable_expenses.iter().enumerate() {
                let path = format!("{base}.nonGlBillableExpenses[{i}]");
                let title = text(n.expensetitle.as_deref().unwrap_or("Non-GL Expense").trim());
                let amount = n.expenseamount.unwrap_or_default();
                let last = n
                    .finalperiodbilled
                    .as_deref()
                    .and_then(|f| f.get(..7))
                    .filter(|f| billc_lang::time::YearMonth::parse(f).is_some())
                    .map(|f| format!(", last: {f}"))
                    .unwrap_or_default();
                match n.nonglexpensetype.as_deref() {
                    Some("FixedAmount") => items.push(format!("non_gl_fixed({title}, {}{last})", money(amount))),
                    Some("Revenue") => {
                        self.check_percent(amount, &format!("{path}.expenseamount"));
                        items.push(format!("non_gl_revenue({title}, {}{last})", percent(amount)));
                    }
                    other => self.warn(
                        format!("{path}.nonglexpensetype"),
                        "unsupported_non_gl",
                        format!(
                            "non-GL expense type `{}` is not imported: write it as a rule",
                            other.unwrap_or("")
                        ),
                    ),
                }
            }
            if !items.is_empty() {
                args.push(format!("non_gl [{}]", items.join(", ")));
            }
        }
        if m.profit_share_enabled == Some(true) {
            args.push("profit_share true".into());
            match self.tiers(&m.profit_share_tier_data, &format!("{base}.profitShareTierData")) {
                Some(t) => args.push(format!("profit_tiers {t}")),
                None => args.push("profit_tiers { 0% }".into()),
            }
            match window(m.profit_share_accumulation_type.as_deref()) {
                Ok("monthly") => {}
                Ok(w) => args.push(format!("profit_window {w}")),
                Err(k) => self.warn(
                    format!("{base}.profitShareAccumulationType"),
                    "unknown_value",
                    format!("accumulation `{k}` is unknown: monthly"),
                ),
            }
            if m.validation_threshold_enabled == Some(true)
                && let Some(v) = self.validation(
                    m.validation_threshold_type.as_deref(),
                    *m.validation_threshold_amount,
                    &format!("{base}.validationThresholdType"),
                )
            {
                args.push(format!("validation {v}"));
            }
        }
        self.component("management_agreement", &args);
    }

    /// A tier table `{ 20% up to $50,000, 30% }`; `None` (with a warning) when it cannot be written.
    fn tiers(&mut self, tiers: &[Tier], path: &str) -> Option<String> {
        if tiers.is_empty() {
            self.warn(path, "no_tiers", "no tiers: nothing is shared");
            return None;
        }
        let mut parts = Vec::new();
        let mut previous = Decimal::ZERO;
        for (i, t) in tiers.iter().enumerate() {
            self.check_percent(t.share_percentage.value(), &format!("{path}[{i}].sharePercentage"));
            let last = i + 1 == tiers.len();
            if t.amount.value().is_zero() {
                if !last {
                    self.warn(
                        format!("{path}[{i}].amount"),
                        "unlimited_tier_not_last",
                        "an unlimited tier before the last: the later tiers are never reached and are not imported",
                    );
                }
                parts.push(percent(t.share_percentage.value()));
                return Some(format!("{{ {} }}", parts.join(", ")));
            }
            if t.amount.value() <= previous {
                self.warn(
                    format!("{path}[{i}].amount"),
                    "tiers_not_increasing",
                    format!(
                        "tier limit {} does not increase over {}: the tier table is not imported",
                        money(t.amount.value()),
                        money(previous)
                    ),
                );
                return None;
            }
            previous = t.amount.value();
            parts.push(format!(
                "{} up to {}",
                percent(t.share_percentage.value()),
                money(t.amount.value())
            ));
        }
        // The last tier has a limit (the checker's W0501): revenue above it shares nothing
        // (PowerBill's loop gives 0), so the contract says so with an explicit 0% tier.
        if !billc_lang::lint::last_tier_limited(tiers.iter().map(|t| !t.amount.value().is_zero())) {
            return Some(format!("{{ {} }}", parts.join(", ")));
        }
        self.warn(
            format!("{path}[{}].amount", tiers.len() - 1),
            "last_tier_limited",
            "the last tier has a limit: revenue above it is shared at 0% (an explicit 0% tier is added)",
        );
        parts.push("0%".into());
        Some(format!("{{ {} }}", parts.join(", ")))
    }

    fn validation(&mut self, kind: Option<&str>, amount: Option<Decimal>, path: &str) -> Option<String> {
        let a = amount.unwrap_or_default();
        match kind {
            None | Some("None") | Some("") => None,
            Some("RevenuePercentage") => {
                self.check_percent(a, path);
                Some(format!("validate_percent({})", percent(a)))
            }
            Some("ValidationAmount") => Some(format!("validate_amount({})", money(a))),
            Some("VehicleCount") => Some("validate_all()".into()),
            Some(other) => {
                self.warn(
                    path,
                    "unknown_value",
                    format!("validation type `{other}` is unknown: no validated parking"),
                );
                None
            }
        }
    }

    fn advance(&mut self) {
        let a = &self.c.original.mid_month_advance;
        if !a.enabled {
            return;
        }
        let Some(first) = a.mid_month_advances.first() else {
            self.warn(
                "original.midMonthAdvance",
                "empty_component",
                "mid-month advance is on but has no amount: not imported",
            );
            return;
        };
        let path = "original.midMonthAdvance.midMonthAdvances[0]";
        if first.amount.value().is_zero() {
            self.warn(
                format!("{path}.amount"),
                "zero_amount",
                "a mid-month advance of $0 (it credits nothing)",
            );
        }
        let group = self.group(first.invoice_group, &format!("{path}.invoiceGroup"));
        let mut args = vec![format!("amount {}", money(first.amount.value()))];
        push_text(&mut args, "title", &advance_description(&first.line_title));
        push_group(&mut args, &group);
        self.component("mid_month_advance", &args);
    }

    fn labor(&mut self) {
        let p = &self.c.original.per_labor_hour;
        if !p.enabled {
            return;
        }
        for (i, j) in p.job_rates.iter().enumerate() {
            let path = format!("original.perLaborHour.jobRates[{i}]");
            let Some(job) = j.job_code.as_deref().filter(|c| !c.trim().is_empty()) else {
                self.warn(&path, "no_job_code", "a labor rate without a job code: not imported");
                continue;
            };
            let name = j.name.0.clone().unwrap_or_default();
            let gl = match service_gl(&name) {
                Some(gl) => gl,
                None => {
                    self.warn(
                        format!("{path}.name"),
                        "service_without_gl",
                        format!("service `{name}` has no GL code of its own: billed to 4790"),
                    );
                    "4790"
                }
            };
            if j.rate.value().is_zero() && j.overtime_rate.value().is_zero() {
                self.warn(&path, "zero_amount", format!("job {job} has rates of $0"));
            }
            let title = j.display_name.0.clone().unwrap_or_else(|| job.to_string());
            let group = self.group(j.invoice_group, &format!("{path}.invoiceGroup"));
            let rate = self.escalated(format!("{}/h", money(j.rate.value())), &j.start_date);
            let overtime = self.escalated(format!("{}/h", money(j.overtime_rate.value())), &j.start_date);
            let mut args = vec![
                format!("job {}", text(job.trim())),
                format!("title {}", text(title.trim())),
                format!("rate {rate}"),
                format!("overtime {overtime}"),
                format!("gl {}", text(gl)),
            ];
            push_group(&mut args, &group);
            push_dates(&mut args, &j.start_date, &j.end_date);
            self.component("per_labor_hour", &args);
        }
    }

    fn revenue_share(&mut self) {
        let o = &self.c.original;
        let rs = &o.revenue_share;
        if !rs.enabled {
            return;
        }
        let base = "original.revenueShare.thresholdStructures";
        let mut structures = Vec::new();
        for (i, s) in rs.threshold_structures.iter().enumerate() {
            let path = format!("{base}[{i}]");
            let Some(tiers) = self.tiers(&s.tiers, &format!("{path}.tiers")) else {
                continue;
            };
            let w = match window(s.accumulation_type.as_deref()) {
                Ok(w) => w,
                Err(k) => {
                    self.warn(
                        format!("{path}.accumulationType"),
                        "unknown_value",
                        format!("accumulation `{k}` is unknown: monthly"),
                    );
                    "monthly"
                }
            };
            let codes = format!(
                "[{}]",
                s.revenue_codes
                    .iter()
                    .map(|c| text(c.trim()))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if s.revenue_codes.is_empty() {
                self.warn(
                    format!("{path}.revenueCodes"),
                    "no_codes",
                    "a threshold structure without revenue codes shares nothing",
                );
            }
            structures.push((i, codes, tiers, w, s));
        }
        let Some((i, codes, tiers, w, first)) = structures.first().cloned() else {
            self.warn(
                base,
                "empty_component",
                "revenue share is on but no threshold structure could be imported",
            );
            return;
        };
        self.line(1, "revenue_share {");
        self.line(2, &format!("codes      {codes}"));
        if w != "monthly" {
            self.line(2, &format!("accumulate {w}"));
        }
        self.line(2, &format!("tiers      {tiers}"));
        if let Some(v) = self.validation(
            first.validation_threshold_type.as_deref(),
            *first.validation_threshold_amount,
            &format!("{base}[{i}].validationThresholdType"),
        ) {
            self.line(2, &format!("validation {v}"));
        }
        let group = self.group(first.invoice_group, &format!("{base}[{i}].invoiceGroup"));
        if !group.is_empty() {
            self.line(2, group.trim_start());
        }
        if o.bell_service_fee.enabled {
            self.line(2, "exclude_bell true");
        }
        let others: Vec<String> = structures
            .iter()
            .skip(1)
            .map(|(_, codes, tiers, w, _)| {
                if *w == "monthly" {
                    format!("structure({codes}, {tiers})")
                } else {
                    format!("structure({codes}, {tiers}, {w})")
                }
            })
            .collect();
        if !others.is_empty() {
            self.line(2, "also [");
            for s in &others {
                self.line(3, &format!("{s},"));
            }
            self.line(2, "]");
        }
        self.line(1, "}");
    }
}

#[cfg(test)]
mod tests {
    use super::advance_description;

    /// The two PowerBill codes become words (or the stdlib default); other text stays as written.
    #[test]
    fn advance_codes_become_words() {
        let d = |t: Option<&str>| advance_description(&t.map(str::to_string));
        assert_eq!(d(Some("MidMonthBilling")), None);
        assert_eq!(d(Some("PreBill")), Some("Pre-billed advance".into()));
        assert_eq!(d(Some("Advance for March")), Some("Advance for March".into()));
        assert_eq!(d(None), None);
    }
}
