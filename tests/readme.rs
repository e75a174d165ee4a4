//! README's examples are code: every ```` ```bill ```` block of README.md is checked and its test
//! blocks run by the `billc` binary, so the language tour cannot drift from the language.

mod common;

use common::billc;

/// The `bill` code blocks of README.md, with the line each starts on.
fn bill_blocks(readme: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (n, line) in readme.lines().enumerate() {
        match &mut current {
            None if line.trim_end() == "```bill" => current = Some((n + 2, String::new())),
            Some((start, text)) if line.trim_end() == "```" => {
                blocks.push((*start, std::mem::take(text)));
                current = None;
            }
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
            None => {}
        }
    }
    blocks
}

#[test]
fn every_bill_block_of_the_readme_checks_and_its_tests_pass() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let blocks = bill_blocks(&readme);
    assert!(!blocks.is_empty(), "README.md has no ```bill block");
    let dir = tempfile::tempdir().unwrap();
    for (line, text) in blocks {
        let path = dir.path().join(format!("readme_line_{line}.bill"));
        std::fs::write(&path, text).unwrap();
        let path = path.to_str().unwrap();
        let tests = text_tests(&std::fs::read_to_string(path).unwrap());
        let (code, stdout, stderr) = billc(&["check", path]);
        assert_eq!(code, 0, "README.md:{line}: the block does not check:\n{stderr}{stdout}");
        let (code, stdout, stderr) = billc(&["test", path]);
        assert_eq!(code, 0, "README.md:{line}: the block's tests fail:\n{stderr}{stdout}");
        assert_eq!(stdout, format!("{tests} passed, 0 failed\n"), "README.md:{line}");
    }
}

/// How many `test` blocks a source holds (a line starting with `test "`).
fn text_tests(text: &str) -> usize {
    text.lines().filter(|l| l.trim_start().starts_with("test \"")).count()
}
