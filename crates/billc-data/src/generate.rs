//! Synthetic but realistic months for any number of sites: a data directory in the layout of DATA.md
//! (revenue, statistics, timesheets, GL, forecast, sites, indexes, ad-hoc lines) and one contract per
//! site written with the Towne Park standard library, for benchmarks and end-to-end tests.
//!
//! Everything is a pure function of the options (a splitmix64 generator seeded per site and month), so
//! the same options give byte-identical files. Sites are generated in parallel and written in order.
//! Amounts are whole cents built from integers, never floats.

use billc_lang::time::YearMonth;
use chrono::Datelike;
use rayon::prelude::*;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct GenOptions {
    /// Number of sites (and contracts).
    pub sites: u32,
    /// The last month generated (the run's period).
    pub period: YearMonth,
    /// Months generated, ending with `period`.
    pub months: u32,
    /// Seed of the random generator.
    pub seed: u64,
}

/// What was written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Generated {
    pub contracts: u32,
    pub rows: u64,
    pub bytes: u64,
}

/// A small, fast, well-distributed deterministic generator (splitmix64).
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
}

fn rng(seed: u64, site: u32, salt: u64) -> SplitMix {
    SplitMix(seed ^ (u64::from(site) << 20) ^ salt.wrapping_mul(0x2545_f491_4f6c_dd1d))
}

/// Writes cents as a plain decimal: 123456 → "1234.56", -5 → "-0.05".
fn cents(out: &mut String, c: i64) {
    let sign = if c < 0 { "-" } else { "" };
    let a = c.unsigned_abs();
    let _ = write!(out, "{sign}{}.{:02}", a / 100, a % 100);
}

/// The kind of contract a site gets (by site number), so that every component is exercised.
fn kind_of(site: u32) -> u32 {
    site % 5
}

fn site_id(i: u32) -> String {
    format!("{:04}", i % 10_000)
}

/// Revenue codes of the generated sites: (code, category, collection type, deposit flag).
const CODES: [(&str, &str, &str, &str); 4] = [
    ("PK", "Parking", "Transient", "Y"),
    ("VL", "Valet", "Transient", "N"),
    ("MP", "Parking", "Monthly", "Y"),
    ("VAL", "Parking", "Validation", "V"),
];

/// The contract of generated site `i`.
pub fn contract(i: u32) -> String {
    let site = site_id(i);
    let mut r = rng(7, i, 0xc0);
    let fee = r.range(2_000, 9_000);
    let mut s = format!(
        "// Generated contract for site {site} (kind {}).\nuse towne_park\n\ncontract \"{site}\" {{\n    customer \"Generated Site {site}\"\n    billing  arrears\n    terms    \"Due in 30 Days\"\n    review   over 10% and $2,500\n\n",
        kind_of(i)
    );
    match kind_of(i) {
        0 => {
            let _ = write!(
                s,
                "    revenue_share {{\n        codes [\"PK\", \"VL\", \"MP\"]\n        tiers {{ 40% up to $50,000, 30% up to $120,000, 20% }}\n    }}\n    fixed_fee {{ title \"Monthly Management Fee\" amount ${fee}.00 }}\n"
            );
        }
        1 => {
            let _ = write!(
                s,
                "    revenue_share {{\n        codes      [\"PK\", \"VL\"]\n        accumulate calendar_year\n        tiers      {{ 40% up to $400,000, 25% up to $900,000, 12.5% }}\n        validation validate_percent(2%)\n    }}\n"
            );
        }
        2 => {
            let rate = r.range(1_800, 3_200);
            let _ = write!(
                s,
                "    per_labor_hour {{ job \"VAL\" title \"Valet Services\" rate ${}.{:02}/h overtime ${}.{:02}/h }}\n    per_labor_hour {{ job \"CSH\" title \"Cashier Services\" rate ${}.{:02}/h overtime ${}.{:02}/h }}\n",
                rate / 100,
                rate % 100,
                rate * 3 / 200,
                (rate * 3 / 2) % 100,
                rate / 100,
                rate % 100,
                rate / 100,
                rate % 100
            );
        }
        3 => {
            let _ = write!(
                s,
                "    billable_accounts {{\n        payroll  [\"6010\", \"6020\"]\n        expenses [\"6500\", \"7080\", \"7099\"]\n        pteb     18.5%\n        insurance true\n        claims   true\n    }}\n    management_agreement {{\n        fee           ${fee}.00\n        profit_share  true\n        profit_tiers  {{ 0% up to $10,000, 25% }}\n    }}\n"
            );
        }
        _ => {
            let rate = r.range(90, 250);
            let _ = write!(
                s,
                "    occupied_rooms {{ rate ${}.{:02}/room }}\n    revenue_share {{\n        codes      [\"PK\", \"VL\"]\n        accumulate anniversary\n        tiers      {{ 35% up to $300,000, 50% }}\n    }}\n",
                rate / 100,
                rate % 100
            );
        }
    }
    s.push_str("}\n");
    s
}

