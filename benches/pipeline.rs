//! Parse, check and compile the bundled contracts (criterion). Run: `cargo bench --bench pipeline`.

use billc_lang::session::Session;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn sources() -> Vec<(String, String)> {
    let mut paths = Vec::new();
    billc_billing::sources::collect(std::path::Path::new("contracts"), "bill", &mut paths).unwrap_or_default();
    paths
        .iter()
        .filter_map(|p| Some((p.to_string_lossy().to_string(), std::fs::read_to_string(p).ok()?)))
        .collect()
}

fn pipeline(c: &mut Criterion) {
    let sources = sources();
    c.bench_function("parse contracts/", |b| {
        b.iter(|| {
            for (_, text) in &sources {
                black_box(billc_lang::syntax::parser::parse(billc_lang::span::FileId(0), text));
            }
        })
    });
    c.bench_function("check+compile contracts/ (fresh session)", |b| {
        b.iter(|| {
            let mut session = Session::default();
            let files: Vec<_> = sources.iter().map(|(p, t)| session.add_file(p, t)).collect();
            black_box(session.plans(&files));
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = pipeline
}
criterion_main!(benches);
