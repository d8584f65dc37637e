//! The library's modules form a one-way stack (docs/architecture.md):
//!
//! ```text
//! error, stats, json → taxonomy, text, tokenize → model → score → io
//!   → batch, eval, compare, train → report → facade → serve
//! ```
//!
//! Every `crate::` or `super::` path in non-test code must point to the same
//! layer or one below (and `train` may not import `eval` at all), and neither the top-level modules nor the files inside
//! one module may import each other in a circle. `pub use` re-exports and
//! `mod` declarations are not imports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layer of every top-level module; a module may import only from layers at
/// or below its own.
const LAYERS: &[(&str, u8)] = &[
    ("error", 0),
    ("stats", 0),
    ("json", 0),
    ("taxonomy", 1),
    ("text", 1),
    ("tokenize", 1),
    ("model", 2),
    ("score", 3),
    ("io", 4),
    ("batch", 5),
    ("eval", 5),
    ("compare", 5),
    ("train", 5),
    ("report", 6),
    ("facade", 7),
    ("serve", 8),
];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// A library source file and the module path it defines (`["model", "bert"]`).
struct SourceFile {
    path: PathBuf,
    module: Vec<String>,
    code: String,
}

fn source_files() -> Vec<SourceFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    files
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<SourceFile>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "cli") && dir == root {
                continue; // the binary's layer, above everything
            }
            collect(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).unwrap();
            let mut module: Vec<String> = rel
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if module.last().is_some_and(|m| m == "mod") {
                module.pop();
            }
            if module == ["lib"] || module == ["main"] {
                continue; // the crate root declares and re-exports
            }
            let code = non_test_code(&std::fs::read_to_string(&path).unwrap());
            out.push(SourceFile { path, module, code });
        }
    }
}

/// The file without its `#[cfg(test)]` items, comments and string contents.
fn non_test_code(src: &str) -> String {
    let mut out = String::new();
    let mut skip_depth: Option<usize> = None;
    let mut depth = 0usize;
    let mut pending_test = false;
    for line in src.lines() {
        let code = strip_comment_and_strings(line);
        let trimmed = code.trim();
        if skip_depth.is_none() && trimmed.starts_with("#[cfg(test)]") {
            pending_test = true;
            continue;
        }
        if pending_test && !trimmed.is_empty() {
            pending_test = false;
            if trimmed.ends_with(';') {
                continue; // a one-line item
            }
            skip_depth = Some(depth);
        }
        for c in code.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        if let Some(d) = skip_depth {
            if depth <= d && trimmed.contains('}') {
                skip_depth = None;
            }
            continue;
        }
        out.push_str(&code);
        out.push('\n');
    }
    out
}

/// A line without its `//` comment and with string literal contents blanked.
fn strip_comment_and_strings(line: &str) -> String {
    let mut out = String::new();
    let mut in_str = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if in_str {
            if c == '\\' {
                chars.next();
            } else if c == '"' {
                in_str = false;
                out.push('"');
            }
            continue;
        }
        if c == '"' {
            in_str = true;
            out.push('"');
        } else if c == '/' && chars.peek() == Some(&'/') {
            break;
        } else if c == '\'' {
            // a char literal such as '"' or '{': skip it whole; a lifetime has no closing quote
            let rest: String = chars.clone().take(3).collect();
            if let Some(end) = rest.find('\'') {
                for _ in 0..=end {
                    chars.next();
                }
            }
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// Every module path the code refers to through `crate::` or `super::`,
/// resolved to an absolute path; `use` groups are expanded and `pub use`
/// re-exports left out.
fn imports(file: &SourceFile) -> BTreeSet<Vec<String>> {
    let mut found = BTreeSet::new();
    let code = drop_reexports(&file.code);
    for path in expand_use_groups(&code) {
        if let Some(abs) = resolve(&file.module, &path) {
            found.insert(abs);
        }
    }
    found
}

/// Removes `pub use …;` and `pub(crate) use …;` statements.
fn drop_reexports(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(i) = rest.find("pub") {
        let tail = &rest[i..];
        let after_vis = tail
            .strip_prefix("pub(crate)")
            .or_else(|| tail.strip_prefix("pub"))
            .unwrap();
        if after_vis.trim_start().starts_with("use ") {
            out.push_str(&rest[..i]);
            let end = tail.find(';').map_or(tail.len(), |e| e + 1);
            rest = &tail[end..];
        } else {
            out.push_str(&rest[..i + 3]);
            rest = &rest[i + 3..];
        }
    }
    out.push_str(rest);
    out
}

/// All paths starting with `crate::` or `super::`, with `{a, b::c}` groups
/// expanded into one path each.
fn expand_use_groups(code: &str) -> Vec<String> {
    let bytes = code.as_bytes();
    let mut paths = Vec::new();
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(start) {
            let at = from + i;
            from = at + start.len();
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
                continue;
            }
            if start == "super::" && at >= 7 && &code[at - 7..at] == "super::" {
                continue; // the tail of a super::super:: path, counted from its start
            }
            paths.extend(expand_path(&code[at..]));
        }
    }
    paths
}

