//! `billc run` benchmarks (criterion): generated months for 100, 1,000 and 10,000 sites, measured as
//! the `csv` crate's own parsing of the same files (the baseline the loader is compared with), data
//! loading of every row and of the rows the contracts need (what `billc run` does), and a whole run
//! (load + evaluate + assemble, without writing files).
//!
//! Run: `cargo bench --bench run` (`-- "/100"` for the small sizes only; the 10,000-site data set,
//! 1.1 GB, is generated once under `target/bench-data/`). The end-to-end command with the output
//! files and peak memory is in README.md, "Performance".

use billc_data::LoadOptions;
use billc_data::generate::{GenOptions, generate};
use billc_lang::demand::Demand;
use billc_lang::session::Session;
use billc_lang::time::YearMonth;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicUsize;

const PERIOD: YearMonth = YearMonth { year: 2025, month: 6 };

/// Generates (once) `target/bench-data/<sites>/`.
#[expect(clippy::expect_used, reason = "bench setup: failing to write the data is fatal")]
fn dataset(sites: u32) -> PathBuf {
    let dir = Path::new("target/bench-data").join(sites.to_string());
    if !dir.join("data/timesheets.csv").is_file() {
        generate(
            &dir,
            GenOptions {
                sites,
                period: PERIOD,
                months: 13,
                seed: 1,
            },
        )
        .expect("generate bench data");
    }
    dir
}

/// Rows of the data directory, as the csv crate counts them, parsing every field.
#[expect(clippy::expect_used, reason = "bench: the generated files are valid")]
fn csv_crate_rows(dir: &Path) -> u64 {
    let mut rows = 0;
    for name in [
        "revenue",
        "statistics",
        "gl",
        "timesheets",
        "forecast",
        "sites",
        "indexes",
        "adhoc",
    ] {
        let mut reader = csv::ReaderBuilder::new()
            .from_path(dir.join(format!("{name}.csv")))
            .expect("open");
        let mut record = csv::ByteRecord::new();
        while reader.read_byte_record(&mut record).expect("read") {
            rows += 1;
            black_box(record.get(0));
        }
    }
    rows
}

#[expect(clippy::expect_used, reason = "bench: the generated data loads")]
fn load(dir: &Path, demand: Option<&Demand>) -> billc_data::DataSet {
    billc_data::load(
        &dir.join("data"),
        LoadOptions {
            period: PERIOD,
            history: 11,
            demand,
            groups: None,
        },
    )
    .expect("load")
}

#[expect(clippy::expect_used, reason = "bench setup")]
fn plans(dir: &Path) -> Vec<std::sync::Arc<billc_lang::plan::Plan>> {
    let mut paths = Vec::new();
    billc_billing::sources::collect(&dir.join("contracts"), "bill", &mut paths).expect("contracts");
    let mut session = Session::default();
    let files: Vec<_> = paths
        .iter()
        .map(|p| session.add_file(&p.to_string_lossy(), &std::fs::read_to_string(p).expect("read")))
        .collect();
    session.plans(&files)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("billc run");
    group.sample_size(10);
    for sites in [100u32, 1_000, 10_000] {
        let dir = dataset(sites);
        let plans = plans(&dir);
        let demand = Demand::of_plans(&plans, PERIOD, 11);
        let rows = load(&dir, None).rows_read();
        group.throughput(Throughput::Elements(rows));
        group.bench_with_input(BenchmarkId::new("csv crate parse", sites), &dir, |b, dir| {
            b.iter(|| csv_crate_rows(&dir.join("data")))
        });
        group.bench_with_input(BenchmarkId::new("load every row", sites), &dir, |b, dir| {
            b.iter(|| load(dir, None))
        });
        group.bench_with_input(BenchmarkId::new("load what contracts need", sites), &dir, |b, dir| {
            b.iter(|| load(dir, Some(&demand)))
        });
        group.bench_with_input(BenchmarkId::new("load + evaluate", sites), &dir, |b, dir| {
            b.iter(|| {
                let set = load(dir, Some(&demand));
                let options = billc_billing::run::RunOptions {
                    period: PERIOD,
                    skip_bad_sites: false,
                    allow_missing: Default::default(),
                };
                black_box(billc_billing::run::run(
                    &plans,
                    &set,
                    options,
                    String::new(),
                    &AtomicUsize::new(0),
                ))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
