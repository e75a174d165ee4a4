//! The hand-written fast path of the parser (`syntax::fast`) against pest, the reference: on every
//! `.bill` file of the repository, on generated contracts and on damaged variants of them, whenever
//! the fast path answers, its module is the one pest builds, pest reports no diagnostic, and the
//! entry point (`syntax::parse`) answers the same.

#[path = "../benches/common/gen.rs"]
mod generate;

use billc_lang::span::FileId;
use billc_lang::syntax::parser::parse_with_pest;
use billc_lang::syntax::{self, fast};
use std::path::{Path, PathBuf};

/// Checks one text; returns whether the fast path answered.
fn agrees(name: &str, text: &str) -> bool {
    let file = FileId(3);
    let Some(fast) = fast::parse(file, text) else {
        return false;
    };
    assert_eq!(
        syntax::parse(file, text),
        (fast.clone(), Vec::new()),
        "{name}: the entry point did not take the fast path"
    );
    let (module, diags) = parse_with_pest(file, text);
    assert!(
        diags.is_empty(),
        "{name}: the fast path accepted a file pest rejects: {diags:#?}"
    );
    assert_eq!(fast, module, "{name}: the fast path built another module");
    true
}

fn bill_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            bill_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "bill") {
            out.push(path);
        }
    }
}

#[test]
fn every_file_of_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["contracts", "stdlib", "tests", "examples"] {
        bill_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 50, "{files:?}");
    let mut answered = 0;
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        if agrees(&path.display().to_string(), &text) {
            answered += 1;
        }
    }
    // Most files are well-formed; the corpus of bad programs is not.
    assert!(answered * 3 > files.len(), "{answered} of {}", files.len());
}

#[test]
fn generated_contracts_take_the_fast_path() {
    for i in 0..500 {
        let text = generate::contract(i);
        assert!(
            agrees(&format!("generated {i}"), &text),
            "generated contract {i} left to pest:\n{text}"
        );
    }
    // `billc generate`'s contracts
    for i in 0..2000 {
        let text = billc_data::generate::contract(i);
        assert!(
            agrees(&format!("billc generate {i}"), &text),
            "contract {i} left to pest:\n{text}"
        );
    }
}

/// A small deterministic generator (xorshift), so that failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

#[test]
fn damaged_contracts_agree_or_go_to_pest() {
    const PIECES: [&str; 30] = [
        " ", "\n", "{", "}", "(", ")", "[", "]", ",", ":", "=", "-", "+", "/", "//", "///", "\"", "$", "%", " up to ",
        " plus ", " as ", " not ", "{x}", ".", "\\", " then ", "1", " h", "A",
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["contracts", "stdlib"] {
        bill_files(&root.join(dir), &mut files);
    }
    let mut bases: Vec<String> = files.iter().filter_map(|f| std::fs::read_to_string(f).ok()).collect();
    bases.extend((0..40).map(generate::contract));
    let rounds: usize = std::env::var("FAST_PARSER_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(4000);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut answered = 0;
    for round in 0..rounds {
        let mut text = bases[rng.next(bases.len())].clone();
        for _ in 0..1 + rng.next(3) {
            let at = rng.next(text.len());
            if !text.is_char_boundary(at) {
                continue;
            }
            match rng.next(3) {
                0 => text.insert_str(at, PIECES[rng.next(PIECES.len())]),
                1 => {
                    let end = (at + 1 + rng.next(4)).min(text.len());
                    if text.is_char_boundary(end) {
                        text.replace_range(at..end, "");
                    }
                }
                _ => {
                    let end = (at + 1 + rng.next(12)).min(text.len());
                    if text.is_char_boundary(end) {
                        let copy = text[at..end].to_string();
                        text.insert_str(at, &copy);
                    }
                }
            }
        }
        if agrees(&format!("round {round}:\n{text}"), &text) {
            answered += 1;
        }
    }
    // Many damaged files are still well-formed (a comment, a space, a digit more).
    assert!(answered * 10 > rounds, "{answered} of {rounds}");
}

/// The quoted words of a grammar rule (`name = @{ ("a" | "b") ~ !ident_char }`), in order.
fn rule_words(grammar: &str, rule: &str) -> Vec<String> {
    let start = grammar.find(&format!("\n{rule} ")).map_or(0, |at| at + 1);
    let body = &grammar[start..];
    let end = body.find('}').unwrap_or(body.len());
    body[..end].split('"').skip(1).step_by(2).map(str::to_string).collect()
}

#[test]
fn word_lists_follow_the_grammar() {
    let grammar = include_str!("../grammar/billc.pest");
    assert_eq!(rule_words(grammar, "keyword"), fast::KEYWORDS);
    assert_eq!(rule_words(grammar, "unit_word"), fast::UNIT_WORDS);
    // the fast path reads an ordered choice followed by `!ident_char` as "the whole word is one of
    // these", which holds while no word is a proper prefix of a later one
    for list in [&fast::KEYWORDS[..], &fast::UNIT_WORDS[..]] {
        for (i, earlier) in list.iter().enumerate() {
            assert!(
                !list[i + 1..].iter().any(|later| later.starts_with(earlier)),
                "{earlier}"
            );
        }
    }
}