/// Expands the path at the start of `s` (`a::b::{c, d::e}`) into full paths.
fn expand_path(s: &str) -> Vec<String> {
    let mut prefix = String::new();
    for (i, c) in s.char_indices() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            prefix.push(c);
        } else if c == '{' {
            let inner = &s[i + 1..];
            let close = matching_brace(inner);
            return split_top_level(&inner[..close])
                .into_iter()
                .flat_map(|part| expand_path(part.trim()))
                .map(|p| format!("{prefix}{p}"))
                .collect();
        } else {
            break;
        }
    }
    vec![prefix]
}

fn matching_brace(s: &str) -> usize {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return i,
            '}' => depth -= 1,
            _ => {}
        }
    }
    s.len()
}

fn split_top_level(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut last) = (0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[last..i]);
                last = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[last..]);
    parts
}

/// `crate::a::b` or `super::b` (from module `m`) as an absolute module path.
fn resolve(module: &[String], path: &str) -> Option<Vec<String>> {
    let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let mut abs: Vec<String> = Vec::new();
    let mut rest = &segments[..];
    if rest.first() == Some(&"crate") {
        rest = &rest[1..];
    } else {
        abs = module.to_vec();
        while rest.first() == Some(&"super") {
            abs.pop()?;
            rest = &rest[1..];
        }
    }
    abs.extend(rest.iter().map(|s| s.to_string()));
    (!abs.is_empty()).then_some(abs)
}

#[test]
fn no_module_imports_from_a_layer_above_it() {
    let mut violations = Vec::new();
    for file in source_files() {
        let own = &file.module[0];
        let own_layer = layer(own).unwrap_or_else(|| {
            panic!(
                "{}: top-level module `{own}` has no layer in tests/architecture.rs",
                file.path.display()
            )
        });
        for target in imports(&file) {
            let Some(target_layer) = layer(&target[0]) else {
                continue; // an item of the crate root (`crate::Error`)
            };
            if target_layer > own_layer {
                violations.push(format!(
                    "{} ({own}, layer {own_layer}) imports {} (layer {target_layer})",
                    file.path.display(),
                    target.join("::")
                ));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "upward imports:\n{}",
        violations.join("\n")
    );
}

/// Imports forbidden although the layers would allow them: (from, to) top-level modules.
const FORBIDDEN: &[(&str, &str, &str)] = &[(
    "train",
    "eval",
    "training reads labelled sets through `io::labels` and statistics through `stats`; evaluating a trained model is the caller's step (`eval::tune::choose_span_decoding`)",
)];

#[test]
fn train_does_not_import_eval() {
    let mut violations = Vec::new();
    for file in source_files() {
        for (from, to, why) in FORBIDDEN {
            if file.module[0] != *from {
                continue;
            }
            for target in imports(&file).iter().filter(|t| t[0] == *to) {
                violations.push(format!(
                    "{} imports {} ({why})",
                    file.path.display(),
                    target.join("::")
                ));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "forbidden imports:\n{}",
        violations.join("\n")
    );
}

/// Edges between the children of `parent` (top-level modules when empty).
fn sibling_edges(files: &[SourceFile], parent: &[String]) -> BTreeMap<String, BTreeSet<String>> {
    let depth = parent.len();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        if file.module.len() <= depth || file.module[..depth] != *parent {
            continue;
        }
        let from = &file.module[depth];
        for target in imports(file) {
            if target.len() > depth && target[..depth] == *parent && &target[depth] != from {
                let to = &target[depth];
                if files.iter().any(|f| f.module.get(depth) == Some(to)) {
                    edges.entry(from.clone()).or_default().insert(to.clone());
                }
            }
        }
    }
    edges
}

fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(pos) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[pos..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, edges, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|n| visit(n, edges, &mut Vec::new(), &mut done))
}

#[test]
fn no_import_circles_between_modules_or_between_files_of_a_module() {
    let files = source_files();
    let parents: BTreeSet<Vec<String>> = files
        .iter()
        .flat_map(|f| (0..f.module.len()).map(|d| f.module[..d].to_vec()))
        .collect();
    let mut circles = Vec::new();
    for parent in parents {
        if let Some(cycle) = find_cycle(&sibling_edges(&files, &parent)) {
            let prefix = if parent.is_empty() {
                String::new()
            } else {
                format!("{}::", parent.join("::"))
            };
            circles.push(
                cycle
                    .iter()
                    .map(|m| format!("{prefix}{m}"))
                    .collect::<Vec<_>>()
                    .join(" → "),
            );
        }
    }
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_checker_sees_grouped_relative_and_inline_paths() {
    let file = SourceFile {
        path: "x.rs".into(),
        module: vec!["model".into(), "bert".into()],
        code: non_test_code(
            "use crate::{score::Pipeline, text::{segment, Sentence}};\nuse super::head::Head;\npub use crate::io::Hidden;\nfn f() { let _ = crate::eval::run(\"crate::batch\"); }\n#[cfg(test)]\nmod tests {\n    use crate::report::x;\n}\n",
        ),
    };
    let found: BTreeSet<String> = imports(&file).iter().map(|p| p.join("::")).collect();
    let want: BTreeSet<String> = [
        "score::Pipeline",
        "text::segment",
        "text::Sentence",
        "model::head::Head",
        "eval::run",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(found, want);
}

#[test]
fn circles_are_found() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.entry("a".into()).or_default().insert("b".into());
    edges.entry("b".into()).or_default().insert("c".into());
    assert_eq!(find_cycle(&edges), None);
    edges.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        find_cycle(&edges).unwrap(),
        ["a", "b", "c", "a"].map(String::from).to_vec()
    );
}