/// One site's rows of every table, appended to per-table buffers.
#[derive(Default)]
struct Buffers {
    revenue: String,
    statistics: String,
    timesheets: String,
    gl: String,
    forecast: String,
    rows: u64,
}

fn site_rows(i: u32, m: YearMonth, seed: u64) -> Buffers {
    let site = site_id(i);
    let mut b = Buffers::default();
    let kind = kind_of(i);
    {
        let mut r = rng(seed, i, m.index().unsigned_abs());
        let scale = r.range(60, 140) as i64;
        let mut month_revenue: i64 = 0;
        for day in 1..=m.days() {
            let date = format!("{}-{:02}-{day:02}", m.year, m.month);
            let weekday =
                chrono::NaiveDate::from_ymd_opt(m.year, m.month, day).map(|d| d.weekday().num_days_from_monday());
            for (code, category, collection, flag) in CODES {
                // Monthly parkers post on Mondays, validations on weekdays.
                let posts = match code {
                    "MP" => weekday == Some(0),
                    "VAL" => weekday.is_some_and(|w| w < 5),
                    _ => true,
                };
                if !posts {
                    continue;
                }
                let base = match code {
                    "PK" => 180_000,
                    "VL" => 120_000,
                    "MP" => 280_000,
                    _ => 9_000,
                } * scale
                    / 100;
                let gross = base + r.range(0, (base / 5).max(1) as u64) as i64;
                let net = gross * 92 / 100;
                let validation = if flag == "V" { net } else { 0 };
                if flag != "V" {
                    month_revenue += net;
                }
                let s = &mut b.revenue;
                let _ = write!(s, "{site},{date},{code},{category},{collection},{flag},");
                cents(s, gross);
                s.push(',');
                cents(s, net);
                s.push(',');
                cents(s, validation);
                let _ = writeln!(s, ",0.075,{}", r.range(20, 400));
                b.rows += 1;
            }
            if kind == 4 {
                let _ = writeln!(b.statistics, "{site},{date},Occupied Rooms,{}", r.range(80, 400));
                b.rows += 1;
            }
            let shifts = 2;
            for shift in 0..shifts {
                let job = if shift % 2 == 0 { "VAL" } else { "CSH" };
                let regular = r.range(240, 480);
                let overtime = if r.range(0, 9) == 0 { r.range(15, 120) } else { 0 };
                let holiday = if day == 25 && m.month == 12 { regular } else { 0 };
                let _ = writeln!(b.timesheets, "{site},{date},{job},{regular},{overtime},{holiday},0,0,0");
                b.rows += 1;
            }
        }
        let period = m.to_string();
        let payroll = r.range(3_000_000, 6_000_000) as i64;
        let accounts: [(&str, &str, i64); 8] = [
            ("4000", "01", -month_revenue),
            ("4790", "06", -month_revenue / 10),
            ("6010", "01", payroll),
            ("6020", "01", payroll / 8),
            ("6500", "01", r.range(100_000, 900_000) as i64),
            ("7080", "01", r.range(50_000, 150_000) as i64),
            ("7099", "01", r.range(0, 200_000) as i64),
            ("6500", "06", r.range(10_000, 50_000) as i64),
        ];
        for (account, entity, balance) in accounts {
            let s = &mut b.gl;
            let _ = write!(s, "{site},{period},{account},{entity},");
            cents(s, balance);
            s.push('\n');
            b.rows += 1;
        }
        let forecast = month_revenue * r.range(125, 150) as i64 / 100;
        let s = &mut b.forecast;
        let _ = write!(s, "{site},{period},");
        cents(s, forecast);
        s.push('\n');
        b.rows += 1;
    }
    b
}

