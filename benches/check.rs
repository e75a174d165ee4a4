//! Check and compile 10,000 generated contracts, and re-check after editing one (criterion).
//! Run: `cargo bench --bench check`. Targets (issue 2): all 10,000 under 2 s, a re-check after
//! editing one contract under 20 ms. The contracts come from `benches/common/gen.rs`.

#[path = "common/gen.rs"]
mod generate;

use billc_lang::session::Session;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use std::hint::black_box;

const N: usize = 10_000;

fn check(c: &mut Criterion) {
    let sources = generate::contracts(N);
    let mut group = c.benchmark_group("10k generated contracts");
    group.sample_size(10);
    group.bench_function("check+compile all (fresh session)", |b| {
        b.iter(|| {
            let mut session = Session::default();
            let files: Vec<_> = sources.iter().map(|(p, t)| session.add_file(p, t)).collect();
            let diags = session.diagnostics(&files);
            black_box((diags, session.plans(&files)));
        })
    });

    // One warm session; each iteration edits one contract's text and re-checks everything.
    let mut session = Session::default();
    let files: Vec<_> = sources.iter().map(|(p, t)| session.add_file(p, t)).collect();
    black_box(session.diagnostics(&files));
    let edited = files.get(N / 2).copied();
    let original = sources.get(N / 2).map(|(_, t)| t.clone()).unwrap_or_default();
    let mut round = 0u32;
    group.bench_function("re-check all after editing one contract", |b| {
        b.iter_batched(
            || {
                round += 1;
                original.replace(
                    "customer \"Generated Hotel",
                    &format!("customer \"Edited {round} Hotel"),
                )
            },
            |text| {
                if let Some(file) = edited {
                    session.set_text(file, &text);
                }
                let diags = session.diagnostics(&files);
                black_box(diags);
            },
            BatchSize::PerIteration,
        )
    });

    // The first edit of a file is dearer: the file was MEDIUM durability (as loaded) and becomes LOW
    // (being edited), so salsa must walk the dependencies of every memo once.
    let mut next = 0usize;
    group.bench_function("re-check all after a first edit of another contract", |b| {
        b.iter_batched(
            || {
                next += 1;
                let i = (N / 2 + next) % N;
                let text = sources.get(i).map(|(_, t)| t.clone()).unwrap_or_default();
                (
                    files.get(i).copied(),
                    text.replace("customer \"Generated Hotel", "customer \"First edit Hotel"),
                )
            },
            |(file, text)| {
                if let Some(file) = file {
                    session.set_text(file, &text);
                }
                black_box(session.diagnostics(&files));
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, check);
criterion_main!(benches);
