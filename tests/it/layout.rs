//! The house's layering, checked: no module of `src/` imports one that imports it back,
//! directly or through others. Each file is a module; an import is a `use` of another module's
//! item, a `crate::`/`super::`/`self::` path in code, or a parent (`mod.rs`) naming one of
//! its children's items. `#[cfg(test)]` blocks are left out: a unit test may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

fn modules(root: &Path) -> BTreeMap<Module, PathBuf> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path
                .strip_prefix(root)
                .expect("under src/")
                .with_extension("");
            let mut parts: Module = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            if parts == ["lib"] || parts == ["main"] {
                parts.clear();
            }
            out.insert(parts, path);
        }
    }
    out
}

/// The code without comments, string and char literals, and from the first `#[cfg(test)]` on.
fn code_of(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'r' if b.get(i + 1) == Some(&b'#')
                || (b.get(i + 1) == Some(&b'"') && !ident(b, i)) =>
            {
                // A raw string: r"…" or r#"…"#.
                let mut j = i + 1;
                let mut hashes = 0;
                while b.get(j) == Some(&b'#') {
                    hashes += 1;
                    j += 1;
                }
                if b.get(j) != Some(&b'"') {
                    out.push('r');
                    i += 1;
                    continue;
                }
                j += 1;
                let end = format!("\"{}", "#".repeat(hashes));
                match src[j..].find(&end) {
                    Some(k) => i = j + k + end.len(),
                    None => i = b.len(),
                }
                out.push_str("\"\"");
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            b'\'' => {
                // A char literal ('x', '\n', '\u{..}'), else a lifetime: keep lifetimes.
                let close = if b.get(i + 1) == Some(&b'\\') {
                    src[i + 2..].find('\'').map(|k| i + 2 + k)
                } else if b.get(i + 2) == Some(&b'\'') {
                    Some(i + 2)
                } else {
                    None
                };
                match close {
                    Some(c) => i = c + 1,
                    None => {
                        out.push('\'');
                        i += 1;
                    }
                }
            }
            c => {
                out.push(c as char);
                i += 1;
            }
        }
    }
    match out.find("#[cfg(test)]") {
        Some(k) => out[..k].to_string(),
        None => out,
    }
}

fn ident(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

/// `a::{b, c::{d}}` → `a::b`, `a::c::d`.
fn expand(prefix: &str, body: &str, out: &mut Vec<String>) {
    let mut depth = 0;
    let mut start = 0;
    let mut items = Vec::new();
    for (k, ch) in body.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&body[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    items.push(&body[start..]);
    for item in items.into_iter().filter(|i| !i.is_empty()) {
        match item.find('{') {
            Some(k) => expand(
                &format!("{prefix}{}", &item[..k]),
                &item[k + 1..item.len() - 1],
                out,
            ),
            None => out.push(format!(
                "{prefix}{}",
                item.split(" as ").next().unwrap_or(item)
            )),
        }
    }
}

/// Every path the code names, as written (`crate::x::y`, `super::z`, `child::item`).
fn paths_in(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(k) = rest.find("use ") {
        let at_word = k == 0 || !ident(rest.as_bytes(), k);
        rest = &rest[k + 4..];
        if !at_word {
            continue;
        }
        let Some(end) = rest.find(';') else { break };
        let body: String = rest[..end].split_whitespace().collect::<Vec<_>>().join(" ");
        let body = body.replace(" ::", "::").replace(":: ", "::");
        let body = body
            .replace("{ ", "{")
            .replace(" }", "}")
            .replace(", ", ",");
        expand("", &body, &mut out);
        rest = &rest[end..];
    }
    // Paths in code: a run of `ident::ident::…`.
    let b = code.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if (b[i].is_ascii_alphabetic() || b[i] == b'_')
            && !ident(b, i)
            && (i == 0 || b[i - 1] != b':')
        {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b':') {
                i += 1;
            }
            let p = code[start..i].trim_end_matches(':');
            if p.contains("::") {
                out.push(p.to_string());
            }
        } else {
            i += 1;
        }
    }
    out
}

