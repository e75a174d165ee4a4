//! `billc import powerbill`: the 64 fixture configurations (tests/fixtures/powerbill, chosen to cover
//! every component and option value of RULES.md §14) import to the snapshotted contracts and warnings,
//! check clean and evaluate; suspicious values become warnings; all 516 configurations of
//! ../shared/powerbill/contracts import and check clean when that folder is present.

use billc_lang::session::Session;
use billc_lang::testdata::MemData;
use billc_lang::time::YearMonth;
use billc_powerbill::{Warning, import};
use std::path::{Path, PathBuf};

#[expect(clippy::unwrap_used, reason = "test helper")]
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    billc_billing::sources::collect(dir, "json", &mut files).unwrap();
    files
}

#[expect(clippy::unwrap_used, reason = "test helper")]
fn import_file(path: &Path) -> billc_powerbill::Imported {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    import(&name, &std::fs::read_to_string(path).unwrap()).unwrap()
}

fn render_warnings(w: &[Warning]) -> String {
    w.iter()
        .map(|w| format!("{}: {} [{}]\n", w.path, w.message, w.kind))
        .collect()
}

#[test]
fn fixtures_import_to_their_snapshots() {
    insta::glob!("fixtures/powerbill/*.json", |path| {
        let imported = import_file(path);
        insta::assert_snapshot!(format!(
            "{}\n--- {}\n--- warnings\n{}",
            imported.file_name,
            imported.text,
            render_warnings(&imported.warnings)
        ));
    });
}

/// Imports every configuration of a folder, checks the contracts in one session and evaluates each
/// for two months (one of them after a January increment) on empty data with the site's start date.
#[expect(clippy::unwrap_used, reason = "test helper")]
fn import_check_and_run(dir: &Path) -> (usize, std::collections::BTreeMap<&'static str, usize>) {
    let files = json_files(dir);
    let mut session = Session::default();
    let mut sources = Vec::new();
    let mut kinds = std::collections::BTreeMap::new();
    for f in &files {
        let imported = import_file(f);
        // Re-importing gives the same bytes.
        assert_eq!(import_file(f), imported);
        for w in &imported.warnings {
            *kinds.entry(w.kind).or_insert(0) += 1;
        }
        sources.push(session.add_file(&format!("imported/{}", imported.file_name), &imported.text));
    }
    let (diags, plans) = session.check(&sources);
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:#?}");
    assert_eq!(plans.len(), files.len());
    for plan in &plans {
        let mut data = MemData::default();
        data.push(
            "sites",
            &plan.site,
            &[(
                "start_date".into(),
                billc_lang::value::Value::Date(billc_lang::time::parse_date("2019-04-01").unwrap()),
            )],
        )
        .unwrap();
        for period in ["2025-06", "2026-02"] {
            let run = billc_lang::eval::run_contract(plan, &data, YearMonth::parse(period).unwrap());
            assert!(run.is_ok(), "{} {period}: {:?}", plan.file, run.err());
        }
    }
    (files.len(), kinds)
}

#[test]
fn fixtures_check_clean_and_run() {
    let (n, kinds) = import_check_and_run(Path::new("tests/fixtures/powerbill"));
    assert_eq!(n, 64);
    insta::assert_debug_snapshot!(kinds);
}

#[test]
fn all_516_configurations_import_and_check_clean() {
    let dir = Path::new("../shared/powerbill/contracts");
    if !dir.is_dir() {
        eprintln!("skipped: {} is not here", dir.display());
        return;
    }
    let (n, kinds) = import_check_and_run(dir);
    assert_eq!(n, 516);
    insta::assert_debug_snapshot!(kinds);
}

/// A minimal configuration with `original` fields replaced.
fn config(original: &str) -> String {
    let original = if original.is_empty() {
        String::new()
    } else {
        format!(", {original}")
    };
    format!(
        r#"{{"metadata": {{"siteNumber": "0999", "customerName": "Test \"Hotel\" {{Downtown}}", "contractEffectiveDate": "2025-05-23", "notes": ""}},
            "original": {{"billingType": "Arrears", "paymentTerms": "Due in 30 Days", "incrementMonth": "January",
                          "incrementAmount": 0.0, "deviationAmount": 0.0, "deviationPercentage": 0.0{original}}}}}"#
    )
}

#[test]
fn suspicious_values_are_warnings_and_amounts_stay_exact() {
    let json = config(
        r#""revenueShare": {"enabled": true, "thresholdStructures": [
              {"revenueCodes": ["PK"], "accumulationType": "Monthly", "validationThresholdType": "None",
               "tiers": [{"sharePercentage": 120.0, "amount": 50000.0}, {"sharePercentage": 10.0, "amount": 40000.0}]},
              {"revenueCodes": ["VL"], "accumulationType": "AnnualCalendar", "validationThresholdType": "None",
               "tiers": [{"sharePercentage": 12.345, "amount": 1234567.891}, {"sharePercentage": 7.5, "amount": 0}]}]},
           "midMonthAdvance": {"enabled": true, "midMonthAdvances": [{"amount": 0.0, "lineTitle": "PreBill", "invoiceGroup": 1}]},
           "billableAccounts": {"enabled": true, "billableAccountsData": [{
              "payrollAccountsData": "[{\"code\":\"6010\",\"title\":\"Wages\",\"isEnabled\":true},{\"code\":\"6011\",\"title\":\"Off\",\"isEnabled\":false}]",
              "payrollExpenseAccountsData": "[]", "payrollTaxesEnabled": true, "payrollTaxesBillingType": "Actual",
              "payrollTaxesPercentage": 15.0}]},
           "perLaborHour": {"enabled": true, "jobRates": [{"name": "Booth/Cashier", "displayName": "Cashier",
              "rate": 25.08, "overtimeRate": 37.62, "jobCode": "CSH", "invoiceGroup": 3}]}"#,
    );
    let imported = import("test.json", &json).unwrap();
    let kinds: Vec<&str> = imported.warnings.iter().map(|w| w.kind).collect();
    assert_eq!(
        kinds,
        vec![
            "pteb_percent_with_actual",
            "zero_amount",
            "service_without_gl",
            "group_without_grouping",
            "share_over_100",
            "tiers_not_increasing",
        ],
        "{}",
        render_warnings(&imported.warnings)
    );
    // The second structure keeps its exact figures; the first, unreadable, is left out and reported.
    assert!(
        imported.text.contains("{ 12.345% up to $1,234,567.891, 7.5% }"),
        "{}",
        imported.text
    );
    assert!(
        imported.text.contains("rate $25.08/h overtime $37.62/h"),
        "{}",
        imported.text
    );
    assert!(imported.text.contains("payroll     [\"6010\"]"), "{}", imported.text);
    assert!(
        imported.text.contains("customer  \"Test \\\"Hotel\\\" {{Downtown}}\""),
        "{}",
        imported.text
    );
    let mut session = Session::default();
    let f = session.add_file("imported/0999.bill", &imported.text);
    let diags = session.diagnostics(&[f]);
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:#?}\n{}", imported.text);
}

#[test]
fn a_broken_configuration_is_an_error_naming_the_file() {
    let e = import("broken.json", "{\"metadata\": {}}").unwrap_err();
    assert!(
        e.starts_with("broken.json: not a PowerBill configuration: missing field"),
        "{e}"
    );
    let e = import("site.json", &config("").replace("\"0999\"", "\"99\"")).unwrap_err();
    assert_eq!(e, "site.json: metadata.siteNumber `99` is not a 4-digit site number");
}
