//! The bad-data corpus, end to end: a small June 2025 data directory that two tiny contracts bill
//! cleanly (every table read by some contract), changed one way per case — a row appended, a file
//! replaced, added, removed or renamed, made a folder, a FIFO, a socket or a dangling link, a month
//! folder added or misnamed, a period without data — and billed with `billc run --period 2025-06`.
//! Each case records its exit status, whether `invoices.json` was written and every row of
//! `exceptions.csv`, in one snapshot; each case's exit status is also asserted, so a case that
//! stops being caught (or a case that must bill and stops billing) fails loudly.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use std::fs;
use std::path::Path;

use common::billc;

const REVENUE_HEADER: &str = "site,date,revenue_code,category,collection_type,deposit_flag,external_revenue,net_external_revenue,billable_net_validation,tax_rate,vehicle_count";
const TIMESHEET_HEADER: &str = "site,date,job_code,regular_minutes,overtime_minutes,holiday_minutes,double_overtime_minutes,holiday_overtime_minutes,holiday_double_overtime_minutes";

/// Site 0238 reads every table: revenue, statistics, timesheets, gl, forecast (its review), indexes
/// (a CPI escalation) and adhoc (its two invoice groups). Site 0239 reads revenue and statistics.
const CONTRACTS: [(&str, &str); 2] = [
    (
        "0238.bill",
        r#"use towne_park

contract "0238" {
    customer "Hotel"
    review   over 10% and $2,500
    group 1 "Parking"
    group 2 "Shuttle"
    revenue_share  { codes ["PK"] tiers { 10% } }
    occupied_rooms { rate $1.50/room }
    per_labor_hour { job "VAL" title "Valet Services" rate $25.08/h overtime $25.08/h }
    billable_accounts { payroll ["6000"] expenses ["7000"] }
    fixed_fee { title "Management Fee" amount escalate($1,000, by: index_change("CPI"), every: january, since: 2024-06-01) group 2 }
}
"#,
    ),
    (
        "0239.bill",
        r#"use towne_park

contract "0239" {
    customer "Inn"
    revenue_share  { codes ["PK"] tiers { 10% } }
    occupied_rooms { rate $2.00/room }
}
"#,
    ),
];

/// The June 2025 rows that bill cleanly: the small files and statistics and gl at the top, the
/// month's revenue and timesheets in its month folder (as finance exports them).
/// A customer master for the two sites: a parent account over the inn.
const CUSTOMERS: &str = "customer,name,parent,billing_contacts,credit_limit,payment_terms\n\
                         HOT,Hotel Corp,,ap@hotel.example;billing@hotel.example,50000.00,Due in 30 Days\n\
                         GRP,Group,,,,\n\
                         INN,Inn Ltd,GRP,ap@inn.example,,\n";

/// Adds a `customer` column to sites.csv (0238 → HOT, 0239 → INN) and, unless `customers` is
/// empty, writes customers.csv.
fn with_customers(dir: &Path, customers: &str) {
    edit(dir, "sites.csv", |t| {
        t.replacen("billing_email\n", "billing_email,customer\n", 1)
            .replace("a@b.example\n", "a@b.example,HOT\n")
            .replace("c@d.example\n", "c@d.example,INN\n")
    });
    if !customers.is_empty() {
        write(dir, "customers.csv", customers);
    }
}

