//! Builtin functions: names, parameters and type rules. Their evaluation is in `eval`.
//!
//! Each builtin declares its parameters by name so that named arguments, defaults and arity errors
//! work the same for builtins as for `fn`s written in the language.

use crate::hir::Builtin;

/// A builtin parameter: its name and whether it may be left out.
pub struct BParam {
    pub name: &'static str,
    pub optional: bool,
}

const fn req(name: &'static str) -> BParam {
    BParam { name, optional: false }
}

const fn opt(name: &'static str) -> BParam {
    BParam { name, optional: true }
}

/// A builtin's name, parameters, whether it takes any number of arguments, and a one-line summary.
pub struct BuiltinSig {
    pub builtin: Builtin,
    pub name: &'static str,
    pub params: &'static [BParam],
    pub variadic: bool,
    pub summary: &'static str,
}

pub const BUILTINS: &[BuiltinSig] = &[
    BuiltinSig {
        builtin: Builtin::Sum,
        name: "sum",
        params: &[req("values")],
        variadic: false,
        summary: "Σ of a column (filtered with `where`) or of a list",
    },
    BuiltinSig {
        builtin: Builtin::Count,
        name: "count",
        params: &[req("rows")],
        variadic: false,
        summary: "number of rows of a table or column, or of items of a list",
    },
    BuiltinSig {
        builtin: Builtin::First,
        name: "first",
        params: &[req("column"), opt("default")],
        variadic: false,
        summary: "the value of the first row (in file order) of a filtered column",
    },
    BuiltinSig {
        builtin: Builtin::Min,
        name: "min",
        params: &[req("a")],
        variadic: true,
        summary: "the smallest of its arguments (or of a list)",
    },
    BuiltinSig {
        builtin: Builtin::Max,
        name: "max",
        params: &[req("a")],
        variadic: true,
        summary: "the largest of its arguments (or of a list)",
    },
    BuiltinSig {
        builtin: Builtin::Abs,
        name: "abs",
        params: &[req("value")],
        variadic: false,
        summary: "absolute value",
    },
    BuiltinSig {
        builtin: Builtin::Round,
        name: "round",
        params: &[req("value"), opt("places"), opt("mode")],
        variadic: false,
        summary: "round to `places` decimals (default 2) with a named mode (default half_away)",
    },
    BuiltinSig {
        builtin: Builtin::Ceil,
        name: "ceil",
        params: &[req("value")],
        variadic: false,
        summary: "the smallest whole number not below the value",
    },
    BuiltinSig {
        builtin: Builtin::Cap,
        name: "cap",
        params: &[req("value"), req("at")],
        variadic: false,
        summary: "the value, but at most `at`",
    },
    BuiltinSig {
        builtin: Builtin::Floor,
        name: "floor",
        params: &[req("value"), req("at")],
        variadic: false,
        summary: "the value, but at least `at`",
    },
    BuiltinSig {
        builtin: Builtin::Tiered,
        name: "tiered",
        params: &[req("amount"), req("tiers"), opt("window")],
        variadic: false,
        summary: "cumulative marginal tiers over an accumulation window (RULES.md §6)",
    },
    BuiltinSig {
        builtin: Builtin::Volume,
        name: "volume",
        params: &[req("amount"), req("tiers")],
        variadic: false,
        summary: "the whole amount at the price of the tier it reaches",
    },
    BuiltinSig {
        builtin: Builtin::Prior,
        name: "prior",
        params: &[req("value"), req("window")],
        variadic: false,
        summary: "Σ of the value over the earlier months of the window",
    },
    BuiltinSig {
        builtin: Builtin::At,
        name: "at",
        params: &[req("value"), req("month")],
        variadic: false,
        summary: "the value in another service month",
    },
    BuiltinSig {
        builtin: Builtin::Across,
        name: "across",
        params: &[req("sites"), req("value")],
        variadic: false,
        summary: "Σ of the value over several sites",
    },
    BuiltinSig {
        builtin: Builtin::Escalate,
        name: "escalate",
        params: &[
            req("base"),
            opt("by"),
            opt("add"),
            req("every"),
            opt("since"),
            opt("cap"),
            opt("floor"),
            opt("places"),
        ],
        variadic: false,
        summary: "a value raised every year on the 1st of a month, compounding",
    },
    BuiltinSig {
        builtin: Builtin::IndexChange,
        name: "index_change",
        params: &[req("index"), opt("months")],
        variadic: false,
        summary: "the change of a price index over the 12 months before the service month",
    },
    BuiltinSig {
        builtin: Builtin::IndexLevel,
        name: "index",
        params: &[req("index"), opt("month")],
        variadic: false,
        summary: "the level of a price index in a month",
    },
    BuiltinSig {
        builtin: Builtin::Prorate,
        name: "prorate",
        params: &[req("amount"), opt("from"), opt("to")],
        variadic: false,
        summary: "the amount times the share of the service month's days between two dates, both included",
    },
    BuiltinSig {
        builtin: Builtin::ByYear,
        name: "by_year",
        params: &[req("start"), req("values")],
        variadic: false,
        summary: "the value for the contract year of the service month (the last one repeats)",
    },
    BuiltinSig {
        builtin: Builtin::ServiceMonth,
        name: "service_month",
        params: &[],
        variadic: false,
        summary: "the month being billed",
    },
    BuiltinSig {
        builtin: Builtin::DaysInMonth,
        name: "days_in_month",
        params: &[opt("month")],
        variadic: false,
        summary: "the number of days of a month (default: the service month)",
    },
    BuiltinSig {
        builtin: Builtin::FirstDay,
        name: "first_day",
        params: &[opt("month")],
        variadic: false,
        summary: "the first day of a month (default: the service month)",
    },
    BuiltinSig {
        builtin: Builtin::LastDay,
        name: "last_day",
        params: &[opt("month")],
        variadic: false,
        summary: "the last day of a month (default: the service month)",
    },
    BuiltinSig {
        builtin: Builtin::AddMonths,
        name: "add_months",
        params: &[req("date"), req("months"), req("end")],
        variadic: false,
        summary: "a date moved by whole months with an explicit month-end policy (clamp or overflow)",
    },
    BuiltinSig {
        builtin: Builtin::ContractYear,
        name: "contract_year",
        params: &[req("start")],
        variadic: false,
        summary: "1 in the first twelve months from `start`, 2 in the next twelve, …",
    },
    BuiltinSig {
        builtin: Builtin::SiteStart,
        name: "site_start",
        params: &[],
        variadic: false,
        summary: "the site's first worked date (sites.csv)",
    },
    BuiltinSig {
        builtin: Builtin::Adhoc,
        name: "adhoc",
        params: &[req("kind"), opt("group")],
        variadic: false,
        summary: "Σ of the reviewer's ad-hoc amounts of a kind (adhoc.csv)",
    },
    BuiltinSig {
        builtin: Builtin::Len,
        name: "len",
        params: &[req("list")],
        variadic: false,
        summary: "the number of items of a list",
    },
    BuiltinSig {
        builtin: Builtin::Year,
        name: "year",
        params: &[req("month")],
        variadic: false,
        summary: "the year of a month",
    },
    BuiltinSig {
        builtin: Builtin::MonthNumber,
        name: "month_number",
        params: &[req("month")],
        variadic: false,
        summary: "the month of the year, 1 to 12",
    },
    BuiltinSig {
        builtin: Builtin::MonthOf,
        name: "month_of",
        params: &[req("date")],
        variadic: false,
        summary: "the month a date falls in",
    },
    BuiltinSig {
        builtin: Builtin::Lines,
        name: "lines",
        params: &[req("tag"), opt("group")],
        variadic: false,
        summary: "Σ of the rounded lines with a tag (optionally of one invoice group)",
    },
];

pub fn lookup(name: &str) -> Option<&'static BuiltinSig> {
    BUILTINS.iter().find(|b| b.name == name)
}

pub fn sig(builtin: Builtin) -> Option<&'static BuiltinSig> {
    BUILTINS.iter().find(|b| b.builtin == builtin)
}

/// The enumerations every module sees, with their variants.
pub const PRELUDE_ENUMS: &[(&str, &[&str])] = &[
    ("Window", &["monthly", "calendar_year", "anniversary"]),
    ("Rounding", &["half_away", "half_even", "up", "down"]),
    ("MonthName", &crate::time::MONTH_NAMES),
    ("Billing", &["arrears", "advanced"]),
    ("MonthEnd", &["clamp", "overflow"]),
    ("AdhocKind", &["misc", "reimbursable", "client_paid", "non_billable"]),
];
