//! `billc run` end to end: the README's command on the example data, bad data (every kind, with its
//! exact report), determinism across thread counts, row accounting, contracts that fail on their
//! data, `--skip-bad-sites`, and `billc explain` on real runs.

use billc_data::{InvoiceGroups, LoadOptions};
use billc_lang::time::YearMonth;
mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::billc;

#[expect(clippy::unwrap_used, reason = "test helper")]
fn ym(s: &str) -> YearMonth {
    YearMonth::parse(s).unwrap()
}

/// `billc run <contracts> --data <data> --period 2025-06 --out <out> <extra…>`.
fn run_june(contracts: &Path, data: &Path, out: &Path, extra: &[&str]) -> (i32, String, String) {
    billc(&common::june_args(contracts, data, out, extra))
}

#[expect(clippy::unwrap_used, reason = "test helper")]
fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap()
}

/// `summary.json` of a period folder, without its measured phase times.
#[expect(clippy::unwrap_used, reason = "test helper")]
fn summary_figures(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&common::without_phases(&read(&dir.join("summary.json")))).unwrap()
}

#[expect(clippy::unwrap_used, reason = "test helper")]
fn invoices(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&read(&dir.join("invoices.json"))).unwrap()
}

#[test]
fn readme_command_bills_the_example_data() {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    let run = |period: &str, extra: &[&str]| {
        let mut args = vec![
            "run",
            "contracts/",
            "--data",
            "examples/data",
            "--period",
            period,
            "--out",
            o,
        ];
        args.extend_from_slice(extra);
        billc(&args)
    };
    let kinds = |period: &str| -> Vec<String> {
        let exceptions = read(&out.path().join(period).join("exceptions.csv"));
        exceptions
            .lines()
            .skip(1)
            .map(|l| l.splitn(4, ',').take(3).collect::<Vec<_>>().join(","))
            .collect()
    };
    // The example data is a complete March. Its earlier months hold only some sites' rows, the
    // history that March's calendar-year and anniversary windows accumulate (9004's January is
    // EXAMPLES.md case 4): no statistics or timesheets row is dated in January, so a January run is
    // refused and writes no invoice.
    let (code, stdout, stderr) = run("2025-01", &[]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert_eq!(
        kinds("2025-01"),
        [
            ",missing_data,statistics.csv",
            ",missing_data,timesheets.csv",
            ",run_refused,"
        ]
    );
    assert!(!out.path().join("2025-01/invoices.json").exists());
    for (period, total) in [("2025-01", "24000.00"), ("2025-03", "12846.88")] {
        // January billed anyway, without those two tables: not cleanly (exit 1).
        let extra: &[&str] = if period == "2025-01" {
            &["--allow-missing", "statistics,timesheets"]
        } else {
            &[]
        };
        let (code, stdout, stderr) = run(period, extra);
        let expected = if period == "2025-01" { 1 } else { 0 };
        assert_eq!(code, expected, "{stdout}\n{stderr}");
        let dir = out.path().join(period);
        let json = invoices(&dir);
        let inv = json["invoices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["site"] == "9004")
            .unwrap();
        assert_eq!(inv["total"], total, "{period}");
        assert_eq!(inv["lines"][0]["title"], "Towne Park Fees for Services");
        assert_eq!(inv["status"], "ready");
        // The real Torrance Marriott contract is billed too, and needs approval: its revenue is far
        // from its forecast.
        let torrance = json["invoices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["site"] == "1138")
            .unwrap();
        assert_eq!(torrance["status"], "needs_approval");
        for name in common::PERIOD_FILES {
            assert!(dir.join(name).is_file(), "{name}");
        }
    }
    // What that January run reports: the two tables missing (allowed); 39 fact tables that 32
    // sites' contracts read with no January rows for the site, each making the site's invoice need
    // approval; six reviewed sites without a January forecast; 1138 far from its forecast; and 24
    // contracts that bill nothing (23 of those sites, and 9005 below its hurdle).
    let january = kinds("2025-01");
    let mut counts = std::collections::BTreeMap::new();
    for k in &january {
        let kind = k.split(',').nth(1).unwrap();
        *counts.entry(kind).or_insert(0) += 1;
    }
    assert_eq!(
        counts.into_iter().collect::<Vec<_>>(),
        [("missing_data", 47), ("needs_approval", 40), ("no_invoice", 24)],
        "{january:?}"
    );
    let no_forecast: Vec<&str> = january
        .iter()
        .filter(|k| k.ends_with(",missing_data,forecast.csv"))
        .map(|k| &k[..4])
        .collect();
    assert_eq!(no_forecast, ["0929", "1820", "2030", "2201", "2407", "2515"]);
    // Three tiers, calendar-year window: March crosses from the second tier into the third.
    let (code, stdout, stderr) = billc(&[
        "explain",
        out.path().join("2025-03").to_str().unwrap(),
        "9004-202503-01-01",
    ]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("revenue_share_three_tiers_annual_window", stdout);
    // The March rows come from the month folder, January's and February's from the top-level file.
    let inputs = read(&out.path().join("2025-03/inputs.csv"));
    assert!(inputs.contains("\n2025-03/revenue.csv,43,43,0,0,0,0,0\n"), "{inputs}");
    assert!(inputs.contains("\nrevenue.csv,32,32,0,0,0,0,0\n"), "{inputs}");
    // Every contract of contracts/ billed over the example CSV files: the amounts are those of
    // EXAMPLES.md and of the real contracts' test blocks (see contracts/README.md), computed here
    // through the data layer instead of test blocks.
    insta::assert_snapshot!(
        "readme_run_invoices_csv",
        read(&out.path().join("2025-03/invoices.csv"))
    );
    // What finance reads: one row per invoice, and the run's figures (summary.json without its
    // measured phase times). The README's command bills $3,537,718.04 over 45 invoices, some of
    // them credits (their credit lines exceed their fees).
    let summary = common::without_phases(&read(&out.path().join("2025-03/summary.json")));
    let figures = summary_figures(&out.path().join("2025-03"));
    assert_eq!(figures["invoices"]["total"], 45, "{summary}");
    assert_eq!(figures["amounts"]["receivables"], "3742885.06", "{summary}");
    assert_eq!(figures["amounts"]["credits"], "-205167.02", "{summary}");
    assert_eq!(figures["amounts"]["net"], "3537718.04", "{summary}");
    assert_eq!(figures["contracts"]["total"], 42, "{summary}");
    assert_eq!(figures["contracts"]["billed"], 42, "{summary}");
    assert_eq!(figures["invoices"]["needs_approval"], 2, "{summary}");
    assert_eq!(figures["exceptions"]["needs_approval"], 2, "{summary}");
    assert_eq!(figures["refused"], false, "{summary}");
    insta::assert_snapshot!("readme_run_summary_json", summary);
    let rows = read(&out.path().join("2025-03/invoices-summary.csv"));
    assert_eq!(rows.lines().count(), 1 + 45, "{rows}");
    assert!(
        rows.starts_with("number,site,customer,group,date,due,status,reasons,total\n"),
        "{rows}"
    );
    insta::assert_snapshot!("readme_run_invoices_summary_csv", rows);
    // The two statements a person must approve: 1138 is far from its forecast, 2503 is always
    // reviewed. And 9005 rightly bills nothing: its 0% hurdle up to $780,000 a calendar year holds
    // $300,000 by March (EXAMPLES.md case 5). Every other site has the rows its contract reads.
    assert_eq!(
        kinds("2025-03"),
        [
            "1138,needs_approval,contracts/1138-torrance-marriott.bill",
            "2503,needs_approval,contracts/2503-disney-polynesian.bill",
            "9005,no_invoice,contracts/examples/revenue_share.bill",
        ]
    );
    // The vehicle insurance of 2407 is not billable: its row is listed, not lost.
    let unmatched = read(&out.path().join("2025-03/unmatched.csv"));
    assert!(
        unmatched.contains("2407,gl.csv,18,1,\"account 7082, entity 01\""),
        "{unmatched}"
    );
}

/// The most digits after the point of any dollar amount in `text` (`$3,999.999` → 3).
fn most_decimals_after_dollar(text: &str) -> usize {
    text.split('$')
        .skip(1)
        .map(|rest| {
            let amount: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == ',' || *c == '.')
                .collect();
            let amount = amount.trim_end_matches(['.', ',']);
            amount.split_once('.').map_or(0, |(_, cents)| cents.len())
        })
        .max()
        .unwrap_or(0)
}

/// What a customer reads: every description and title of every invoice the bundled contracts bill
/// (January and March over the example data, and generated sites of every kind) shows money in
/// cents, never more digits, and no internal code.
#[test]
fn descriptions_show_money_in_cents_and_words() {
    assert_eq!(most_decimals_after_dollar("share $3,999.999, profit $38,000.00."), 3);
    assert_eq!(most_decimals_after_dollar("at $25.08 Per Person Hour."), 2);
    let out = tempfile::tempdir().unwrap();
    let g = generated(25);
    let (g_contracts, g_data) = (g.path().join("contracts"), g.path().join("data"));
    let runs: [(&Path, &Path, &str); 3] = [
        (Path::new("contracts"), Path::new("examples/data"), "2025-01"),
        (Path::new("contracts"), Path::new("examples/data"), "2025-03"),
        (&g_contracts, &g_data, "2025-06"),
    ];
    let mut seen = 0;
    for (contracts, data, period) in runs {
        let o = out.path().join(period);
        let mut args = common::run_args(contracts, data, period, &o, &[]);
        // January of the example is history only: no statistics or timesheets of its own.
        if period == "2025-01" {
            args.extend(["--allow-missing", "statistics,timesheets"]);
        }
        billc(&args);
        let json = invoices(&o.join(period));
        for inv in json["invoices"].as_array().unwrap() {
            for line in inv["lines"].as_array().unwrap() {
                for field in ["title", "description"] {
                    let text = line[field].as_str().unwrap();
                    assert!(most_decimals_after_dollar(text) <= 2, "{}: {text}", inv["number"]);
                    assert!(!text.contains("MidMonthBilling"), "{}: {text}", inv["number"]);
                    seen += usize::from(text.contains('$'));
                }
            }
        }
    }
    assert!(seen > 20, "only {seen} texts with amounts");
}

// ------------------------------------------------------------------------------------------ bad data

const REVENUE_HEADER: &str = "site,date,revenue_code,category,collection_type,deposit_flag,external_revenue,net_external_revenue,billable_net_validation,tax_rate,vehicle_count";
const TIMESHEET_HEADER: &str = "site,date,job_code,regular_minutes,overtime_minutes,holiday_minutes,double_overtime_minutes,holiday_overtime_minutes,holiday_double_overtime_minutes";

/// A valid small data directory for June 2025, with one file replaced or added by `files`.
#[expect(clippy::unwrap_used, reason = "test helper")]
fn data_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let base = [
        (
            "sites.csv",
            "site,name,gl_string,start_date,close_date,vendor_id,billing_email\n0238,Hotel,02-02-0238-,2019-04-01,,V1,a@b.example\n",
        ),
        (
            "revenue.csv",
            "site,date,revenue_code,category,collection_type,deposit_flag,external_revenue,net_external_revenue,billable_net_validation,tax_rate,vehicle_count\n0238,2025-06-01,PK,Parking,Transient,Y,110.00,100.00,0.00,0.075,4\n",
        ),
        (
            "gl.csv",
            "site,period,account,entity,balance\n0238,2025-06,6010,01,500.00\n",
        ),
    ];
    for (name, text) in base.iter().chain(files) {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

/// The bad-row reports (or the load error) of a data directory, one per line. Site 0238 has a
/// contract declaring invoice groups 1 and 2.
fn report(dir: &Path) -> String {
    let mut groups = InvoiceGroups::default();
    groups.declare("0238", [1, 2]);
    match billc_data::load(
        dir,
        LoadOptions {
            period: ym("2025-06"),
            history: 11,
            demand: None,
            groups: Some(&groups),
        },
    ) {
        Ok(set) => set
            .bad_rows
            .iter()
            .map(|b| {
                format!(
                    "{}:{}: {}: {} [site {}]",
                    b.file,
                    b.line,
                    b.kind.name(),
                    b.reason,
                    b.site.as_deref().unwrap_or("?")
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Err(e) => format!("error: {}", e.to_string().replace(&dir.display().to_string(), "<data>")),
    }
}

fn revenue(rows: &str) -> String {
    format!("{REVENUE_HEADER}\n{rows}")
}

fn timesheets(rows: &str) -> String {
    format!("{TIMESHEET_HEADER}\n{rows}")
}

#[test]
fn repeats_across_blocks_are_left_out_exactly() {
    use billc_lang::eval::DataView;
    use billc_lang::schema::TableName;
    // 40,000 distinct rows (over 2 MiB: three blocks read in parallel), then repeats of a row of the
    // first block (twice) and of the last row.
    let row = |i: u32| {
        format!(
            "0238,2025-06-{:02},PK,Parking,Transient,Y,{i}.00,{i}.00,0.00,0.075,1\n",
            i % 30 + 1
        )
    };
    let mut text = String::new();
    for i in 1..=40_000 {
        text.push_str(&row(i));
    }
    text.push_str(&row(1));
    text.push_str(&row(40_000));
    text.push_str(&row(1));
    let dir = data_dir(&[("revenue.csv", &revenue(&text))]);
    assert!(text.len() > 2 * billc_data::csvio::BLOCK);
    assert_eq!(
        report(dir.path()),
        "revenue.csv:40002: duplicate_row: the same row as line 2 [site 0238]\n\
         revenue.csv:40003: duplicate_row: the same row as line 40001 [site 0238]\n\
         revenue.csv:40004: duplicate_row: the same row as line 2 [site 0238]"
    );
    let set = billc_data::load(
        dir.path(),
        LoadOptions {
            period: ym("2025-06"),
            history: 0,
            demand: None,
            groups: None,
        },
    )
    .unwrap();
    let groups = set.rows(TableName::Revenue, "0238", ym("2025-06"));
    let net: rust_decimal::Decimal = groups.iter().map(|g| g.measure(1)).sum();
    let rows: u32 = groups.iter().map(|g| g.count()).sum();
    assert_eq!((net.to_string().as_str(), rows), ("800020000.00", 40_000));
    assert_eq!(groups.iter().map(|g| g.first_line()).min(), Some(2));
    let (files, _) = set.account(&std::collections::BTreeSet::new());
    let revenue = files.iter().find(|f| f.file == "revenue.csv").unwrap();
    assert_eq!((revenue.rows, revenue.bad, revenue.unmatched), (40_003, 3, 40_000));
    assert!(files.iter().all(billc_data::FileAccount::balances));
}

/// A contracts folder holding one contract for site 0238 with `body`.
#[expect(clippy::unwrap_used, reason = "test helper")]
fn contract_0238(body: &str) -> tempfile::TempDir {
    let contracts = tempfile::tempdir().unwrap();
    fs::write(
        contracts.path().join("0238.bill"),
        format!("use towne_park\ncontract \"0238\" {{\n    customer \"Hotel\"\n{body}}}\n"),
    )
    .unwrap();
    contracts
}

/// Runs June; asserts that the run is refused (exit 1, no invoices) for exactly one bad row, the
/// `exceptions.csv` row given. Returns the period folder.
fn refused_for(contracts: &Path, data: &Path, out: &Path, bad_row: &str) -> PathBuf {
    let (code, stdout, stderr) = run_june(contracts, data, out, &[]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let dir = out.join("2025-06");
    assert!(!dir.join("invoices.json").exists());
    let exceptions = read(&dir.join("exceptions.csv"));
    let rows: Vec<&str> = exceptions.lines().collect();
    assert_eq!(
        rows,
        [
            "site,kind,location,message",
            ",run_refused,,\"no invoices were made: the data has bad rows; fix them, or pass --skip-bad-sites to bill the other sites\"",
            bad_row,
        ],
        "{exceptions}"
    );
    dir
}

#[test]
fn a_repeated_revenue_row_refuses_the_run() {
    let contracts = contract_0238("    revenue_share { codes [\"PK\"] tiers { 10% } }\n");
    let row = "0238,2025-06-02,PK,Parking,Transient,Y,18000.00,17500.00,0.00,0.075,40";
    let data = data_dir(&[
        (
            "revenue.csv",
            &revenue(&format!(
                "{row}\n0238,2025-06-03,PK,Parking,Transient,Y,23000.00,22500.00,0.00,0.075,50\n{row}\n"
            )),
        ),
        ("gl.csv", "site,period,account,entity,balance\n"),
    ]);
    let out = tempfile::tempdir().unwrap();
    let dir = refused_for(
        contracts.path(),
        data.path(),
        out.path(),
        "0238,bad_row,revenue.csv:4,duplicate_row: the same row as line 2",
    );
    // The row's accounting (rows, used, unmatched, history, other_months, reference, bad): the
    // repeat is bad, the two others unmatched (a refused run evaluates no contract).
    let inputs = read(&dir.join("inputs.csv"));
    let line = inputs.lines().find(|l| l.starts_with("revenue.csv,"));
    assert_eq!(line, Some("revenue.csv,3,0,2,0,0,0,1"), "{inputs}");

    // Billed without the repeat (the site skipped: no invoice), never as $40,000 of revenue.
    let (code, _, _) = run_june(contracts.path(), data.path(), out.path(), &["--skip-bad-sites"]);
    assert_eq!(code, 1);
    let exceptions = read(&dir.join("exceptions.csv"));
    assert!(exceptions.contains("0238,site_skipped,"), "{exceptions}");
}

#[test]
fn a_shift_worked_twice_is_billed_twice() {
    let contracts = contract_0238(
        "    line \"Valet Services\" gl 4700 = round($25.08/h * sum(timesheets.regular_hours where job_code == \"VAL\"))\n",
    );
    let shift = "0238,2025-06-03,VAL,480,0,0,0,0,0";
    let data = data_dir(&[
        ("revenue.csv", &revenue("")),
        ("gl.csv", "site,period,account,entity,balance\n"),
        (
            "timesheets.csv",
            &timesheets(&format!("{shift}\n{shift}\n0238,2025-06-04,VAL,450,0,0,0,0,0\n")),
        ),
    ]);
    let out = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run_june(contracts.path(), data.path(), out.path(), &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let json = invoices(&out.path().join("2025-06"));
    // Two identical shifts of 8 h and one of 7.5 h: 23.5 h × $25.08.
    assert_eq!(json["invoices"][0]["lines"][0]["amount"], "589.38");
    assert_eq!(json["invoices"][0]["total"], "589.38");
    let inputs = read(&out.path().join("2025-06").join("inputs.csv"));
    assert!(inputs.contains("timesheets.csv,3,3,0,0,0,0,0"), "{inputs}");
}

#[test]
fn an_adhoc_row_for_an_undeclared_group_is_a_bad_row() {
    let contracts = contract_0238(
        "    group 1 \"Valet\" { description \"Valet\" }\n    group 2 \"Shuttle\" { description \"Shuttle\" }\n    fixed_fee { title \"Management Fee\" amount $1,500 group 1 }\n",
    );
    let data = data_dir(&[
        ("revenue.csv", &revenue("")),
        ("gl.csv", "site,period,account,entity,balance\n"),
        (
            "adhoc.csv",
            "site,period,group,kind,title,gl,amount\n0238,2025-06,2,misc,Shuttle fuel,4790,80.00\n0238,2025-06,3,misc,Parking passes,4790,120.00\n",
        ),
    ]);
    let out = tempfile::tempdir().unwrap();
    let dir = refused_for(
        contracts.path(),
        data.path(),
        out.path(),
        "0238,bad_row,adhoc.csv:3,\"undeclared_group: invoice group 3 is not declared by the contract of site 0238, which declares groups 1, 2\"",
    );
    let inputs = read(&dir.join("inputs.csv"));
    assert!(inputs.contains("adhoc.csv,2,"), "{inputs}");
    assert!(
        inputs
            .lines()
            .any(|l| l.starts_with("adhoc.csv,2,") && l.ends_with(",1")),
        "{inputs}"
    );

    // Without the bad row, group 2's line is billed on the invoice of group 2.
    fs::write(
        data.path().join("adhoc.csv"),
        "site,period,group,kind,title,gl,amount\n0238,2025-06,2,misc,Shuttle fuel,4790,80.00\n",
    )
    .unwrap();
    let (code, stdout, stderr) = run_june(contracts.path(), data.path(), out.path(), &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let json = invoices(&dir);
    let numbers: Vec<&str> = json["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["0238-202506-01-01", "0238-202506-02-01"]);
    assert_eq!(json["invoices"][1]["total"], "80.00");
}

#[test]
fn text_that_is_not_utf8_is_a_bad_row_naming_the_column() {
    let dir = data_dir(&[]);
    let mut bytes = format!("{REVENUE_HEADER}\n").into_bytes();
    bytes.extend_from_slice(b"0238,2025-06-03,P\xffK,Parking,Transient,Y,1.00,1.00,0.00,0.075,4\n");
    fs::write(dir.path().join("revenue.csv"), bytes).unwrap();
    assert_eq!(
        report(dir.path()),
        "revenue.csv:2: not_utf8: `revenue_code` is not UTF-8 text [site 0238]"
    );
}

#[test]
fn bad_rows_fail_the_run_unless_told_to_skip_the_site() {
    let contracts = tempfile::tempdir().unwrap();
    for site in ["0238", "0239"] {
        fs::write(
            contracts.path().join(format!("{site}.bill")),
            format!(
                "use towne_park\ncontract \"{site}\" {{\n    customer \"Hotel {site}\"\n    revenue_share {{ codes [\"PK\"] tiers {{ 10% }} }}\n}}\n"
            ),
        )
        .unwrap();
    }
    let data = data_dir(&[(
        "revenue.csv",
        &revenue(
            "0238,2025-06-02,PK,Parking,Transient,Y,110.00,100.00,0.00,0.075,4\n0239,2025-06-02,PK,Parking,Transient,Y,110.00,1OO.00,0.00,0.075,4\n0239,2025-06-03,PK,Parking,Transient,Y,110.00,50.00,0.00,0.075,4\n",
        ),
    )]);
    let out = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run_june(contracts.path(), data.path(), out.path(), &[]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("revenue.csv:3: bad_amount: `net_external_revenue` `1OO.00` is not a decimal number"),
        "{stderr}"
    );
    let dir = out.path().join("2025-06");
    assert!(!dir.join("invoices.json").exists());
    assert!(!dir.join("invoices-summary.csv").exists());
    // The figures say so: refused, nothing billed, the two contracts counted but not evaluated.
    let figures = summary_figures(&dir);
    assert_eq!(figures["refused"], true);
    assert_eq!(figures["invoices"]["total"], 0);
    assert_eq!(figures["amounts"]["net"], "0.00");
    assert_eq!(
        figures["contracts"],
        serde_json::json!({"total": 2, "billed": 0, "failed": 0, "skipped": 0})
    );
    assert_eq!(figures["input"]["bad_rows"], 1);
    assert_eq!(figures["exceptions"]["bad_row"], 1);
    assert_eq!(figures["exceptions"]["run_refused"], 1);
    let exceptions = read(&dir.join("exceptions.csv"));
    assert!(exceptions.contains("0239,bad_row,revenue.csv:3,"), "{exceptions}");
    assert!(
        exceptions.contains(",run_refused,,\"no invoices were made: the data has bad rows"),
        "{exceptions}"
    );

    let (code, stdout, _) = run_june(contracts.path(), data.path(), out.path(), &["--skip-bad-sites"]);
    assert_eq!(code, 1, "a skipped contract still makes the exit status say so");
    assert!(stdout.contains("invoices           1"), "{stdout}");
    let json = invoices(&dir);
    assert_eq!(json["invoices"][0]["number"], "0238-202506-01-01");
    assert_eq!(json["invoices"][0]["total"], "10.00");
    let exceptions = read(&dir.join("exceptions.csv"));
    assert!(exceptions.contains("0239,site_skipped,"), "{exceptions}");
    // Its good row is not billed because its contract was skipped, not for want of a contract.
    assert!(
        exceptions.contains(
            "0239,unmatched_data,revenue.csv:4,1 row of 2025-06 not billed: the contract of site 0239 made no invoice (see its own row)"
        ),
        "{exceptions}"
    );
    let figures = summary_figures(&dir);
    assert_eq!(figures["refused"], false);
    assert_eq!(figures["amounts"]["receivables"], "10.00");
    assert_eq!(
        figures["contracts"],
        serde_json::json!({"total": 2, "billed": 1, "failed": 0, "skipped": 1})
    );
    assert_eq!(
        read(&dir.join("invoices-summary.csv")),
        "number,site,customer,group,date,due,status,reasons,total\n0238-202506-01-01,0238,Hotel 0238,1,2025-06-30,2025-07-30,ready,,10.00\n"
    );
}

#[test]
fn a_contract_whose_data_is_missing_goes_to_exceptions() {
    let contracts = tempfile::tempdir().unwrap();
    // 0240 is not in sites.csv, so its anniversary window has no start date.
    fs::write(
        contracts.path().join("0240.bill"),
        "use towne_park\ncontract \"0240\" {\n    customer \"New Hotel\"\n    revenue_share { codes [\"PK\"] accumulate anniversary tiers { 10% up to $1,000, 20% } }\n}\n",
    )
    .unwrap();
    fs::write(
        contracts.path().join("0238.bill"),
        "use towne_park\ncontract \"0238\" {\n    customer \"Hotel\"\n    fixed_fee { title \"Management Fee\" amount $1,500 }\n}\n",
    )
    .unwrap();
    let data = data_dir(&[]);
    let out = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run_june(contracts.path(), data.path(), out.path(), &[]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains("error: not billed cleanly: 1 contract failed (see "),
        "{stderr}"
    );
    let dir = out.path().join("2025-06");
    let json = invoices(&dir);
    assert_eq!(json["invoices"].as_array().unwrap().len(), 1);
    assert_eq!(json["invoices"][0]["total"], "1500.00");
    let exceptions = read(&dir.join("exceptions.csv"));
    let failed: Vec<&str> = exceptions.lines().filter(|l| l.contains("contract_failed")).collect();
    assert_eq!(failed.len(), 1, "{exceptions}");
    assert!(failed[0].starts_with("0240,contract_failed,"), "{exceptions}");
    assert!(failed[0].contains("missing data"), "{exceptions}");
    // The revenue of 0238 is not read by its fixed-fee contract: listed in unmatched.csv, not lost.
    let unmatched = read(&dir.join("unmatched.csv"));
    assert!(unmatched.contains("0238,revenue.csv,2,1,"), "{unmatched}");
}

// ------------------------------------------------------------------------- determinism, accounting

#[expect(clippy::unwrap_used, reason = "test helper")]
fn generated(sites: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = billc(&[
        "generate",
        "--sites",
        &sites.to_string(),
        "--period",
        "2025-06",
        "--months",
        "14",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    dir
}

fn run_generated(g: &Path, out: &Path, threads: &str) -> String {
    let (code, stdout, stderr) = run_june(&g.join("contracts"), &g.join("data"), out, &["--threads", threads]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    stdout
}

/// Every file byte for byte, `summary.json` without its `phases_seconds` object (the one part that
/// is measured, not computed: README → Running a month).
#[test]
fn output_is_byte_identical_whatever_the_threads() {
    let g = generated(40);
    let one = tempfile::tempdir().unwrap();
    let many = tempfile::tempdir().unwrap();
    run_generated(g.path(), one.path(), "1");
    run_generated(g.path(), many.path(), "4");
    let (one, many) = (
        common::period_files(&one.path().join("2025-06")),
        common::period_files(&many.path().join("2025-06")),
    );
    let names: Vec<&str> = one.keys().map(String::as_str).collect();
    assert_eq!(names, common::PERIOD_FILES);
    for (name, bytes) in &one {
        assert!(many.get(name) == Some(bytes), "{name} differs");
    }
    assert_eq!(one.len(), many.len());
}

#[test]
fn every_input_row_is_accounted_for() {
    let g = generated(25);
    let period = ym("2025-06");
    let set = billc_data::load(
        &g.path().join("data"),
        LoadOptions {
            period,
            history: 11,
            demand: None,
            groups: None,
        },
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    run_generated(g.path(), out.path(), "2");
    let inputs = read(&out.path().join("2025-06/inputs.csv"));
    let mut total = 0u64;
    for line in inputs.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        let n: Vec<u64> = cols[1..].iter().map(|c| c.parse().unwrap()).collect();
        // rows = used + unmatched + history + other_months + reference + bad
        assert_eq!(n[0], n[1..].iter().sum::<u64>(), "{line}");
        // and rows = the file's lines minus its header
        let text = read(&g.path().join("data").join(cols[0]));
        assert_eq!(n[0], text.lines().count() as u64 - 1, "{line}");
        total += n[0];
    }
    assert_eq!(total, set.rows_read());
    // 14 months generated, 12 read: the oldest two are counted, never aggregated.
    assert!(inputs.contains("revenue.csv,"));
    let revenue = inputs.lines().find(|l| l.starts_with("revenue.csv,")).unwrap();
    let other: u64 = revenue.split(',').nth(5).unwrap().parse().unwrap();
    assert!(other > 0, "{revenue}");
}

/// The run over the rows the contracts need is the run over every row: same invoices, same
/// exceptions, same accounting (rows nobody reads are history either way). A read the demand missed
/// would fail its contract ("not in the data loaded") and show here. `allow_missing` as on the
/// command line.
#[expect(clippy::unwrap_used, reason = "test")]
fn same_run_with_and_without_demand(
    contracts: &Path,
    data_dir: &Path,
    period: YearMonth,
    allow_missing: &[&str],
) -> usize {
    use billc_billing::period;
    let compiled = period::compile(period::read_contracts(&[contracts.to_path_buf()]).unwrap()).unwrap();
    let bill = |demand: bool| {
        let options = period::PeriodOptions {
            period,
            history: 11,
            skip_bad_sites: false,
            allow_missing: allow_missing.iter().map(|f| (*f).to_string()).collect(),
            demand,
        };
        let data = period::load_data(&compiled, data_dir, &options).unwrap();
        let progress = std::sync::atomic::AtomicUsize::new(0);
        period::bill(&compiled, &data, &options, &progress)
    };
    let (needed, all) = (bill(true), bill(false));
    assert_eq!(needed.failed_contracts, 0);
    assert_eq!(
        billc_billing::output::trace_json(period, &needed.output.invoices).unwrap(),
        billc_billing::output::trace_json(period, &all.output.invoices).unwrap()
    );
    assert_eq!(needed.output.exceptions, all.output.exceptions);
    assert_eq!(needed.accounts, all.accounts);
    needed.output.invoices.len()
}

#[test]
fn reading_only_what_contracts_need_bills_the_same() {
    // The repository's contracts (calendar-year, anniversary and monthly windows, escalations). The
    // example data's January is history only: no statistics or timesheets rows (see
    // `readme_command_bills_the_example_data`).
    for (period, allow) in [("2025-01", &["statistics", "timesheets"][..]), ("2025-03", &[])] {
        let n = same_run_with_and_without_demand(Path::new("contracts"), Path::new("examples/data"), ym(period), allow);
        assert!(n > 10, "{n} invoices");
    }
    // Generated sites of every kind.
    let g = generated(25);
    let n = same_run_with_and_without_demand(&g.path().join("contracts"), &g.path().join("data"), ym("2025-06"), &[]);
    assert_eq!(n, 25);
}

// ------------------------------------------------------------------------------------------ explain

#[test]
fn explain_real_invoices() {
    let g = generated(5);
    let out = tempfile::tempdir().unwrap();
    run_generated(g.path(), out.path(), "2");
    let dir = out.path().join("2025-06");
    let dir = dir.to_str().unwrap();
    // Kind 1: revenue share, three tiers, calendar-year window; kind 2: per labor hour; kind 3:
    // management agreement with profit share (see src/data/generate.rs).
    for (site, name) in [
        ("0001", "revenue_share_calendar_year"),
        ("0002", "per_labor_hour"),
        ("0003", "management_agreement_profit_share"),
    ] {
        let (code, stdout, stderr) = billc(&["explain", dir, site]);
        assert_eq!(code, 0, "{stderr}");
        let text = stdout.replace(&g.path().display().to_string(), "<generated>");
        insta::assert_snapshot!(name, text);
    }
    let (code, stdout, _) = billc(&["explain", dir, "0002-202506-01-01", "--format", "json"]);
    assert_eq!(code, 0);
    let found: Vec<billc_billing::invoice::Invoice> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].number, "0002-202506-01-01");
    let (code, _, stderr) = billc(&["explain", dir, "9999-202506-01-01"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("no invoice `9999-202506-01-01`"), "{stderr}");
}

#[test]
fn usage_errors_exit_with_2() {
    let (code, _, stderr) = billc(&[
        "run",
        "contracts/",
        "--data",
        "examples/data",
        "--period",
        "2025-13",
        "--out",
        "/tmp/x",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--period `2025-13` is not a month"), "{stderr}");
    let (code, _, _) = billc(&["run", "contracts/"]);
    assert_eq!(code, 2);
}

#[test]
fn a_missing_data_directory_is_an_error_naming_it() {
    let out = tempfile::tempdir().unwrap();
    let (code, _, stderr) = billc(&[
        "run",
        "contracts/",
        "--data",
        "no/such/dir",
        "--period",
        "2025-03",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "a path that does not exist is a usage error");
    assert!(
        stderr.contains("no/such/dir: cannot read the data directory"),
        "{stderr}"
    );
}

#[test]
fn billing_outside_the_sites_dates_needs_approval() {
    let contracts = tempfile::tempdir().unwrap();
    for site in ["0238", "0239", "0240"] {
        fs::write(
            contracts.path().join(format!("{site}.bill")),
            format!("use towne_park\ncontract \"{site}\" {{\n    customer \"Hotel {site}\"\n    fixed_fee {{ title \"Management Fee\" amount $1,500 }}\n}}\n"),
        )
        .unwrap();
    }
    let sites = "site,name,gl_string,start_date,close_date,vendor_id,billing_email\n\
                 0238,Open,g,2019-04-01,,V1,a@b.example\n\
                 0239,Closed,g,2019-04-01,2025-05-31,V1,a@b.example\n\
                 0240,Opening,g,2025-07-01,,V1,a@b.example\n";
    let data = data_dir(&[("sites.csv", sites)]);
    let out = tempfile::tempdir().unwrap();
    let (_, _, stderr) = run_june(contracts.path(), data.path(), out.path(), &[]);
    let dir = out.path().join("2025-06");
    let json = invoices(&dir);
    let status: Vec<(String, String, String)> = json["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["site"].as_str().unwrap().to_string(),
                i["status"].as_str().unwrap().to_string(),
                i["status_reasons"].to_string(),
            )
        })
        .collect();
    assert_eq!(
        status,
        vec![
            ("0238".into(), "ready".into(), "[]".into()),
            (
                "0239".into(),
                "needs_approval".into(),
                "[\"site 0239 closed on 2025-05-31 (sites.csv line 3), before 2025-06\"]".into()
            ),
            (
                "0240".into(),
                "needs_approval".into(),
                "[\"site 0240 starts on 2025-07-01 (sites.csv line 4), after 2025-06\"]".into()
            ),
        ],
        "{stderr}"
    );
    let exceptions = read(&dir.join("exceptions.csv")).replace(contracts.path().to_str().unwrap(), "<c>");
    assert_eq!(
        exceptions,
        "site,kind,location,message\n\
         0239,needs_approval,<c>/0239.bill,\"site 0239 closed on 2025-05-31 (sites.csv line 3), before 2025-06\"\n\
         0240,needs_approval,<c>/0240.bill,\"site 0240 starts on 2025-07-01 (sites.csv line 4), after 2025-06\"\n"
    );
}