fn base_files() -> Vec<(&'static str, String)> {
    vec![
        (
            "sites.csv",
            "site,name,gl_string,start_date,close_date,vendor_id,billing_email\n\
             0238,Hotel,02-02-0238-,2019-04-01,,V1,a@b.example\n\
             0239,Inn,02-02-0239-,2020-01-01,,V2,c@d.example\n"
                .into(),
        ),
        (
            "2025-06/revenue.csv",
            format!(
                "{REVENUE_HEADER}\n\
                 0238,2025-06-01,PK,Parking,Transient,Y,110.00,100.00,0.00,0.075,4\n\
                 0238,2025-06-02,PK,Parking,Transient,Y,110.00,100.00,0.00,0.075,4\n\
                 0239,2025-06-01,PK,Parking,Transient,N,220.00,200.00,0.00,0.075,8\n"
            ),
        ),
        (
            "2025-06/timesheets.csv",
            format!("{TIMESHEET_HEADER}\n0238,2025-06-03,VAL,480,0,0,0,0,0\n"),
        ),
        (
            "statistics.csv",
            "site,date,category,value\n0238,2025-06-01,Occupied Rooms,120\n0239,2025-06-01,Occupied Rooms,80\n".into(),
        ),
        (
            "gl.csv",
            "site,period,account,entity,balance\n0238,2025-06,6000,01,500.00\n0238,2025-06,7000,01,200.00\n0238,2025-06,4790,01,-100.00\n".into(),
        ),
        ("forecast.csv", "site,period,internal_revenue\n0238,2025-06,1000.00\n".into()),
        ("indexes.csv", "index,period,value\nCPI,2023-12,300.0\nCPI,2024-12,306.0\n".into()),
        (
            "adhoc.csv",
            "site,period,group,kind,title,gl,amount\n0238,2025-06,2,misc,Shuttle fuel,4790,80.00\n".into(),
        ),
    ]
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// Appends rows (each ending in a newline) to a file of the base directory.
fn append(dir: &Path, name: &str, rows: &str) {
    let text = fs::read_to_string(dir.join(name)).unwrap();
    write(dir, name, &format!("{text}{rows}"));
}

/// Rewrites a file of the base directory.
fn edit(dir: &Path, name: &str, f: impl Fn(&str) -> String) {
    let text = fs::read_to_string(dir.join(name)).unwrap();
    write(dir, name, &f(&text));
}

fn rename(dir: &Path, from: &str, to: &str) {
    let to = dir.join(to);
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    fs::rename(dir.join(from), to).unwrap();
}

fn remove(dir: &Path, name: &str) {
    fs::remove_file(dir.join(name)).unwrap();
}

fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success());
}

/// Runs June over `data`: the exit status, whether invoices were written, the outcome line on
/// standard error and every row of `exceptions.csv`, temporary paths replaced.
fn run(contracts: &Path, data: &Path) -> (i32, String) {
    let out = tempfile::tempdir().unwrap();
    let (code, _, stderr) = billc(&common::june_args(contracts, data, out.path(), &[]));
    let dir = out.path().join("2025-06");
    let outcome = stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or("(billed cleanly)");
    let exceptions = fs::read_to_string(dir.join("exceptions.csv"))
        .unwrap_or_else(|_| "site,kind,location,message\n(no exceptions.csv)\n".into());
    assert!(exceptions.starts_with("site,kind,location,message\n"), "{exceptions}");
    let rows: Vec<&str> = exceptions.lines().skip(1).collect();
    let text = format!(
        "exit {code}; invoices written: {}\n{outcome}\n{}\n",
        dir.join("invoices.json").exists(),
        rows.join("\n")
    );
    let text = text
        .replace(&out.path().display().to_string(), "<out>")
        .replace(&data.display().to_string(), "<data>")
        .replace(&contracts.display().to_string(), "<contracts>");
    (code, text)
}

type Change = Box<dyn Fn(&Path)>;

/// A case that appends `rows` to `file`.
fn rows(file: &'static str, rows: &'static str) -> Change {
    Box::new(move |d| append(d, file, rows))
}

/// A case that replaces (or adds) `file` with `text`.
fn file(name: &'static str, text: String) -> Change {
    Box::new(move |d| write(d, name, &text))
}

const REVENUE: &str = "2025-06/revenue.csv";
const TIMESHEETS: &str = "2025-06/timesheets.csv";
const OK: &str = "0238,2025-06-02,PK,Parking,Transient,Y,110.00,100.00,0.00,0.075,4";

