//! Checking and compiling 10,000 generated contracts (one per site, five kinds using every common
//! stdlib component, see `src/data/generate.rs`), fresh and after editing one contract (salsa reuses
//! the other 9,999). Run: `cargo bench --bench check`.

use billc::data::generate::contract;
use billc::session::Session;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

const CONTRACTS: u32 = 10_000;

fn sources() -> Vec<(String, String)> {
    (0..CONTRACTS)
        .map(|i| (format!("contracts/{i:04}.bill"), contract(i)))
        .collect()
}

fn bench(c: &mut Criterion) {
    let sources = sources();
    let mut group = c.benchmark_group("check");
    group.sample_size(10);
    group.bench_function("check+compile 10,000 contracts (fresh session)", |b| {
        b.iter(|| {
            let mut session = Session::default();
            let files: Vec<_> = sources.iter().map(|(p, t)| session.add_file(p, t)).collect();
            black_box(session.check(&files))
        })
    });
    let mut session = Session::default();
    let files: Vec<_> = sources.iter().map(|(p, t)| session.add_file(p, t)).collect();
    session.diagnostics(&files);
    session.plans(&files);
    let (_, text) = &sources[1234];
    let edited = text.replace("customer \"Generated", "customer \"Edited");
    let mut flip = false;
    let file = files[1234];
    group.bench_function("re-check after editing one of 10,000 contracts", |b| {
        b.iter(|| {
            flip = !flip;
            session.set_text(file, if flip { &edited } else { text });
            black_box(session.check(&files))
        })
    });
    group.bench_function("re-check only the edited contract", |b| {
        b.iter(|| {
            flip = !flip;
            session.set_text(file, if flip { &edited } else { text });
            black_box(session.check(&[file]))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
