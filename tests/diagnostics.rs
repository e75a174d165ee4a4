//! The diagnostics corpus: every `tests/corpus/*.bill` is a small wrong program. Its first line says
//! which codes it must produce, in order (`// expect: E0202` or `// expect: E0001 E0001`); the
//! rendered diagnostics (plain, as `billc check` prints them) are snapshotted with insta.
//!
//! Update the snapshots with `INSTA_UPDATE=always cargo test --test diagnostics` and review every
//! `.snap` by eye: it must name file, line, column and the reason, and help where it can.

use billc_lang::diag::{Code, Diagnostic};
use billc_lang::session::Session;
use std::collections::BTreeSet;
use std::path::Path;

/// Codes that no `.bill` file checked by `billc check` can produce, and why.
const UNREACHABLE: &[(Code, &str)] = &[
    (
        Code::UnknownContract,
        "test blocks live inside their contract, so a test never names a contract by site yet",
    ),
    (
        Code::TooComplex,
        "a backstop: brackets are checked before pest reads a file, and no file under 2.8 MB needs \
         the 20 million rule calls it allows (syntax::parser::CALL_LIMIT)",
    ),
    (
        Code::DocExample,
        "doc examples are evaluated by `billc test`, not by `billc check`",
    ),
];

/// Checks one corpus file as `billc check` would: the file under its own name, with the stdlib.
#[expect(
    clippy::unwrap_used,
    reason = "test helper: an unreadable corpus file is a test failure"
)]
fn check(path: &Path) -> (String, Vec<Diagnostic>, String) {
    let text = std::fs::read_to_string(path).unwrap();
    let name = format!("corpus/{}", path.file_name().unwrap().to_string_lossy());
    let mut session = Session::default();
    let file = session.add_file(&name, &text);
    let diags = session.diagnostics(&[file]);
    let sources = session.sources();
    let list: Vec<(&str, &str)> = sources.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let rendered = billc_lang::diag::render::render_plain(&diags, &list);
    (text, diags, rendered)
}

/// The codes a corpus file declares on its first line.
fn expected_codes(text: &str) -> Vec<String> {
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix("// expect:"))
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

#[test]
fn corpus() {
    insta::glob!("corpus/*.bill", |path| {
        let (text, diags, rendered) = check(path);
        let codes: Vec<String> = diags.iter().map(|d| d.code.as_str().to_string()).collect();
        assert_eq!(codes, expected_codes(&text), "codes of {}:\n{rendered}", path.display());
        insta::assert_snapshot!(format!("----- SOURCE\n{text}\n----- DIAGNOSTICS\n{rendered}"));
    });
}

#[test]
fn every_code_is_in_the_corpus_or_unreachable() {
    let mut seen = BTreeSet::new();
    let mut files = 0;
    for entry in std::fs::read_dir("tests/corpus").into_iter().flatten().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "bill") {
            files += 1;
            seen.extend(check(&path).1.iter().map(|d| d.code));
        }
    }
    assert!(files >= 45, "the corpus has only {files} files");
    let unreachable: BTreeSet<Code> = UNREACHABLE.iter().map(|(c, _)| *c).collect();
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !seen.contains(c) && !unreachable.contains(c))
        .map(|c| c.as_str())
        .collect();
    assert_eq!(missing, Vec::<&str>::new(), "codes with no corpus case");
    let listed_but_seen: Vec<&str> = unreachable.intersection(&seen).map(|c| c.as_str()).collect();
    assert_eq!(
        listed_but_seen,
        Vec::<&str>::new(),
        "listed as unreachable, yet produced"
    );
}

/// (line, code) of each diagnostic of a corpus file.
fn lines_and_codes(name: &str) -> Vec<(usize, &'static str)> {
    let path = Path::new("tests/corpus").join(name);
    let (text, diags, _) = check(&path);
    diags
        .iter()
        .map(|d| {
            let before = text.get(..d.primary.span.start as usize).unwrap_or("");
            (before.matches('\n').count() + 1, d.code.as_str())
        })
        .collect()
}

#[test]
fn a_bad_line_in_a_contract_body_does_not_hide_the_others() {
    // Two broken lets, each reported on its own line; the good lines between them are checked.
    assert_eq!(
        lines_and_codes("recover_two_bad_lines.bill"),
        vec![(5, "E0001"), (7, "E0001")]
    );
    // A syntax error, then a type error on the next line of the same contract.
    assert_eq!(
        lines_and_codes("recover_bad_line_then_type_error.bill"),
        vec![(5, "E0001"), (6, "E0202")]
    );
    // A broken line, a broken `fn`, and type and name errors around them: all five reported.
    assert_eq!(
        lines_and_codes("recover_across_items.bill"),
        vec![(5, "E0001"), (10, "E0001"), (12, "E0202"), (6, "E0203"), (7, "E0104")]
    );
    // In a component: two syntax errors and a name error between them.
    assert_eq!(
        lines_and_codes("recover_three_errors_in_component.bill"),
        vec![(3, "E0001"), (5, "E0001"), (4, "E0101")]
    );
}

#[path = "../benches/common/gen.rs"]
mod generate;

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Damaged contracts (a slice cut out, garbage put in) never panic the parser or the checker,
    /// and every diagnostic points inside the file, on character boundaries.
    #[test]
    fn damaged_contracts_give_diagnostics_not_panics(
        which in 0usize..50,
        cut_at in 0.0f64..1.0,
        cut_len in 0usize..40,
        garbage in "[a-z{}()\\[\\]=+*$%\" \n0-9]{0,12}",
    ) {
        let text = generate::contract(which);
        let mut at = ((text.len() as f64) * cut_at) as usize;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let mut end = (at + cut_len).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let damaged = format!("{}{}{}", &text[..at], garbage, &text[end..]);
        let mut session = Session::default();
        let file = session.add_file("damaged.bill", &damaged);
        let diags = session.diagnostics(&[file]);
        for d in &diags {
            let span = d.primary.span;
            if span.file.0 as usize == session.files().len() - 1 {
                prop_assert!(span.end as usize <= damaged.len(), "{:?}", d);
                prop_assert!(damaged.is_char_boundary(span.start as usize) && damaged.is_char_boundary(span.end as usize));
            }
        }
        let sources = session.sources();
        let list: Vec<(&str, &str)> = sources.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
        let rendered = billc_lang::diag::render::render_plain(&diags, &list);
        prop_assert_eq!(rendered.is_empty(), diags.is_empty());
    }
}

/// Every keyword is refused as a name, and names that merely start like a keyword are accepted
/// (the grammar's `keyword` rule is grouped by first letter for speed).
#[test]
fn keywords_are_not_names_and_near_misses_are() {
    for kw in billc_lang::syntax::fast::KEYWORDS {
        let (_, errors) = billc_lang::syntax::parser::parse(billc_lang::span::FileId(0), &format!("const {kw} = 1\n"));
        assert_eq!(errors.len(), 1, "`{kw}` was accepted as a name");
        let near = format!("{kw}x");
        let (module, errors) =
            billc_lang::syntax::parser::parse(billc_lang::span::FileId(0), &format!("const {near} = 1\n"));
        assert!(errors.is_empty(), "`{near}` was refused: {errors:?}");
        assert_eq!(module.items.len(), 1);
    }
    for near in ["a", "co", "contrac", "f", "fo", "i", "t", "te", "wher", "_use", "Use"] {
        let (_, errors) =
            billc_lang::syntax::parser::parse(billc_lang::span::FileId(0), &format!("const {near} = 1\n"));
        assert!(errors.is_empty(), "`{near}` was refused: {errors:?}");
    }
}