/// `(name, expected exit status, change)`: exit 0 is billed cleanly (the input accepted as it is, or
/// invoices that only need approval); 1 refused or not billed cleanly; 2 a usage error.
#[allow(clippy::too_many_lines, reason = "one table of cases")]
fn cases() -> Vec<(&'static str, i32, Change)> {
    vec![
        // ------------------------------------------------------------ accepted: must bill cleanly
        ("the base directory", 0, Box::new(|_| {})),
        (
            "CRLF line endings in every file",
            0,
            Box::new(|d| {
                for (name, _) in base_files() {
                    edit(d, name, |t| t.replace('\n', "\r\n"));
                }
            }),
        ),
        ("trailing blank lines", 0, rows("statistics.csv", "\n\n")),
        (
            "columns in another order",
            0,
            file(
                "gl.csv",
                "balance,entity,account,period,site\n500.00,01,6000,2025-06,0238\n200.00,01,7000,2025-06,0238\n-100.00,01,4790,2025-06,0238\n".into(),
            ),
        ),
        (
            "extra unknown columns",
            0,
            Box::new(|d| {
                edit(d, "statistics.csv", |t| {
                    t.lines().map(|l| format!("{l},x\n")).collect::<String>().replacen(",x\n", ",note\n", 1)
                });
            }),
        ),
        (
            "every field quoted",
            0,
            file(
                "statistics.csv",
                "\"site\",\"date\",\"category\",\"value\"\n\"0238\",\"2025-06-01\",\"Occupied Rooms\",\"120\"\n\"0239\",\"2025-06-01\",\"Occupied Rooms\",\"80\"\n".into(),
            ),
        ),
        (
            "revenue of a site without a contract",
            1,
            rows(REVENUE, "0240,2025-06-01,PK,Parking,Transient,Y,10.00,10.00,0.00,0.075,1\n"),
        ),
        ("an ad-hoc row of a site without a contract", 1, rows("adhoc.csv", "0240,2025-06,5,misc,Extra,4790,10.00\n")),
        ("a negative balance on an expense account", 0, rows("gl.csv", "0238,2025-06,7000,02,-50.00\n")),
        ("a shift worked twice (timesheets are not deduplicated)", 0, rows(TIMESHEETS, "0238,2025-06-03,VAL,480,0,0,0,0,0\n")),
        (
            "revenue rows differing in one column",
            0,
            rows(
                REVENUE,
                "0238,2025-06-02,PK,Parking,Transient,N,110.00,100.00,0.00,0.075,4\n\
                 0238,2025-06-02,PK,Parking,Transient,Y,110.00,100.00,0.00,0.075,5\n\
                 0238,2025-06-02,PK,Parking,Transient,Y,110.00,100.01,0.00,0.075,4\n",
            ),
        ),
        (
            "all files at the top level, no month folder",
            0,
            Box::new(|d| {
                rename(d, REVENUE, "revenue.csv");
                rename(d, TIMESHEETS, "timesheets.csv");
                fs::remove_dir(d.join("2025-06")).unwrap();
            }),
        ),
        (
            "earlier months at the top level beside the month folder",
            0,
            file("revenue.csv", format!("{REVENUE_HEADER}\n0238,2025-05-02,PK,Parking,Transient,Y,1.00,1.00,0.00,0.075,4\n")),
        ),
        (
            "a symbolic link to the revenue file",
            0,
            Box::new(|d| {
                rename(d, REVENUE, "exports/june-revenue.csv");
                std::os::unix::fs::symlink(d.join("exports/june-revenue.csv"), d.join(REVENUE)).unwrap();
            }),
        ),
        ("adhoc.csv absent (a small file may be)", 0, Box::new(|d| remove(d, "adhoc.csv"))),
        ("notes.txt is only reported", 0, file("notes.txt", "month-end notes\n".into())),
        ("an archive/ folder is only reported", 0, Box::new(|d| fs::create_dir(d.join("archive")).unwrap())),
        ("a misnamed file of another month is a warning", 1, file("2025-7/revenue.csv", "site\n".into())),
        ("a folder named 2025-13/ beside the month is a warning", 1, file("2025-13/revenue.csv", "site\n".into())),
        ("a misnamed file in a month folder not read", 1, file("2025-04/Revenue.csv", "site\n".into())),
        // ------------------------------------------------------------ bad rows: the run is refused
        ("bad amount", 1, rows(REVENUE, "0238,2025-06-03,PK,Parking,Transient,Y,110.00,12.3.4,0.00,0.075,4\n")),
        ("thousands separator", 1, rows(REVENUE, "0238,2025-06-03,PK,Parking,Transient,Y,\"1,234.50\",100.00,0.00,0.075,4\n")),
        ("exponent", 1, rows(REVENUE, "0238,2025-06-03,PK,Parking,Transient,Y,1e5,100.00,0.00,0.075,4\n")),
        ("empty amount", 1, rows(REVENUE, "0238,2025-06-03,PK,Parking,Transient,Y,,100.00,0.00,0.075,4\n")),
        ("impossible date", 1, rows(REVENUE, "0238,2025-06-31,PK,Parking,Transient,Y,1.00,1.00,0.00,0.075,4\n")),
        ("date format", 1, rows(REVENUE, "0238,06/15/2025,PK,Parking,Transient,Y,1.00,1.00,0.00,0.075,4\n")),
        ("unknown deposit flag", 1, rows(REVENUE, "0238,2025-06-03,PK,Parking,Transient,X,1.00,1.00,0.00,0.075,4\n")),
        ("tax rate as a percentage", 1, rows(REVENUE, "0238,2025-06-03,PK,Parking,Transient,Y,1.00,1.00,0.00,7.5,4\n")),
        ("negative vehicle count", 1, rows(REVENUE, "0238,2025-06-03,PK,Parking,Transient,Y,1.00,1.00,0.00,0.075,-4\n")),
        ("empty revenue code", 1, rows(REVENUE, "0238,2025-06-03,,Parking,Transient,Y,1.00,1.00,0.00,0.075,4\n")),
        ("short site", 1, rows(REVENUE, "238,2025-06-03,PK,Parking,Transient,Y,1.00,1.00,0.00,0.075,4\n")),
        ("missing field", 1, rows(REVENUE, "0238,2025-06-03,PK,Parking,Transient,Y,1.00,1.00,0.00,0.075\n")),
        ("unclosed quote", 1, rows(REVENUE, "0238,2025-06-03,\"PK,Parking,Transient,Y,1.00,1.00,0.00,0.075,4\n")),
        ("text after quote", 1, rows(REVENUE, "0238,2025-06-03,\"PK\"x,Parking,Transient,Y,1.00,1.00,0.00,0.075,4\n")),
        ("NUL in a text field", 1, rows(REVENUE, "0238,2025-06-03,P\u{0}K,Parking,Transient,Y,1.00,1.00,0.00,0.075,4\n")),
        (
            "text that is not UTF-8",
            1,
            Box::new(|d| {
                let mut bytes = fs::read(d.join(REVENUE)).unwrap();
                bytes.extend_from_slice(b"0238,2025-06-03,P\xffK,Parking,Transient,Y,1.00,1.00,0.00,0.075,4\n");
                fs::write(d.join(REVENUE), bytes).unwrap();
            }),
        ),
        ("an empty data row", 1, rows(REVENUE, ",,,,,,,,,,\n")),
        ("negative minutes", 1, rows(TIMESHEETS, "0238,2025-06-04,VAL,480,-30,0,0,0,0\n")),
        ("minutes not a number", 1, rows(TIMESHEETS, "0238,2025-06-04,VAL,8h,0,0,0,0,0\n")),
        ("bad gl period", 1, rows("gl.csv", "0238,2025-6,6010,01,500.00\n")),
        ("duplicate gl key", 1, rows("gl.csv", "0238,2025-06,6000,01,25.00\n")),
        ("repeated gl row", 1, rows("gl.csv", "0238,2025-06,6000,01,500\n")),
        (
            "repeated revenue row",
            1,
            rows(REVENUE, "0238,2025-06-03,PK,Parking,Transient,Y,110.00,100.00,0.00,0.075,4\n0238,2025-06-02,PK,Parking,Transient,Y,110.00,100.00,0.00,0.075,4\n"),
        ),
        (
            "revenue row repeated in another spelling",
            1,
            rows(
                REVENUE,
                "0238,2025-06-02,PK,Parking,Transient,Y,110,100.0,0,0.0750,4.0\n\"0238\",2025-06-02,\"PK\",Parking,Transient,Y,110.00,100.00,-0.00,0.075,4\n",
            ),
        ),
        (
            "repeated revenue row of an earlier month",
            0,
            file(
                "revenue.csv",
                format!("{REVENUE_HEADER}\n0238,2025-05-02,PK,Parking,Transient,Y,1.00,1.00,0.00,0.075,4\n0238,2025-05-02,PK,Parking,Transient,Y,1.00,1.00,0.00,0.075,4\n"),
            ),
        ),
        ("repeated statistic", 1, rows("statistics.csv", "0238,2025-06-02,Occupied Rooms,120\n0238,2025-06-02,Occupied Rooms,120.0\n")),
        ("second statistic of a day", 1, rows("statistics.csv", "0238,2025-06-01,Occupied Rooms,121\n")),
        ("negative statistic", 1, rows("statistics.csv", "0238,2025-06-02,Occupied Rooms,-1\n")),
        ("same row in a top-level file and a month folder", 1, file("revenue.csv", format!("{REVENUE_HEADER}\n{OK}\n"))),
        ("row outside its month folder", 1, rows(REVENUE, "0238,2025-05-31,PK,Parking,Transient,Y,1.00,1.00,0.00,0.075,4\n")),
        (
            "top-level row of a month with a folder",
            1,
            file("timesheets.csv", format!("{TIMESHEET_HEADER}\n0238,2025-06-05,VAL,60,0,0,0,0,0\n0238,2025-05-05,VAL,60,0,0,0,0,0\n")),
        ),
        ("duplicate site", 1, rows("sites.csv", "0238,Hotel again,g,2019-04-01,,V1,a@b.example\n")),
        (
            "close before start",
            1,
            Box::new(|d| edit(d, "sites.csv", |t| t.replace("2019-04-01,,", "2019-04-01,2018-01-01,"))),
        ),
        ("bad start date", 1, Box::new(|d| edit(d, "sites.csv", |t| t.replace("2020-01-01", "2020-1-1")))),
        ("duplicate forecast", 1, rows("forecast.csv", "0238,2025-06,1200.00\n")),
        ("bad forecast amount", 1, Box::new(|d| edit(d, "forecast.csv", |t| t.replace("1000.00", "$1000")))),
        ("index level zero", 1, rows("indexes.csv", "CPI,2025-06,0\n")),
        ("duplicate index", 1, rows("indexes.csv", "CPI,2024-12,307.0\n")),
        ("bad index period", 1, rows("indexes.csv", "CPI,2025-6,310.0\n")),
        ("unknown adhoc kind", 1, rows("adhoc.csv", "0238,2025-06,1,bonus,Extra,4790,10.00\n")),
        ("adhoc group zero", 1, rows("adhoc.csv", "0238,2025-06,0,misc,Extra,4790,10.00\n")),
        ("adhoc without title", 1, rows("adhoc.csv", "0238,2025-06,1,misc, ,4790,10.00\n")),
        ("adhoc bad amount", 1, rows("adhoc.csv", "0238,2025-06,1,misc,Extra,4790,ten\n")),
        // 0238 declares groups 1 and 2, 0239 none (group 1 only); an earlier month is not checked.
        (
            "adhoc for an undeclared group",
            1,
            rows("adhoc.csv", "0238,2025-06,3,misc,Extra,4790,10.00\n0239,2025-06,2,misc,Extra,4790,10.00\n0238,2025-05,3,misc,Extra,4790,10.00\n"),
        ),
        // ------------------------------------------------------------ files that stop the run
        (
            "missing column",
            1,
            Box::new(|d| edit(d, REVENUE, |t| t.replacen(",tax_rate,", ",", 1))),
        ),
        ("empty file", 1, file("gl.csv", String::new())),
        ("duplicate column", 1, file("gl.csv", "site,period,account,entity,balance,balance\n".into())),
        (
            "a header with a byte order mark",
            0,
            Box::new(|d| edit(d, "statistics.csv", |t| format!("\u{FEFF}{t}"))),
        ),
        // ------------------------------------------------------------ missing and misnamed data
        ("month folder removed", 1, Box::new(|d| fs::remove_dir_all(d.join("2025-06")).unwrap())),
        (
            "month folder emptied",
            1,
            Box::new(|d| {
                remove(d, REVENUE);
                remove(d, TIMESHEETS);
            }),
        ),
        ("month folder named 2025-6", 1, Box::new(|d| rename(d, "2025-06", "2025-6"))),
        ("month folder named 2025_06", 1, Box::new(|d| rename(d, "2025-06", "2025_06"))),
        ("month folder named 2025-13", 1, Box::new(|d| rename(d, "2025-06", "2025-13"))),
        ("month folder as 2025/06/", 1, Box::new(|d| rename(d, "2025-06", "2025/06"))),
        ("Revenue.csv", 1, Box::new(|d| rename(d, REVENUE, "2025-06/Revenue.csv"))),
        ("timesheet.csv", 1, Box::new(|d| rename(d, TIMESHEETS, "2025-06/timesheet.csv"))),
        ("revenue (1).csv", 1, Box::new(|d| rename(d, REVENUE, "2025-06/revenue (1).csv"))),
        ("revenue.csv.bak", 1, Box::new(|d| rename(d, REVENUE, "2025-06/revenue.csv.bak"))),
        ("gl.txt", 1, Box::new(|d| rename(d, "gl.csv", "gl.txt"))),
        (
            "revenue.csv is a folder",
            1,
            Box::new(|d| {
                remove(d, REVENUE);
                fs::create_dir(d.join(REVENUE)).unwrap();
            }),
        ),
        (
            "revenue.csv is a FIFO",
            1,
            Box::new(|d| {
                remove(d, REVENUE);
                mkfifo(&d.join(REVENUE));
            }),
        ),
        (
            "revenue.csv is a socket",
            1,
            Box::new(|d| {
                remove(d, REVENUE);
                // The listener is dropped at once; the socket file stays.
                std::os::unix::net::UnixListener::bind(d.join(REVENUE)).unwrap();
            }),
        ),
        (
            "revenue.csv is a dangling symbolic link",
            1,
            Box::new(|d| {
                remove(d, REVENUE);
                std::os::unix::fs::symlink("june-revenue.csv", d.join(REVENUE)).unwrap();
            }),
        ),
        ("a misnamed Adhoc.csv", 1, Box::new(|d| rename(d, "adhoc.csv", "Adhoc.csv"))),
        ("a misnamed forecast (1).csv", 1, Box::new(|d| rename(d, "forecast.csv", "forecast (1).csv"))),
        ("an empty export (header only)", 1, file(TIMESHEETS, format!("{TIMESHEET_HEADER}\n"))),
        (
            "a period with no data (the directory holds May)",
            1,
            Box::new(|d| {
                rename(d, "2025-06", "2025-05");
                for name in ["2025-05/revenue.csv", "2025-05/timesheets.csv", "statistics.csv", "gl.csv"] {
                    edit(d, name, |t| t.replace("2025-06", "2025-05"));
                }
            }),
        ),
        // ------------------------------------------------------------ a site without its rows
        (
            "a site without statistics rows",
            1,
            Box::new(|d| edit(d, "statistics.csv", |t| t.replace("0239,2025-06-01,Occupied Rooms,80\n", ""))),
        ),
        (
            "a site without gl rows",
            1,
            file("gl.csv", "site,period,account,entity,balance\n0239,2025-06,6000,01,1.00\n".into()),
        ),
        ("no forecast for a reviewed site", 1, Box::new(|d| remove(d, "forecast.csv"))),
        ("no index for an escalation", 1, Box::new(|d| remove(d, "indexes.csv"))),
        ("billing after the close date", 0, Box::new(|d| edit(d, "sites.csv", |t| t.replace("2020-01-01,,", "2020-01-01,2025-05-31,")))),
        ("billing before the start date", 0, Box::new(|d| edit(d, "sites.csv", |t| t.replace("2020-01-01,,", "2025-07-01,,")))),
        ("a contract site missing from sites.csv", 1, Box::new(|d| edit(d, "sites.csv", |t| t.replace("0239,Inn,02-02-0239-,2020-01-01,,V2,c@d.example\n", "")))),
        // ------------------------------------------------------------ the customer master
        ("customers.csv and a customer column in sites.csv", 0, Box::new(|d| with_customers(d, CUSTOMERS))),
        ("a customer column without customers.csv", 0, Box::new(|d| with_customers(d, ""))),
        (
            "a customer listed twice",
            1,
            Box::new(|d| with_customers(d, &format!("{CUSTOMERS}HOT,Hotel again,,,,\n"))),
        ),
        (
            "a customer whose parent is unknown",
            1,
            Box::new(|d| with_customers(d, &CUSTOMERS.replace("INN,Inn Ltd,GRP", "INN,Inn Ltd,NOPE"))),
        ),
        (
            "a cycle of parent accounts",
            1,
            Box::new(|d| with_customers(d, &CUSTOMERS.replace("GRP,Group,,", "GRP,Group,INN,"))),
        ),
        (
            "a billing contact that is no e-mail address",
            1,
            Box::new(|d| with_customers(d, &CUSTOMERS.replace("ap@hotel.example", "ap at hotel"))),
        ),
        (
            "a negative credit limit",
            1,
            Box::new(|d| with_customers(d, &CUSTOMERS.replace("50000.00", "-1.00"))),
        ),
        (
            "a credit limit that is no amount",
            1,
            Box::new(|d| with_customers(d, &CUSTOMERS.replace("50000.00", "50k"))),
        ),
        (
            "a site naming a customer customers.csv does not list",
            1,
            Box::new(|d| {
                with_customers(d, CUSTOMERS);
                edit(d, "sites.csv", |t| t.replace(",HOT\n", ",HOTEL\n"));
            }),
        ),
        ("revenue far from its forecast", 0, Box::new(|d| edit(d, "forecast.csv", |t| t.replace("1000.00", "90000.00")))),
    ]
}

