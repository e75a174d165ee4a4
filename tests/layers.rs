//! The layering inside each crate of the workspace, as README's code map states it: a module may
//! import (`crate::…`) only the modules its crate's `lib.rs` lists before it under "Modules, bottom
//! to top". Cargo refuses a cycle between crates; this test refuses an upward arrow inside one.
//! Comments and `#[cfg(test)]` modules are not read (tests may reach anywhere).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

const CRATES: [&str; 5] = [
    "billc-lang",
    "billc-data",
    "billc-billing",
    "billc-ledger",
    "billc-powerbill",
];

/// The module order written in a crate's `lib.rs` doc: the `` [`name`] `` links after "bottom to
/// top", up to the first one followed by a full stop.
fn declared_order(lib: &str) -> Vec<String> {
    let doc: String = lib
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .collect::<Vec<_>>()
        .join("\n");
    let after = doc.split("bottom to top").nth(1).unwrap_or_default();
    // The list ends at the first link followed by a full stop.
    let sentence = after.split("`].").next().unwrap_or_default();
    sentence
        .split("[`")
        .skip(1)
        .map(|s| s.split("`]").next().unwrap_or_default().to_string())
        .collect()
}

#[expect(clippy::unwrap_used, reason = "test helper")]
fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<_> = fs::read_dir(path).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for e in entries {
            rust_files(&e, out);
        }
    } else if path.is_file() && path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

/// The crate modules a source file names through `crate::x` or `crate::{x, y}`, outside comments
/// and its test module.
fn imports(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    let code: String = code
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = group.split('}').next().unwrap_or_default();
            for item in group.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.push(name);
            }
        } else {
            found.push(rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect());
        }
    }
    found
}

#[test]
fn no_module_imports_one_above_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates");
    let mut upward = Vec::new();
    for krate in CRATES {
        let src = root.join(krate).join("src");
        let lib = fs::read_to_string(src.join("lib.rs")).unwrap();
        let order = declared_order(&lib);
        assert!(order.len() >= 2, "{krate}/src/lib.rs lists no module order");
        let position: BTreeMap<&str, usize> = order.iter().enumerate().map(|(i, m)| (m.as_str(), i)).collect();
        let mut declared: Vec<String> = lib
            .lines()
            .filter_map(|l| l.strip_prefix("pub mod ").or_else(|| l.strip_prefix("mod ")))
            .filter(|l| l.ends_with(";"))
            .map(|l| l.trim_end_matches(";").to_string())
            .collect();
        declared.sort();
        let mut listed = order.clone();
        listed.sort();
        assert_eq!(
            declared, listed,
            "{krate}: the modules of lib.rs and its bottom-to-top list differ"
        );
        for module in &order {
            let mut files = Vec::new();
            rust_files(&src.join(format!("{module}.rs")), &mut files);
            rust_files(&src.join(module), &mut files);
            for file in files {
                let text = fs::read_to_string(&file).unwrap();
                for target in imports(&text) {
                    if let Some(&to) = position.get(target.as_str())
                        && to > position[module.as_str()]
                    {
                        upward.push(format!(
                            "{krate}: {} imports `{target}`, listed above `{module}`",
                            file.display()
                        ));
                    }
                }
            }
        }
    }
    upward.sort();
    upward.dedup();
    assert!(upward.is_empty(), "upward imports:\n{}", upward.join("\n"));
}

#[test]
fn the_order_is_read_from_the_doc() {
    let lib = "//! Modules, bottom to top (…): [`a`], [`b`],\n//! [`c`]. Then [`d`].\npub mod a;";
    assert_eq!(declared_order(lib), ["a", "b", "c"]);
    assert_eq!(
        imports("use crate::{a, b::X};\n// crate::z\nfn f() { crate::c::g() }"),
        ["a", "b", "c"]
    );
}