/// Writes `<out>/contracts/*.bill` and `<out>/data/*.csv`.
pub fn generate(out: &Path, options: GenOptions) -> io::Result<Generated> {
    let contracts_dir = out.join("contracts");
    let data_dir = out.join("data");
    fs::create_dir_all(&contracts_dir)?;
    fs::create_dir_all(&data_dir)?;
    let first = options
        .period
        .plus(1 - i64::from(options.months.max(1)))
        .unwrap_or(options.period);
    let months: Vec<YearMonth> = first.through(options.period).collect();
    let n = options.sites.min(10_000);
    (0..n)
        .into_par_iter()
        .try_for_each(|i| fs::write(contracts_dir.join(format!("{}.bill", site_id(i))), contract(i)))?;
    let mut generated = Generated {
        contracts: n,
        ..Generated::default()
    };
    let headers = [
        (
            "revenue.csv",
            "site,date,revenue_code,category,collection_type,deposit_flag,external_revenue,net_external_revenue,billable_net_validation,tax_rate,vehicle_count",
        ),
        ("statistics.csv", "site,date,category,value"),
        (
            "timesheets.csv",
            "site,date,job_code,regular_minutes,overtime_minutes,holiday_minutes,double_overtime_minutes,holiday_overtime_minutes,holiday_double_overtime_minutes",
        ),
        ("gl.csv", "site,period,account,entity,balance"),
        ("forecast.csv", "site,period,internal_revenue"),
    ];
    let mut writers = headers
        .iter()
        .map(|(name, header)| {
            let mut w = io::BufWriter::with_capacity(1 << 20, fs::File::create(data_dir.join(name))?);
            writeln!(w, "{header}")?;
            Ok(w)
        })
        .collect::<io::Result<Vec<_>>>()?;
    // Months outer, sites inner: a real export is ordered by date. Batches of sites in parallel.
    for month in &months {
        let ids: Vec<u32> = (0..n).collect();
        for batch in ids.chunks(512) {
            let parts: Vec<Buffers> = batch.par_iter().map(|&i| site_rows(i, *month, options.seed)).collect();
            for p in parts {
                generated.rows += p.rows;
                for (w, text) in writers
                    .iter_mut()
                    .zip([&p.revenue, &p.statistics, &p.timesheets, &p.gl, &p.forecast])
                {
                    w.write_all(text.as_bytes())?;
                    generated.bytes += text.len() as u64;
                }
            }
        }
    }
    for mut w in writers {
        w.flush()?;
    }
    let mut sites = String::from("site,name,gl_string,start_date,close_date,vendor_id,billing_email\n");
    for i in 0..n {
        let site = site_id(i);
        let mut r = rng(options.seed, i, 0x51);
        let year = 2015 + r.range(0, 9);
        let month = r.range(1, 12);
        let day = r.range(1, 28);
        let _ = writeln!(
            sites,
            "{site},Generated Site {site},02-02-{site}-,{year}-{month:02}-{day:02},,V{site},billing{site}@example.com"
        );
        generated.rows += 1;
    }
    fs::write(data_dir.join("sites.csv"), &sites)?;
    generated.bytes += sites.len() as u64;
    let mut indexes = String::from("index,period,value\n");
    let mut cpi: i64 = 30_000;
    let start = options.period.plus(-36).unwrap_or(options.period);
    for m in start.through(options.period) {
        cpi += 60 + (m.index() % 7) * 5;
        let _ = write!(indexes, "CPI,{m},");
        cents(&mut indexes, cpi * 10);
        indexes.push('\n');
        generated.rows += 1;
    }
    fs::write(data_dir.join("indexes.csv"), &indexes)?;
    fs::write(data_dir.join("adhoc.csv"), "site,period,group,kind,title,gl,amount\n")?;
    generated.bytes += indexes.len() as u64;
    Ok(generated)
}
