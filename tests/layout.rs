//! Keeps the source tree a house to grow in: no import cycle between files, no source file
//! over 600 lines (its `#[cfg(test)] mod tests` and test-only files not counted), and every
//! rule in the catalog in a file of its own, named after its id, that declares it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Most lines of code (tests excluded) a source file may have.
const MAX_LINES: usize = 600;

type Module = Vec<String>;

struct Tree {
    /// Module path -> file, relative to `src/`.
    files: BTreeMap<Module, String>,
    /// (module, item) -> the child module a `pub use` re-exports it from.
    reexports: BTreeMap<(Module, String), Module>,
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its trailing test module and comments.
fn code(text: &str) -> String {
    let end = text
        .find("\n#[cfg(test)]\nmod tests")
        .or_else(|| text.find("\n#[cfg(test)]\npub(crate) mod tests"))
        .unwrap_or(text.len());
    text[..end]
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths a `use` tree names: `a::{b, c::{d, e}}` -> `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<Vec<String>> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![segments(tree)];
    };
    let prefix = segments(tree[..open].trim_end_matches(':'));
    let close = tree.rfind('}').unwrap_or(tree.len());
    let inner = &tree[open + 1..close];
    let (mut depth, mut start, mut items) = (0, 0, Vec::new());
    for (index, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    items
        .into_iter()
        .filter(|item| !item.trim().is_empty())
        .flat_map(expand)
        .map(|path| prefix.iter().cloned().chain(path).collect())
        .collect()
}

fn segments(path: &str) -> Vec<String> {
    path.split("::")
        .map(|segment| {
            segment
                .split(" as ")
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .filter(|segment| !segment.is_empty())
        .collect()
}

fn read_tree() -> Tree {
    let mut paths = Vec::new();
    rust_files(&src(), &mut paths);
    let mut files = BTreeMap::new();
    for path in &paths {
        let relative = path
            .strip_prefix(src())
            .unwrap()
            .to_string_lossy()
            .to_string();
        let mut module: Module = relative
            .trim_end_matches(".rs")
            .split('/')
            .map(str::to_string)
            .collect();
        if module.last().is_some_and(|last| last == "mod") {
            module.pop();
        }
        match module.as_slice() {
            [only] if only == "main" => continue,
            [only] if only == "lib" => module.clear(),
            _ => {}
        }
        files.insert(module, relative);
    }
    let item = regex::Regex::new(
        r"(?m)^\s*pub(?:\([^)]*\))? (?:async )?(?:fn|struct|enum|trait|const|type|static|mod) (\w+)",
    )
    .unwrap();
    let defined: BTreeMap<Module, BTreeSet<String>> = files
        .iter()
        .map(|(module, file)| {
            let text = std::fs::read_to_string(src().join(file)).unwrap();
            let names = item
                .captures_iter(&text)
                .map(|c| c[1].to_string())
                .collect();
            (module.clone(), names)
        })
        .collect();
    let reexport = regex::Regex::new(r"(?m)^\s*pub(?:\([^)]*\))? use\s+([^;]+);").unwrap();
    let mut reexports = BTreeMap::new();
    for (module, file) in &files {
        let text = std::fs::read_to_string(src().join(file)).unwrap();
        for captures in reexport.captures_iter(&text) {
            for path in expand(&captures[1].replace('\n', " ")) {
                let path: Vec<String> = path.into_iter().filter(|s| s != "self").collect();
                let Some(first) = path.first() else { continue };
                let child: Module = module.iter().cloned().chain([first.clone()]).collect();
                if path.len() < 2 || !files.contains_key(&child) {
                    continue;
                }
                let name = path.last().unwrap().clone();
                if name == "*" {
                    for name in &defined[&child] {
                        reexports.insert((module.clone(), name.clone()), child.clone());
                    }
                } else {
                    reexports.insert((module.clone(), name), child.clone());
                }
            }
        }
    }
    Tree { files, reexports }
}

impl Tree {
    /// The file a path from `module` (`crate::a::b`, `super::c`) refers to.
    fn resolve(&self, module: &Module, path: &[String]) -> Option<Module> {
        let (mut full, rest): (Vec<String>, &[String]) = match path.first()?.as_str() {
            "crate" => (Vec::new(), &path[1..]),
            "super" | "self" => {
                let mut base = module.clone();
                let mut rest = path;
                while let Some(first) = rest.first() {
                    match first.as_str() {
                        "super" => {
                            base.pop();
                        }
                        "self" => {}
                        _ => break,
                    }
                    rest = &rest[1..];
                }
                (base, rest)
            }
            _ => return None,
        };
        full.extend(rest.iter().cloned());
        (0..=full.len()).rev().find_map(|n| {
            let candidate: Module = full[..n].to_vec();
            self.files.contains_key(&candidate).then(|| {
                full.get(n)
                    .and_then(|next| self.reexports.get(&(candidate.clone(), next.clone())))
                    .cloned()
                    .unwrap_or(candidate)
            })
        })
    }

    fn imports(&self) -> BTreeMap<Module, BTreeSet<Module>> {
        let uses =
            regex::Regex::new(r"\buse\s+((?:crate|super|self)(?:::[\w{}\s,:*]*)?)\s*;").unwrap();
        let paths = regex::Regex::new(r"\b((?:crate|super)(?:::\w+)+)").unwrap();
        let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
        for (module, file) in &self.files {
            let text = code(&std::fs::read_to_string(src().join(file)).unwrap());
            let mut targets = BTreeSet::new();
            for captures in uses.captures_iter(&text) {
                for path in expand(&captures[1].replace('\n', " ")) {
                    targets.extend(self.resolve(module, &path));
                }
            }
            for captures in paths.captures_iter(&text) {
                targets.extend(self.resolve(module, &segments(&captures[1])));
            }
            targets.retain(|target| target != module && !target.is_empty());
            edges.insert(module.clone(), targets);
        }
        edges
    }
}

/// Strongly connected components with more than one file (Tarjan).
fn cycles(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct State<'a> {
        edges: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        found: Vec<Vec<Module>>,
    }
    fn visit<'a>(state: &mut State<'a>, node: &'a Module) {
        let next = state.index.len();
        state.index.insert(node, next);
        state.low.insert(node, next);
        state.stack.push(node);
        for target in state.edges.get(node).into_iter().flatten() {
            let Some((target, _)) = state.edges.get_key_value(target) else {
                continue;
            };
            if !state.index.contains_key(target) {
                visit(state, target);
                let low = state.low[node].min(state.low[target]);
                state.low.insert(node, low);
            } else if state.stack.contains(&target) {
                let low = state.low[node].min(state.index[target]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = Vec::new();
            while let Some(member) = state.stack.pop() {
                component.push(member.clone());
                if member == node {
                    break;
                }
            }
            if component.len() > 1 {
                state.found.push(component);
            }
        }
    }
    let mut state = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for node in edges.keys() {
        if !state.index.contains_key(node) {
            visit(&mut state, node);
        }
    }
    state.found
}

#[test]
fn no_import_cycle_between_files() {
    let tree = read_tree();
    let found: Vec<Vec<&String>> = cycles(&tree.imports())
        .iter()
        .map(|component| component.iter().map(|module| &tree.files[module]).collect())
        .collect();
    assert!(found.is_empty(), "files that import each other: {found:?}");
}

#[test]
fn the_checker_sees_a_cycle() {
    let a: Module = vec!["a".to_string()];
    let b: Module = vec!["b".to_string()];
    let c: Module = vec!["c".to_string()];
    let edges = BTreeMap::from([
        (a.clone(), BTreeSet::from([b.clone()])),
        (b.clone(), BTreeSet::from([a.clone(), c.clone()])),
        (c.clone(), BTreeSet::new()),
    ]);
    assert_eq!(cycles(&edges).len(), 1);
    assert_eq!(
        expand("crate::{model::{Service, arn::resource_name}, finding}"),
        vec![
            segments("crate::model::Service"),
            segments("crate::model::arn::resource_name"),
            segments("crate::finding"),
        ]
    );
}

#[test]
fn no_source_file_is_over_the_limit() {
    let tree = read_tree();
    let mut over = BTreeSet::new();
    for file in tree.files.values() {
        // Tests in their own files (`tests.rs`, `testing.rs`, declared under `#[cfg(test)]`)
        // count separately, like a file's own `mod tests`.
        if file.ends_with("tests.rs") || file.ends_with("testing.rs") {
            continue;
        }
        let text = std::fs::read_to_string(src().join(file)).unwrap();
        let end = text
            .find("\n#[cfg(test)]\nmod tests")
            .or_else(|| text.find("\n#[cfg(test)]\npub(crate) mod tests"))
            .unwrap_or(text.len());
        if text[..end].lines().count() > MAX_LINES {
            over.insert(file.as_str());
        }
    }
    assert!(over.is_empty(), "over {MAX_LINES} lines: {over:?}");
}

#[test]
fn every_rule_has_a_file_named_after_it_that_declares_it() {
    let registry = std::fs::read_to_string(src().join("rules/mod.rs")).unwrap();
    for info in ecs_auditor::rules::CATALOG {
        let file = info.id.as_str().replace('-', "_");
        let path = src().join(format!("rules/{file}.rs"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("{} has no file src/rules/{file}.rs", info.id));
        let variant = format!("{:?}", info.id);
        assert!(
            text.contains("const RULE: RuleInfo = RuleInfo {")
                && text.contains(&format!("id: RuleId::{variant},")),
            "src/rules/{file}.rs does not declare RULE with id RuleId::{variant}"
        );
        assert!(
            registry.contains(&format!("&{file}::RULE,")),
            "rules::CATALOG does not list {file}::RULE"
        );
    }
    // And no rule file outside the catalog.
    for entry in std::fs::read_dir(src().join("rules")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        if text.contains("const RULE: RuleInfo") {
            let file = path.file_stem().unwrap().to_str().unwrap().to_string();
            assert!(
                ecs_auditor::rules::CATALOG
                    .iter()
                    .any(|info| info.id.as_str().replace('-', "_") == file),
                "{file}.rs declares a rule the catalog does not list"
            );
        }
    }
}