fn imports(mods: &BTreeMap<Module, PathBuf>) -> BTreeMap<Module, BTreeSet<Module>> {
    let longest = |full: &[String]| {
        (0..=full.len())
            .rev()
            .map(|n| full[..n].to_vec())
            .find(|m| mods.contains_key(m))
    };
    let mut graph = BTreeMap::new();
    for (me, path) in mods {
        let src = std::fs::read_to_string(path).expect("a source file");
        let is_dir =
            path.ends_with("mod.rs") || path.ends_with("lib.rs") || path.ends_with("main.rs");
        let code = code_of(&src);
        let mut to = BTreeSet::new();
        for p in paths_in(&code) {
            let parts: Vec<String> = p
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            let Some(first) = parts.first() else { continue };
            let full: Vec<String> = match first.as_str() {
                "crate" => parts[1..].to_vec(),
                "self" => [me.clone(), parts[1..].to_vec()].concat(),
                "super" => {
                    let mut base = if is_dir {
                        me.clone()
                    } else {
                        me[..me.len().saturating_sub(1)].to_vec()
                    };
                    let mut k = 0;
                    while parts.get(k).is_some_and(|s| s == "super") {
                        if k > 0 {
                            base.pop();
                        }
                        k += 1;
                    }
                    [base, parts[k..].to_vec()].concat()
                }
                // A parent naming its child's item: `child::item`.
                child
                    if is_dir
                        && mods.contains_key(&[me.clone(), vec![child.to_string()]].concat()) =>
                {
                    [me.clone(), parts.clone()].concat()
                }
                _ => continue,
            };
            if let Some(target) = longest(&full)
                && &target != me
                && !full.is_empty()
            {
                to.insert(target);
            }
        }
        graph.insert(me.clone(), to);
    }
    graph
}

/// Strongly connected components of more than one module (Tarjan).
fn cycles(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct T<'a> {
        g: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        on: BTreeSet<&'a Module>,
        out: Vec<Vec<Module>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a Module) {
        let n = t.index.len();
        t.index.insert(v, n);
        t.low.insert(v, n);
        t.stack.push(v);
        t.on.insert(v);
        for w in &t.g[v] {
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if t.on.contains(w) {
                let iw = t.index[w];
                let lv = t.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                comp.push(w.clone());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        g: graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v) {
            visit(&mut t, v);
        }
    }
    t.out
}

fn name(m: &Module) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.join("::")
    }
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mods = modules(&root);
    let graph = imports(&mods);
    // The reader must see the house: if it found no imports it would pass vacuously.
    let edges: usize = graph.values().map(BTreeSet::len).sum();
    assert!(
        mods.len() > 50 && edges > 200,
        "{} modules, {edges} imports read",
        mods.len()
    );
    let found = cycles(&graph);
    let report: Vec<String> = found
        .iter()
        .map(|c| {
            let set: BTreeSet<&Module> = c.iter().collect();
            let ties: Vec<String> = c
                .iter()
                .flat_map(|a| {
                    graph[a]
                        .iter()
                        .filter(|b| set.contains(b))
                        .map(move |b| format!("{} -> {}", name(a), name(b)))
                })
                .collect();
            ties.join(", ")
        })
        .collect();
    assert!(
        found.is_empty(),
        "import cycles in src/:\n{}",
        report.join("\n")
    );
}

#[test]
fn the_reader_sees_a_cycle_when_there_is_one() {
    // Two modules that import each other, in a scratch tree shaped like src/.
    let dir = tempfile::tempdir().expect("a temp dir");
    let src = dir.path();
    std::fs::create_dir_all(src.join("a")).expect("dirs");
    std::fs::write(src.join("lib.rs"), "pub mod a;\npub mod b;\n").expect("lib");
    std::fs::write(
        src.join("a/mod.rs"),
        "pub mod x;\nuse crate::b::B;\npub fn f() { x::g() }\n",
    )
    .expect("a");
    std::fs::write(
        src.join("a/x.rs"),
        "// use crate::b; (a comment)\npub fn g() { let _ = \"crate::b::B\"; }\n",
    )
    .expect("x");
    std::fs::write(
        src.join("b.rs"),
        "use crate::a::{self, x::g};\npub struct B;\n",
    )
    .expect("b");
    let mods = modules(src);
    let found = cycles(&imports(&mods));
    let names: Vec<Vec<String>> = found
        .iter()
        .map(|c| {
            let mut n: Vec<String> = c.iter().map(name).collect();
            n.sort();
            n
        })
        .collect();
    assert_eq!(
        names,
        vec![vec!["a".to_string(), "b".to_string()]],
        "comments and strings are not imports; `use` groups are"
    );
}

/// The features: handlers and pages, each on the floors below, none on another.
const FEATURES: [&str; 7] = [
    "login", "mfa", "reset", "account", "consent", "launcher", "helpdesk",
];

#[test]
fn features_stand_on_the_floors_below_and_not_on_each_other() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = imports(&modules(&root));
    let feature = |m: &Module| {
        m.first()
            .filter(|f| FEATURES.contains(&f.as_str()))
            .cloned()
    };
    let mut wrong = Vec::new();
    for (from, tos) in &graph {
        // Only the router (lib.rs) mounts the features.
        if from.is_empty() {
            continue;
        }
        for to in tos {
            let Some(to_feature) = feature(to) else {
                continue;
            };
            if feature(from).as_ref() != Some(&to_feature) {
                wrong.push(format!("{} -> {}", name(from), name(to)));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports of a feature from outside it:\n{}",
        wrong.join("\n")
    );
}
