//! The PowerBill configuration records (RULES.md §14) as typed Rust: every field the 516 exported
//! configurations use. Amounts are read as exact decimals from the JSON number's own text (serde_json's
//! `arbitrary_precision`), never through a float. Unknown fields are kept out of the model on purpose
//! (the importer reports them, see `mod.rs`).

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use std::str::FromStr;

/// A JSON number (or a numeric string) as an exact decimal.
fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    opt_decimal(d).map(Option::unwrap_or_default)
}

/// A nullable JSON number as an exact decimal.
fn opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    let text = match &v {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(serde_json::Value::String(s)) => s.trim().to_string(),
        Some(other) => return Err(serde::de::Error::custom(format!("expected a number, found {other}"))),
    };
    Decimal::from_str_exact(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .or_else(|_| Decimal::from_str(&text))
        .map(Some)
        .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a decimal number")))
}

/// A nullable string that may also be written as a number (group numbers, codes).
fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match v {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let v = opt_decimal(d)?;
    Ok(v.and_then(|x| u32::try_from(x.trunc().mantissa()).ok()))
}

/// One exported configuration.
#[derive(Clone, Debug, Deserialize)]
pub struct Config {
    pub metadata: Metadata,
    pub original: Original,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    pub site_number: String,
    pub customer_name: String,
    #[serde(default, deserialize_with = "opt_text")]
    pub contract_effective_date: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub contract_type: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub payment_terms: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub notes: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Original {
    #[serde(default, deserialize_with = "opt_text")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub purchase_order: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub payment_terms: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub billing_type: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub increment_month: Option<String>,
    #[serde(default, deserialize_with = "opt_decimal")]
    pub increment_amount: Option<Decimal>,
    #[serde(default)]
    pub consumer_price_index: Option<bool>,
    #[serde(default, deserialize_with = "opt_text")]
    pub notes: Option<String>,
    #[serde(default, deserialize_with = "opt_decimal")]
    pub deviation_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal")]
    pub deviation_percentage: Option<Decimal>,
    #[serde(default)]
    pub invoice_grouping: Grouping,
    #[serde(default)]
    pub fixed_fee: FixedFee,
    #[serde(default)]
    pub per_labor_hour: PerLaborHour,
    #[serde(default)]
    pub per_occupied_room: PerOccupiedRoom,
    #[serde(default)]
    pub revenue_share: RevenueShare,
    #[serde(default)]
    pub bell_service_fee: BellServiceFee,
    #[serde(default)]
    pub mid_month_advance: MidMonthAdvance,
    #[serde(default)]
    pub deposited_revenue: DepositedRevenue,
    #[serde(default)]
    pub billable_accounts: BillableAccounts,
    #[serde(default)]
    pub management_agreement: ManagementAgreement,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Grouping {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub invoice_groups: Vec<InvoiceGroup>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceGroup {
    #[serde(default, deserialize_with = "opt_u32")]
    pub group_number: Option<u32>,
    #[serde(default, deserialize_with = "opt_text")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub vendor_id: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub site_number: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub customer_name: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FixedFee {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub service_rates: Vec<ServiceRate>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRate {
    #[serde(default, deserialize_with = "opt_text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "decimal")]
    pub fee: Decimal,
    #[serde(default, deserialize_with = "opt_text")]
    pub start_date: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub end_date: Option<String>,
    #[serde(default, deserialize_with = "opt_u32")]
    pub invoice_group: Option<u32>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PerLaborHour {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub job_rates: Vec<JobRate>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRate {
    #[serde(default, deserialize_with = "opt_text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "decimal")]
    pub rate: Decimal,
    #[serde(default, deserialize_with = "decimal")]
    pub overtime_rate: Decimal,
    #[serde(default, deserialize_with = "opt_text")]
    pub job_code: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub start_date: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub end_date: Option<String>,
    #[serde(default, deserialize_with = "opt_u32")]
    pub invoice_group: Option<u32>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PerOccupiedRoom {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default, deserialize_with = "decimal")]
    pub room_rate: Decimal,
    #[serde(default, deserialize_with = "opt_u32")]
    pub invoice_group: Option<u32>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RevenueShare {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub threshold_structures: Vec<ThresholdStructure>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThresholdStructure {
    #[serde(default)]
    pub revenue_codes: Vec<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub accumulation_type: Option<String>,
    #[serde(default)]
    pub tiers: Vec<Tier>,
    #[serde(default, deserialize_with = "opt_text")]
    pub validation_threshold_type: Option<String>,
    #[serde(default, deserialize_with = "opt_decimal")]
    pub validation_threshold_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_u32")]
    pub invoice_group: Option<u32>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tier {
    #[serde(default, deserialize_with = "decimal")]
    pub share_percentage: Decimal,
    #[serde(default, deserialize_with = "decimal")]
    pub amount: Decimal,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BellServiceFee {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub bell_services: Vec<BellService>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BellService {
    #[serde(default, deserialize_with = "opt_u32")]
    pub invoice_group: Option<u32>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MidMonthAdvance {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub mid_month_advances: Vec<Advance>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Advance {
    #[serde(default, deserialize_with = "decimal")]
    pub amount: Decimal,
    #[serde(default, deserialize_with = "opt_text")]
    pub line_title: Option<String>,
    #[serde(default, deserialize_with = "opt_u32")]
    pub invoice_group: Option<u32>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DepositedRevenue {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub deposit_data: Vec<Deposit>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deposit {
    #[serde(default)]
    pub deposited_revenue_enabled: Option<bool>,
    #[serde(default)]
    pub towne_park_responsible_for_parking_tax: Option<bool>,
    #[serde(default, deserialize_with = "opt_u32")]
    pub invoice_group: Option<u32>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BillableAccounts {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub billable_accounts_data: Vec<BillableData>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BillableData {
    /// A JSON string holding a list of {code, title, isEnabled}.
    #[serde(default, deserialize_with = "opt_text")]
    pub payroll_accounts_data: Option<String>,
    #[serde(default, deserialize_with = "opt_u32")]
    pub payroll_accounts_invoice_group: Option<u32>,
    #[serde(default, deserialize_with = "opt_text")]
    pub payroll_accounts_line_title: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub payroll_expense_accounts_data: Option<String>,
    #[serde(default, deserialize_with = "opt_u32")]
    pub payroll_expense_accounts_invoice_group: Option<u32>,
    #[serde(default, deserialize_with = "opt_text")]
    pub payroll_expense_accounts_line_title: Option<String>,
    #[serde(default, deserialize_with = "opt_decimal")]
    pub payroll_support_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_text")]
    pub payroll_support_billing_type: Option<String>,
    #[serde(default)]
    pub payroll_support_enabled: Option<bool>,
    #[serde(default, deserialize_with = "opt_text")]
    pub payroll_support_line_title: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub payroll_support_payroll_type: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub payroll_taxes_billing_type: Option<String>,
    #[serde(default)]
    pub payroll_taxes_enabled: Option<bool>,
    #[serde(default, deserialize_with = "opt_text")]
    pub payroll_taxes_line_title: Option<String>,
    #[serde(default, deserialize_with = "opt_decimal")]
    pub payroll_taxes_percentage: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal")]
    pub additional_payroll_amount: Option<Decimal>,
}

/// An account of a billable-accounts list.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    #[serde(deserialize_with = "text_or_number")]
    pub code: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub is_enabled: bool,
}

fn text_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    opt_text(d).map(Option::unwrap_or_default)
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ManagementAgreement {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default, rename = "ManagementFees")]
    pub management_fees: Vec<ManagementFee>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagementFee {
    #[serde(default, deserialize_with = "opt_text")]
    pub management_agreement_type: Option<String>,
    #[serde(default, deserialize_with = "opt_decimal")]
    pub fixed_fee_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal")]
    pub revenue_percentage_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_u32")]
    pub invoice_group: Option<u32>,
    #[serde(default)]
    pub insurance_enabled: Option<bool>,
    #[serde(default, deserialize_with = "opt_text")]
    pub insurance_type: Option<String>,
    #[serde(default, deserialize_with = "opt_decimal")]
    pub insurance_additional_percentage: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal")]
    pub insurance_fixed_fee_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_text")]
    pub insurance_line_title: Option<String>,
    #[serde(default)]
    pub claims_enabled: Option<bool>,
    #[serde(default, deserialize_with = "opt_text")]
    pub claims_type: Option<String>,
    #[serde(default, deserialize_with = "opt_decimal")]
    pub claims_cap_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_text")]
    pub claims_line_title: Option<String>,
    #[serde(default)]
    pub non_gl_billable_expenses_enabled: Option<bool>,
    #[serde(default)]
    pub non_gl_billable_expenses: Vec<NonGlExpense>,
    #[serde(default)]
    pub profit_share_enabled: Option<bool>,
    #[serde(default, deserialize_with = "opt_text")]
    pub profit_share_accumulation_type: Option<String>,
    #[serde(default)]
    pub profit_share_tier_data: Vec<Tier>,
    #[serde(default)]
    pub validation_threshold_enabled: Option<bool>,
    #[serde(default, deserialize_with = "opt_text")]
    pub validation_threshold_type: Option<String>,
    #[serde(default, deserialize_with = "opt_decimal")]
    pub validation_threshold_amount: Option<Decimal>,
    #[serde(default)]
    pub per_labor_hour_job_code_data: serde_json::Value,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub struct NonGlExpense {
    #[serde(default, deserialize_with = "opt_decimal")]
    pub expenseamount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_text")]
    pub expensepayrolltype: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub expensetitle: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub finalperiodbilled: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub nonglexpensetype: Option<String>,
}
