//! The PowerBill configuration records (RULES.md §14) as typed Rust: every field the 516 exported
//! configurations use. Amounts are read as exact decimals from the JSON number's own text (serde_json's
//! `arbitrary_precision`), never through a float. Unknown fields are kept out of the model on purpose
//! (the importer reports them, see `mod.rs`).

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use std::str::FromStr;

/// A nullable exact decimal: a JSON number read from its own text, or a numeric string.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Num(pub Option<Decimal>);

/// A nullable text; a number is read as its text (codes and group numbers are written both ways).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Text(pub Option<String>);

/// A nullable whole number (invoice group numbers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Whole(pub Option<u32>);

impl std::ops::Deref for Num {
    type Target = Option<Decimal>;
    fn deref(&self) -> &Option<Decimal> {
        &self.0
    }
}

impl std::ops::Deref for Text {
    type Target = Option<String>;
    fn deref(&self) -> &Option<String> {
        &self.0
    }
}

impl std::ops::Deref for Whole {
    type Target = Option<u32>;
    fn deref(&self) -> &Option<u32> {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Num, D::Error> {
        let v = Option::<serde_json::Value>::deserialize(d)?;
        let text = match &v {
            None | Some(serde_json::Value::Null) => return Ok(Num(None)),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            Some(serde_json::Value::String(s)) if s.trim().is_empty() => return Ok(Num(None)),
            Some(serde_json::Value::String(s)) => s.trim().to_string(),
            Some(other) => return Err(serde::de::Error::custom(format!("expected a number, found {other}"))),
        };
        Decimal::from_str_exact(&text)
            .or_else(|_| Decimal::from_scientific(&text))
            .or_else(|_| Decimal::from_str(&text))
            .map(|d| Num(Some(d)))
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a decimal number")))
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        Ok(Text(match Option::<serde_json::Value>::deserialize(d)? {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(s),
            Some(other) => Some(other.to_string()),
        }))
    }
}

impl<'de> Deserialize<'de> for Whole {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Whole, D::Error> {
        let n = Num::deserialize(d)?;
        Ok(Whole(n.0.and_then(|x| u32::try_from(x.trunc().mantissa()).ok())))
    }
}

impl Num {
    /// The value, 0 when absent.
    pub fn value(self) -> Decimal {
        self.0.unwrap_or_default()
    }
}

/// One exported configuration.
#[derive(Clone, Debug, Deserialize)]
pub struct Config {
    pub metadata: Metadata,
    pub original: Original,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Metadata {
    pub site_number: String,
    pub customer_name: String,
    pub contract_effective_date: Text,
    pub contract_type: Text,
    pub payment_terms: Text,
    pub notes: Text,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Original {
    pub id: Text,
    pub purchase_order: Text,
    pub payment_terms: Text,
    pub billing_type: Text,
    pub increment_month: Text,
    pub increment_amount: Num,
    pub consumer_price_index: Option<bool>,
    pub notes: Text,
    pub deviation_amount: Num,
    pub deviation_percentage: Num,
    pub invoice_grouping: Grouping,
    pub fixed_fee: FixedFee,
    pub per_labor_hour: PerLaborHour,
    pub per_occupied_room: PerOccupiedRoom,
    pub revenue_share: RevenueShare,
    pub bell_service_fee: BellServiceFee,
    pub mid_month_advance: MidMonthAdvance,
    pub deposited_revenue: DepositedRevenue,
    pub billable_accounts: BillableAccounts,
    pub management_agreement: ManagementAgreement,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Grouping {
    pub enabled: bool,
    pub invoice_groups: Vec<InvoiceGroup>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct InvoiceGroup {
    pub group_number: Whole,
    pub title: Text,
    pub description: Text,
    pub vendor_id: Text,
    pub site_number: Text,
    pub customer_name: Text,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct FixedFee {
    pub enabled: bool,
    pub service_rates: Vec<ServiceRate>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceRate {
    pub name: Text,
    pub display_name: Text,
    pub code: Text,
    pub fee: Num,
    pub start_date: Text,
    pub end_date: Text,
    pub invoice_group: Whole,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PerLaborHour {
    pub enabled: bool,
    pub job_rates: Vec<JobRate>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct JobRate {
    pub name: Text,
    pub display_name: Text,
    pub rate: Num,
    pub overtime_rate: Num,
    pub job_code: Text,
    pub start_date: Text,
    pub end_date: Text,
    pub invoice_group: Whole,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PerOccupiedRoom {
    pub enabled: bool,
    pub room_rate: Num,
    pub invoice_group: Whole,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RevenueShare {
    pub enabled: bool,
    pub threshold_structures: Vec<ThresholdStructure>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ThresholdStructure {
    pub revenue_codes: Vec<String>,
    pub accumulation_type: Text,
    pub tiers: Vec<Tier>,
    pub validation_threshold_type: Text,
    pub validation_threshold_amount: Num,
    pub invoice_group: Whole,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Tier {
    pub share_percentage: Num,
    pub amount: Num,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BellServiceFee {
    pub enabled: bool,
    pub bell_services: Vec<BellService>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BellService {
    pub invoice_group: Whole,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MidMonthAdvance {
    pub enabled: bool,
    pub mid_month_advances: Vec<Advance>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Advance {
    pub amount: Num,
    pub line_title: Text,
    pub invoice_group: Whole,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DepositedRevenue {
    pub enabled: bool,
    pub deposit_data: Vec<Deposit>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Deposit {
    pub deposited_revenue_enabled: Option<bool>,
    pub towne_park_responsible_for_parking_tax: Option<bool>,
    pub invoice_group: Whole,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BillableAccounts {
    pub enabled: bool,
    pub billable_accounts_data: Vec<BillableData>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BillableData {
    /// A JSON string holding a list of {code, title, isEnabled}.
    pub payroll_accounts_data: Text,
    pub payroll_accounts_invoice_group: Whole,
    pub payroll_accounts_line_title: Text,
    pub payroll_expense_accounts_data: Text,
    pub payroll_expense_accounts_invoice_group: Whole,
    pub payroll_expense_accounts_line_title: Text,
    pub payroll_support_amount: Num,
    pub payroll_support_billing_type: Text,
    pub payroll_support_enabled: Option<bool>,
    pub payroll_support_line_title: Text,
    pub payroll_support_payroll_type: Text,
    pub payroll_taxes_billing_type: Text,
    pub payroll_taxes_enabled: Option<bool>,
    pub payroll_taxes_line_title: Text,
    pub payroll_taxes_percentage: Num,
    pub additional_payroll_amount: Num,
}

/// An account of a billable-accounts list.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Account {
    pub code: Text,
    pub title: Option<String>,
    pub is_enabled: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ManagementAgreement {
    pub enabled: bool,
    #[serde(rename = "ManagementFees")]
    pub management_fees: Vec<ManagementFee>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ManagementFee {
    pub management_agreement_type: Text,
    pub fixed_fee_amount: Num,
    pub revenue_percentage_amount: Num,
    pub invoice_group: Whole,
    pub insurance_enabled: Option<bool>,
    pub insurance_type: Text,
    pub insurance_additional_percentage: Num,
    pub insurance_fixed_fee_amount: Num,
    pub insurance_line_title: Text,
    pub claims_enabled: Option<bool>,
    pub claims_type: Text,
    pub claims_cap_amount: Num,
    pub claims_line_title: Text,
    pub non_gl_billable_expenses_enabled: Option<bool>,
    pub non_gl_billable_expenses: Vec<NonGlExpense>,
    pub profit_share_enabled: Option<bool>,
    pub profit_share_accumulation_type: Text,
    pub profit_share_tier_data: Vec<Tier>,
    pub validation_threshold_enabled: Option<bool>,
    pub validation_threshold_type: Text,
    pub validation_threshold_amount: Num,
    pub per_labor_hour_job_code_data: serde_json::Value,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "lowercase")]
pub struct NonGlExpense {
    pub expenseamount: Num,
    pub expensepayrolltype: Text,
    pub expensetitle: Text,
    pub finalperiodbilled: Text,
    pub nonglexpensetype: Text,
}
