//! N9.4, T5.2: the only code path that reads footage for export is the grant-checked retrieval.
//!
//! The recorder's `export` reads segments for export; `evidence::create_package` is its one
//! caller; `workflow::retrieval::export_for` is the one caller of that; and
//! `workflow::retrieval::retrieve` is the one caller of `export_for`, which it reaches only
//! after the policy's verdict was recorded and the grant was spent. This test reads the workspace's product sources (test code excluded)
//! and fails if any other call appears, so a new way out cannot be added unnoticed.

use std::path::{Path, PathBuf};

/// Product source files: every `crates/*/src/**/*.rs`, with test modules left out.
fn product_sources() -> Vec<(PathBuf, String)> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for krate in std::fs::read_dir(&crates).unwrap() {
        collect(&krate.unwrap().path().join("src"), &mut files);
    }
    files
        .into_iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name != "tests.rs" && !name.ends_with("_tests.rs")
        })
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            // A file's own `#[cfg(test)] mod tests { … }` comes last by convention.
            let product = match text.find("#[cfg(test)]\nmod tests {") {
                Some(i) => text[..i].to_owned(),
                None => text,
            };
            (p, product)
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Where `name(` is called (not defined), as (file, enclosing fn) pairs.
fn callers(sources: &[(PathBuf, String)], name: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (path, text) in sources {
        let mut at = 0;
        while let Some(i) = text[at..].find(&format!("{name}(")) {
            let i = at + i;
            at = i + name.len();
            let before = text[..i].chars().next_back().unwrap_or(' ');
            if before.is_alphanumeric() || before == '_' || text[..i].ends_with("fn ") {
                continue;
            }
            let line_start = text[..i].rfind('\n').map_or(0, |n| n + 1);
            if text[line_start..i].trim_start().starts_with("//") {
                continue;
            }
            found.push((file_name(path), enclosing_fn(&text[..i])));
        }
    }
    found
}

fn file_name(path: &Path) -> String {
    let parts: Vec<_> = path.components().rev().take(3).collect();
    let parts: Vec<_> = parts
        .iter()
        .rev()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// The name of the last `fn` declared before `prefix` ends.
fn enclosing_fn(prefix: &str) -> String {
    let i = prefix.rfind("fn ").expect("a call inside a function");
    prefix[i + 3..]
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

fn pair(file: &str, function: &str) -> (String, String) {
    (file.to_owned(), function.to_owned())
}

#[test]
fn n9_4_only_the_grant_checked_retrieval_reads_footage_for_export() {
    let sources = product_sources();
    assert!(sources.len() > 30, "found the workspace's sources");
    assert_eq!(
        callers(&sources, "export"),
        [pair("office/src/evidence.rs", "create_package")],
        "the recorder's export has one caller"
    );
    assert_eq!(
        callers(&sources, "create_package"),
        [pair("src/workflow/retrieval.rs", "package_and_record")],
        "packages are built only for a retrieval"
    );
    assert_eq!(
        callers(&sources, "package_and_record"),
        [pair("src/workflow/retrieval.rs", "export_for")],
        "…whose export_for starts them"
    );
    assert_eq!(
        callers(&sources, "export_for"),
        [pair("src/workflow/retrieval.rs", "retrieve")],
        "only the retrieval step exports"
    );
    // In `retrieve`, the verdict is recorded and the grant spent before anything is read.
    let (_, requests) = sources
        .iter()
        .find(|(p, _)| p.ends_with("office/src/workflow/retrieval.rs"))
        .unwrap();
    let body = &requests[requests.find("async fn retrieve(").unwrap()..];
    let body = &body[..body.find("\n}\n").unwrap()];
    let position = |needle: &str| {
        body.find(needle)
            .unwrap_or_else(|| panic!("retrieve calls {needle}"))
    };
    assert!(position("open_grant(") < position("record_refusal("));
    assert!(position("terminal_signed(") < position("record_refusal("));
    assert!(position("record_refusal(") < position("may_step("));
    assert!(position("may_step(") < position("use_grant("));
    assert!(position("use_grant(") < position("export_for("));
}
