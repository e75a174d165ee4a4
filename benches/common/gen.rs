//! A generator of varied, realistic contracts over the standard library's components, for the
//! benches (`benches/check.rs`) and the incremental test. Deterministic: contract `i` is always the
//! same text, so a bench run is reproducible. Included with `#[path]` by `benches/check.rs`,
//! `tests/incremental.rs` and `tests/diagnostics.rs` (damaged contracts), so it is no library code.
#![allow(dead_code, reason = "each includer uses only part of the generator")]

/// The text of generated contract number `i` (site `1000 + i % 9000`, with a unique customer).
pub fn contract(i: usize) -> String {
    let site = 1000 + i % 9000;
    let mut out = String::with_capacity(1500);
    out.push_str("use towne_park\n\n");
    out.push_str(&format!("contract \"{site}\" {{\n"));
    out.push_str(&format!("    customer \"Generated Hotel {i}\"\n"));
    // Billed in advance: a third of the contracts, but never one that bills hours worked (the
    // labour of `per_labor_hour`, `i % 5 == 3`), which is warning W0504.
    let advanced = i.is_multiple_of(3) && i % 5 != 3;
    out.push_str(if advanced {
        "    billing  advanced\n"
    } else {
        "    billing  arrears\n"
    });
    out.push_str("    terms    \"Due in 30 Days\"\n");
    out.push_str(&format!("    review   over {}% and ${},500\n", 5 + i % 10, 1 + i % 4));
    out.push_str("    group 1 \"Parking\"\n");
    out.push_str("    group 2 \"Labor\" { description \"PO#: 96000\" }\n\n");
    let a = 50_000 + (i % 97) * 1_000;
    let b = a + 40_000 + (i % 13) * 1_000;
    match i % 5 {
        0 | 1 => {
            let window = ["monthly", "calendar_year", "anniversary"][i % 3];
            out.push_str("    revenue_share {\n");
            out.push_str("        codes      [\"PK\", \"VL\"]\n");
            out.push_str(&format!("        accumulate {window}\n"));
            out.push_str(&format!(
                "        tiers      {{ {}% up to ${a}, {}% up to ${b}, {}.75% }}\n",
                30 + i % 20,
                15 + i % 10,
                5 + i % 5
            ));
            if i.is_multiple_of(2) {
                out.push_str("        validation validate_percent(2%)\n");
            }
            out.push_str("    }\n");
        }
        2 => {
            out.push_str(&format!(
                "    management_agreement {{\n        fee $9{:02}.00\n        revenue_percent {}%\n        profit_share true\n        profit_tiers {{ 0% up to ${a}, 50% }}\n    }}\n",
                i % 100,
                1 + i % 4
            ));
            out.push_str(
                "    billable_accounts {\n        payroll [\"6000\", \"6010\"]\n        expenses [\"7000\", \"7080\"]\n        pteb 35%\n        support_percent 7%\n        insurance true\n    }\n",
            );
        }
        3 => {
            out.push_str(&format!(
                "    per_labor_hour {{ job \"GSA\" title \"Valet Services\" rate ${}.08/h overtime ${}.62/h group 2 }}\n",
                20 + i % 10,
                30 + i % 10
            ));
            out.push_str(&format!("    mid_month_advance ${},000\n", 5 + i % 10));
        }
        _ => {
            out.push_str(&format!(
                "    fixed_fee {{ title \"Monthly Management Fee\" amount ${},250.00 }}\n",
                1 + i % 9
            ));
            out.push_str("    deposited_revenue { parking_tax true }\n");
        }
    }
    // The shuttle: hours worked in arrears, a fixed 160 hours a month when billed in advance.
    let hours = if advanced {
        "160h"
    } else {
        "sum(timesheets.regular_hours where job_code == \"SHT\")"
    };
    out.push_str(&format!(
        "\n    let rate: Money/Hour = ${}.{:02}/h\n    line \"Shuttle {i}\" gl 4700 group 2 = round(rate * {hours})\n",
        18 + i % 7,
        i % 100
    ));
    if i.is_multiple_of(4) {
        out.push_str(&format!(
            "    check sum(revenue.net_external_revenue) >= $0 else exception \"negative revenue at {site}\"\n"
        ));
    }
    out.push_str("}\n");
    out
}

/// `n` generated contracts as (path, text).
pub fn contracts(n: usize) -> Vec<(String, String)> {
    (0..n).map(|i| (format!("gen/{i:05}.bill"), contract(i))).collect()
}