#[test]
fn bad_data_corpus() {
    let contracts = tempfile::tempdir().unwrap();
    for (name, text) in CONTRACTS {
        write(contracts.path(), name, text);
    }
    let cases = cases();
    let mut names = std::collections::BTreeSet::new();
    let mut snapshot = String::new();
    let mut wrong = Vec::new();
    for (name, expected, change) in &cases {
        assert!(names.insert(*name), "two cases named `{name}`");
        let data = tempfile::tempdir().unwrap();
        for (file, text) in base_files() {
            write(data.path(), file, &text);
        }
        change(data.path());
        let (code, text) = run(contracts.path(), data.path());
        // Exit 0 is billed cleanly: with no rows at all the input was accepted as it is; with
        // rows, they are what exit 0 allows (invoices that need approval, entries only reported).
        let label = match (*expected, text.lines().filter(|l| !l.is_empty()).count() > 2) {
            (0, false) => " (accepted)",
            (0, true) => " (billed; see the rows)",
            _ => "",
        };
        snapshot.push_str(&format!("== {name}{label}\n{text}"));
        if code != *expected {
            wrong.push(format!("`{name}`: exit {code}, expected {expected}\n{text}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(cases.len() >= 60, "{} cases", cases.len());
    insta::assert_snapshot!(snapshot);
}
