//! Holds Parlor's module layering, so the map in docs/architecture.md cannot drift from
//! the code.
//!
//! The layer order is written once, in docs/architecture.md, in the fenced block between
//! `<!-- layers:begin -->` and `<!-- layers:end -->`: one layer per line, lowest first,
//! the top-level modules of a layer separated by commas. This test reads it from there.
//! It walks the crate's module tree from `src/lib.rs` (following `mod` declarations,
//! `#[path]` included) and reads every path that starts with `crate::`, `self::` or
//! `super::`: in `use` items, with grouped forms (`use crate::{a::b, c::{d, e}}`)
//! expanded, and inline in code (`crate::guard::JoinGuard`). Comments (doc comments and
//! their links too), string and char literals are skipped. `src/lib.rs` is not checked:
//! it only declares the modules and re-exports. Nor is `src/main.rs`: it is the binary,
//! and sees the library from outside.
//!
//! The rules:
//!
//! 1. **Layers.** A file may name another top-level module only if that module sits in a
//!    strictly lower layer: modules of one layer do not use each other. Every top-level
//!    module must be in the order (a new module must be placed), the order names only
//!    modules that exist, and every `.rs` file under `src/` belongs to the crate. A path
//!    counts where it is written: reaching `model` through a re-export in `room` counts
//!    as using `room` (and the re-export itself is `room` using `model`, checked too).
//! 2. **No cycle inside a folder.** For each module that has child files (a folder), the
//!    nodes are its children: each child file, and each child folder taken whole. `A → B`
//!    when code in A names a path inside B. The folder's own file (`mod.rs`, or `foo.rs`
//!    beside `foo/`) is its face and not a node: children use it freely, and what it
//!    declares, re-exports or calls from its children is no edge. A cycle among the nodes
//!    fails. The top level has no such check of its own: rule 1 is stricter.
//! 3. **Tests are code.** `#[cfg(test)]` modules are held to the same rules: a unit test
//!    sits beside the code it tests and needs nothing that code may not use; a test that
//!    needs upper layers belongs in `tests/`.
//!
//! `cargo test --test layering -- --ignored --nocapture` prints the top-level graph in the
//! form docs/architecture.md shows it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const BEGIN: &str = "<!-- layers:begin -->";
const END: &str = "<!-- layers:end -->";

// ----- reading Rust source -----

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Identifiers, keywords and numbers; `$crate` is kept whole.
    Ident,
    /// A string literal; its text is kept for `#[path = "..."]`.
    Str,
    /// Punctuation; `::` is one token.
    Sym,
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    text: String,
    line: usize,
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Splits source into tokens, dropping comments, char literals and lifetimes.
fn lex(src: &str) -> Vec<Token> {
    let c: Vec<char> = src.chars().collect();
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let push =
        |out: &mut Vec<Token>, kind, text: String, line| out.push(Token { kind, text, line });
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(c[i] == '\n');
                    i += 1;
                }
            }
        } else if let Some((hashes, body)) = raw_string_start(&c, i) {
            // r"..", r#".."#, br"..", cr"..": ends at a quote followed by as many hashes.
            let start_line = line;
            let mut j = body;
            while j < c.len() && !(c[j] == '"' && (1..=hashes).all(|k| at(j + k) == '#')) {
                line += usize::from(c[j] == '\n');
                j += 1;
            }
            push(
                &mut out,
                Kind::Str,
                c[body..j.min(c.len())].iter().collect(),
                start_line,
            );
            i = j + 1 + hashes;
        } else if ch == '"' {
            let start_line = line;
            let mut text = String::new();
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    i += 1;
                }
                line += usize::from(at(i) == '\n');
                text.push(at(i));
                i += 1;
            }
            push(&mut out, Kind::Str, text, start_line);
            i += 1;
        } else if ch == '\'' {
            if at(i + 1) == '\\' {
                // An escaped char literal ('\n', '\'', '\u{..}'): skip to its closing quote.
                i += 3;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                i += 1; // a lifetime or label: its name lexes as an identifier
            }
        } else if is_ident_char(ch) || (ch == '$' && is_ident_char(at(i + 1))) {
            let start = i;
            i += 1;
            while i < c.len() && is_ident_char(c[i]) {
                i += 1;
            }
            push(&mut out, Kind::Ident, c[start..i].iter().collect(), line);
        } else if ch == ':' && at(i + 1) == ':' {
            push(&mut out, Kind::Sym, "::".into(), line);
            i += 2;
        } else {
            push(&mut out, Kind::Sym, ch.to_string(), line);
            i += 1;
        }
    }
    out
}

/// Where a raw string starting at `i` has its body, and how many `#` close it.
fn raw_string_start(c: &[char], i: usize) -> Option<(usize, usize)> {
    if i > 0 && is_ident_char(c[i - 1]) {
        return None;
    }
    let mut j = i;
    if matches!(c.get(j), Some('b' | 'c')) {
        j += 1;
    }
    if c.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = c[j..].iter().take_while(|&&ch| ch == '#').count();
    (c.get(j + hashes) == Some(&'"')).then_some((hashes, j + hashes + 1))
}

/// A path named in a file, as written, with the inline modules it is written in.
#[derive(Debug, Clone)]
struct PathUse {
    line: usize,
    path: Vec<String>,
    scope: Vec<String>,
}

/// `mod name;`, with its `#[path]` if any and the inline modules around it.
#[derive(Debug)]
struct ModDecl {
    name: String,
    path_attr: Option<String>,
    scope: Vec<String>,
}

#[derive(Debug, Default)]
struct Parsed {
    uses: Vec<PathUse>,
    mods: Vec<ModDecl>,
}

fn parse(src: &str) -> Parsed {
    let toks = lex(src);
    let text = |i: usize| toks.get(i).map_or("", |t| t.text.as_str());
    let mut parsed = Parsed::default();
    let mut depth: usize = 0;
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let scope = || {
            inline
                .iter()
                .map(|(name, _)| name.clone())
                .collect::<Vec<_>>()
        };
        match text(i) {
            "{" => depth += 1,
            "}" => {
                depth = depth.saturating_sub(1);
                while inline.last().is_some_and(|(_, d)| *d > depth) {
                    inline.pop();
                }
            }
            // `src/lib.rs` declares its modules through its `internal!` macro: private,
            // or public with the `internals` feature. Each name in the call is a module.
            "internal" if text(i + 1) == "!" && text(i + 2) == "(" => {
                i += 3;
                while i < toks.len() && text(i) != ")" {
                    if toks[i].kind == Kind::Ident {
                        parsed.mods.push(ModDecl {
                            name: text(i).to_string(),
                            path_attr: None,
                            scope: scope(),
                        });
                    }
                    i += 1;
                }
            }
            // A macro's `mod $name;` is a template, not a module.
            "mod" if text(i + 1).starts_with('$') => {}
            "mod" if toks.get(i + 1).is_some_and(|t| t.kind == Kind::Ident) => {
                let name = text(i + 1).to_string();
                if text(i + 2) == "{" {
                    inline.push((name, depth + 1));
                } else if text(i + 2) == ";" {
                    let path_attr = path_attr_before(&toks, i);
                    parsed.mods.push(ModDecl {
                        name,
                        path_attr,
                        scope: scope(),
                    });
                }
            }
            "crate" | "$crate" | "self" | "super"
                if text(i + 1) == "::"
                    && i.checked_sub(1)
                        .is_none_or(|p| !matches!(text(p), "::" | "in")) =>
            {
                let mut found = Vec::new();
                i = parse_tree(&toks, i, Vec::new(), &mut found);
                let scope = scope();
                parsed
                    .uses
                    .extend(found.into_iter().map(|(path, line)| PathUse {
                        line,
                        path,
                        scope: scope.clone(),
                    }));
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    parsed
}

/// Reads one path from `i` on, expanding `{..}` groups into `out` (each with the line of
/// its own first token); returns where the path ends.
fn parse_tree(
    toks: &[Token],
    mut i: usize,
    prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, usize)>,
) -> usize {
    let text = |i: usize| toks.get(i).map_or("", |t| t.text.as_str());
    let line = toks.get(i).map_or(0, |t| t.line);
    let mut path = prefix;
    let mut grew = false;
    loop {
        match toks.get(i) {
            Some(t) if t.kind == Kind::Ident => {
                path.push(t.text.trim_start_matches('$').to_string());
                grew = true;
                i += 1;
            }
            Some(t) if t.text == "*" => {
                out.push((path, line));
                return i + 1;
            }
            Some(t) if t.text == "{" => {
                i += 1;
                while i < toks.len() && text(i) != "}" {
                    if text(i) == "," {
                        i += 1;
                        continue;
                    }
                    i = parse_tree(toks, i, path.clone(), out);
                    while i < toks.len() && !matches!(text(i), "," | "}") {
                        i += 1; // `as name`
                    }
                }
                return i + 1;
            }
            _ => break,
        }
        if text(i) != "::" {
            break;
        }
        i += 1;
    }
    if grew {
        out.push((path, line));
    }
    i
}

/// The `#[path = ".."]` among the attributes right before the `mod` at `i`.
fn path_attr_before(toks: &[Token], i: usize) -> Option<String> {
    let mut j = i;
    let mut found = None;
    while j > 0 {
        let t = &toks[j - 1];
        let close = match t.text.as_str() {
            "pub" => {
                j -= 1;
                continue;
            }
            ")" => "(",
            "]" => "[",
            _ => break,
        };
        let mut k = j - 1;
        let mut depth = 0;
        loop {
            if toks[k].text == t.text {
                depth += 1;
            } else if toks[k].text == close {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            if k == 0 {
                return found;
            }
            k -= 1;
        }
        let before = k.checked_sub(1).map(|p| toks[p].text.as_str());
        match (close, before) {
            ("(", Some("pub")) => j = k,
            ("[", Some("#")) => {
                let attr = &toks[k + 1..j - 1];
                if let [name, eq, value] = attr {
                    if name.text == "path" && eq.text == "=" && value.kind == Kind::Str {
                        found = Some(value.text.clone());
                    }
                }
                j = k - 1;
            }
            _ => break,
        }
    }
    found
}

// ----- the crate's module tree -----

type ModPath = Vec<String>;

struct Tree {
    /// Every file module, with its file.
    files: BTreeMap<ModPath, String>,
    parsed: BTreeMap<ModPath, Parsed>,
}

/// Follows `mod` declarations from `src/lib.rs` through `sources` (file → text).
fn build(sources: &BTreeMap<String, String>) -> Tree {
    let mut tree = Tree {
        files: BTreeMap::new(),
        parsed: BTreeMap::new(),
    };
    let mut queue = vec![(Vec::new(), "src/lib.rs".to_string())];
    while let Some((module, file)) = queue.pop() {
        let Some(src) = sources.get(&file) else {
            continue;
        };
        let parsed = parse(src);
        let (dir, stem) = file.rsplit_once('/').unwrap_or(("", &file));
        let stem = stem.trim_end_matches(".rs");
        let own_dir = match stem {
            "lib" | "main" | "mod" => dir.to_string(),
            _ => format!("{dir}/{stem}"),
        };
        for decl in &parsed.mods {
            let inner = decl
                .scope
                .iter()
                .map(|s| format!("/{s}"))
                .collect::<String>();
            let candidates = match &decl.path_attr {
                Some(p) => vec![format!("{dir}{inner}/{p}")],
                None => vec![
                    format!("{own_dir}{inner}/{}.rs", decl.name),
                    format!("{own_dir}{inner}/{}/mod.rs", decl.name),
                ],
            };
            if let Some(found) = candidates.into_iter().find(|f| sources.contains_key(f)) {
                let mut child = module.clone();
                child.extend(decl.scope.iter().cloned());
                child.push(decl.name.clone());
                queue.push((child, found));
            }
        }
        tree.files.insert(module.clone(), file);
        tree.parsed.insert(module, parsed);
    }
    tree
}

impl Tree {
    /// The module a path written in `module` (inside its inline modules `scope`) names.
    fn resolve(module: &[String], scope: &[String], path: &[String]) -> Option<ModPath> {
        let mut here: ModPath = module.iter().chain(scope).cloned().collect();
        let mut abs = match path.first()?.as_str() {
            "crate" => Vec::new(),
            "self" => here,
            _ => {
                here.pop()?;
                here
            }
        };
        for seg in &path[1..] {
            match seg.as_str() {
                "super" => {
                    abs.pop()?;
                }
                "self" => {}
                _ => abs.push(seg.clone()),
            }
        }
        Some(abs)
    }

    /// The top-level modules.
    fn top(&self) -> BTreeSet<String> {
        self.files
            .keys()
            .filter(|m| m.len() == 1)
            .map(|m| m[0].clone())
            .collect()
    }

    /// The file module holding `path`: its longest prefix that is a file.
    fn file_of(&self, path: &[String]) -> ModPath {
        (0..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|p| self.files.contains_key(p))
            .unwrap_or_default()
    }

    /// Every path each checked file names, resolved: (file module, line, as written, target).
    fn edges(&self) -> Vec<(ModPath, usize, String, ModPath)> {
        let mut out = Vec::new();
        for (module, parsed) in &self.parsed {
            if module.is_empty() {
                continue; // src/lib.rs
            }
            for u in &parsed.uses {
                let Some(target) = Self::resolve(module, &u.scope, &u.path) else {
                    continue;
                };
                out.push((module.clone(), u.line, u.path.join("::"), target));
            }
        }
        out
    }
}

// ----- the checks -----

/// The layer order from the doc's marked block: one layer per line, lowest first.
fn layers_from_doc(doc: &str) -> Result<Vec<Vec<String>>, String> {
    let begin = doc.find(BEGIN).ok_or(format!("no {BEGIN} marker"))?;
    let end = doc[begin..]
        .find(END)
        .ok_or(format!("no {END} marker after {BEGIN}"))?
        + begin;
    let mut lines = doc[begin + BEGIN.len()..end]
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("```"));
    lines
        .next()
        .ok_or("no fenced block between the layer markers")?;
    let mut layers = Vec::new();
    for line in lines.take_while(|l| !l.trim_start().starts_with("```")) {
        let names: Vec<String> = line
            .split([',', ' ', '\t'])
            .filter(|n| !n.is_empty())
            .map(String::from)
            .collect();
        if let Some(bad) = names.iter().find(|n| !n.chars().all(is_ident_char)) {
            return Err(format!("`{bad}` in the layer order is not a module name"));
        }
        if !names.is_empty() {
            layers.push(names);
        }
    }
    if layers.is_empty() {
        return Err("the layer block is empty".into());
    }
    Ok(layers)
}

/// Every breach of the rules in `sources` (file → text) against the layer order in `doc`.
fn check(sources: &BTreeMap<String, String>, doc: &str) -> Vec<String> {
    let layers = match layers_from_doc(doc) {
        Ok(layers) => layers,
        Err(e) => return vec![format!("docs/architecture.md: {e}")],
    };
    let tree = build(sources);
    let mut offences = Vec::new();
    let mut layer_of = BTreeMap::new();
    for (n, names) in layers.iter().enumerate() {
        for name in names {
            if layer_of.insert(name.clone(), n + 1).is_some() {
                offences.push(format!(
                    "docs/architecture.md: `{name}` is in the layer order twice"
                ));
            }
        }
    }
    offences.extend(placement(sources, &tree, &layer_of));
    let (upward, inside) = edges(&tree, &layer_of);
    offences.extend(upward);
    offences.extend(cycles(&tree, &inside));
    offences
}

/// Every top-level module is in the order, the order names only modules, every file is in
/// the crate.
fn placement(
    sources: &BTreeMap<String, String>,
    tree: &Tree,
    layer_of: &BTreeMap<String, usize>,
) -> Vec<String> {
    let mut offences = Vec::new();
    let top = tree.top();
    for name in layer_of.keys().filter(|n| !top.contains(*n)) {
        offences.push(format!(
            "docs/architecture.md: the layer order names `{name}`, which is no module of the crate"
        ));
    }
    for name in top.iter().filter(|n| !layer_of.contains_key(*n)) {
        let file = &tree.files[&vec![name.clone()]];
        offences.push(format!("{file}: module `{name}` is not in the layer order"));
    }
    let reached: BTreeSet<&String> = tree.files.values().collect();
    for file in sources.keys() {
        if file.ends_with(".rs") && file != "src/main.rs" && !reached.contains(file) {
            offences.push(format!(
                "{file}: no `mod` declares this file, so it is not part of the crate"
            ));
        }
    }
    offences
}

/// Edges within one folder: (folder, from child, to child) → where each is written.
type Inside = BTreeMap<(ModPath, String, String), Vec<String>>;

/// Every path that runs up (or across) the layer order, and the edges inside each folder.
fn edges(tree: &Tree, layer_of: &BTreeMap<String, usize>) -> (Vec<String>, Inside) {
    let top = tree.top();
    let mut offences = Vec::new();
    let mut inside = Inside::new();
    for (from, line, written, target) in tree.edges() {
        let at = format!("{}:{line}", tree.files[&from]);
        let from_top = &from[0];
        let Some(to_top) = target.first().filter(|t| top.contains(*t)) else {
            offences.push(format!(
                "{at}: `{written}` goes through the crate root; name the module"
            ));
            continue;
        };
        if to_top != from_top {
            match (layer_of.get(from_top), layer_of.get(to_top)) {
                (_, None) => offences.push(format!(
                    "{at}: `{written}`: module `{to_top}` is not in the layer order"
                )),
                (Some(f), Some(t)) if t >= f => offences.push(format!(
                    "{at}: {from_top} (layer {f}) uses {to_top} (layer {t}), which is not below it: `{written}`"
                )),
                _ => {}
            }
            continue;
        }
        let to = tree.file_of(&target);
        let shared = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
        if from.len() > shared && to.len() > shared {
            let key = (
                from[..shared].to_vec(),
                from[shared].clone(),
                to[shared].clone(),
            );
            inside
                .entry(key)
                .or_default()
                .push(format!("{at}: `{written}`"));
        }
    }
    (offences, inside)
}

/// Every cycle among the children of one folder, with the lines that make it.
fn cycles(tree: &Tree, inside: &Inside) -> Vec<String> {
    let folders: BTreeSet<&ModPath> = inside.keys().map(|(folder, _, _)| folder).collect();
    let mut out = Vec::new();
    for folder in folders {
        let next: BTreeMap<&String, Vec<&String>> = inside
            .keys()
            .filter(|(f, _, _)| f == folder)
            .fold(BTreeMap::new(), |mut m, (_, a, b)| {
                m.entry(a).or_insert_with(Vec::new).push(b);
                m
            });
        let reach = |start: &String| {
            let mut seen = BTreeSet::new();
            let mut stack = vec![start];
            while let Some(n) = stack.pop() {
                for &m in next.get(n).into_iter().flatten() {
                    if seen.insert(m) {
                        stack.push(m);
                    }
                }
            }
            seen
        };
        let mut done = BTreeSet::new();
        for &node in next.keys() {
            let from_node = reach(node);
            let group: BTreeSet<&String> = from_node
                .iter()
                .copied()
                .filter(|&m| m == node || reach(m).contains(node))
                .collect();
            if group.len() < 2 || !done.insert(group.clone()) {
                continue;
            }
            let names: Vec<&str> = group.iter().map(|s| s.as_str()).collect();
            let mut text = format!("{}: cycle among {}:", tree.files[folder], names.join(", "));
            for ((_, a, b), lines) in inside
                .iter()
                .filter(|((f, a, b), _)| f == folder && group.contains(a) && group.contains(b))
            {
                for l in lines {
                    text.push_str(&format!("\n    {a} → {b}  {l}"));
                }
            }
            out.push(text);
        }
    }
    out
}

// ----- the real tree -----

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read_tree(dir: &Path, out: &mut BTreeMap<String, String>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            read_tree(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path
                .strip_prefix(root())
                .expect("under the crate")
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(
                rel,
                std::fs::read_to_string(&path).expect("a readable source file"),
            );
        }
    }
}

fn real_sources() -> BTreeMap<String, String> {
    let mut sources = BTreeMap::new();
    read_tree(&root().join("src"), &mut sources);
    sources
}

fn real_doc() -> String {
    std::fs::read_to_string(root().join("docs/architecture.md")).expect("docs/architecture.md")
}

#[test]
fn the_tree_keeps_the_layer_order_of_docs_architecture() {
    let offences = check(&real_sources(), &real_doc());
    assert!(
        offences.is_empty(),
        "{} breach(es) of the layering in docs/architecture.md (rules at the top of tests/layering.rs):\n{}",
        offences.len(),
        offences.join("\n")
    );
}

/// The top-level module graph as docs/architecture.md shows it: a line per module, in the
/// layer order, naming the modules it uses.
fn graph_lines(tree: &Tree, layers: &[Vec<String>]) -> Vec<String> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, _, _, target) in tree.edges() {
        if let Some(to) = target.first().filter(|t| **t != from[0]) {
            graph.entry(from[0].clone()).or_default().insert(to.clone());
        }
    }
    let line = |name: &String| {
        let uses: Vec<&str> = graph
            .get(name)
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        let uses = if uses.is_empty() {
            "(nothing)".to_string()
        } else {
            uses.join(", ")
        };
        format!("{name:<9} → {uses}")
    };
    layers.iter().flatten().map(line).collect()
}

/// The lines of the doc's graph block (between its markers, inside the fence).
fn graph_from_doc(doc: &str) -> Option<Vec<String>> {
    let start = doc.find(GRAPH_BEGIN)? + GRAPH_BEGIN.len();
    let len = doc[start..].find(GRAPH_END)?;
    let lines = doc[start..start + len]
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.starts_with("```"))
        .map(String::from)
        .collect();
    Some(lines)
}

const GRAPH_BEGIN: &str = "<!-- graph:begin -->";
const GRAPH_END: &str = "<!-- graph:end -->";

#[test]
fn the_module_graph_in_docs_architecture_is_the_code_s() {
    let doc = real_doc();
    let layers = layers_from_doc(&doc).expect("a layer order");
    let want = graph_lines(&build(&real_sources()), &layers);
    let shown = graph_from_doc(&doc).expect("a graph block between its markers");
    assert!(
        shown == want,
        "docs/architecture.md's module graph is not the code's; put this between its markers:\n```text\n{}\n```",
        want.join("\n")
    );
}

#[test]
fn a_graph_block_is_read_between_its_markers() {
    let doc = format!("x\n{GRAPH_BEGIN}\n```text\na → b\n\nb → (nothing)\n```\n{GRAPH_END}\ny");
    let lines = graph_from_doc(&doc).expect("found");
    assert_eq!(lines, ["a → b", "b → (nothing)"]);
    assert!(graph_from_doc("no markers").is_none());
}

// ----- the checker's own tests -----

fn doc(order: &str) -> String {
    format!("# Modules\n\n{BEGIN}\n```text\n{order}\n```\n{END}\n")
}

fn sources(files: &[(&str, &str)]) -> BTreeMap<String, String> {
    files
        .iter()
        .map(|(f, s)| (format!("src/{f}"), s.to_string()))
        .collect()
}

fn offences(files: &[(&str, &str)], order: &str) -> Vec<String> {
    check(&sources(files), &doc(order))
}

fn assert_flags(found: &[String], wanted: &[&str]) {
    for w in wanted {
        assert!(
            found.iter().any(|o| o.contains(w)),
            "expected an offence containing {w:?}, found {found:#?}"
        );
    }
}

#[test]
fn an_upward_import_is_flagged_and_a_downward_one_is_not() {
    let lib = "mod low; mod high;";
    let found = offences(
        &[
            ("lib.rs", lib),
            ("low.rs", "//! Low.\n\nuse crate::high::Thing;\n"),
            ("high.rs", "use crate::low::Base;"),
        ],
        "low\nhigh",
    );
    assert_flags(&found, &["src/low.rs:3: low (layer 1) uses high (layer 2)"]);
    assert_eq!(found.len(), 1, "{found:#?}");
}

#[test]
fn modules_of_one_layer_may_not_use_each_other() {
    let found = offences(
        &[
            ("lib.rs", "mod a; mod b;"),
            ("a.rs", "fn f() { crate::b::g() }"),
            ("b.rs", ""),
        ],
        "a, b",
    );
    assert_flags(&found, &["src/a.rs:1: a (layer 1) uses b (layer 1)"]);
}

#[test]
fn a_module_missing_from_the_order_is_flagged() {
    let files = [
        ("lib.rs", "mod a; mod b;"),
        ("a.rs", ""),
        ("b.rs", "use crate::a::X;"),
    ];
    let found = offences(&files, "b");
    assert_flags(
        &found,
        &[
            "src/a.rs: module `a` is not in the layer order",
            "src/b.rs:1: `crate::a::X`: module `a`",
        ],
    );
    let found = offences(&files, "a\nb\nc");
    assert_flags(&found, &["the layer order names `c`, which is no module"]);
    let found = offences(&[("lib.rs", "mod a;"), ("a.rs", ""), ("stray.rs", "")], "a");
    assert_flags(&found, &["src/stray.rs: no `mod` declares this file"]);
}

#[test]
fn grouped_uses_are_expanded_with_the_line_of_each_item() {
    let low = "use crate::{\n    low2::Fine,\n    mid::{a::B, c},\n    top as t,\n};\n";
    let found = offences(
        &[
            ("lib.rs", "mod low; mod low2; mod mid; mod top;"),
            ("low.rs", low),
            ("low2.rs", ""),
            ("mid/mod.rs", "mod a;"),
            ("mid/a.rs", ""),
            ("top.rs", ""),
        ],
        "low2\nlow\nmid\ntop",
    );
    assert_flags(&found, &["src/low.rs:3: low (layer 2) uses mid (layer 3), which is not below it: `crate::mid::a::B`", "src/low.rs:3: low (layer 2) uses mid (layer 3), which is not below it: `crate::mid::c`", "src/low.rs:4: low (layer 2) uses top (layer 4)"]);
    assert_eq!(found.len(), 3, "{found:#?}");
}

#[test]
fn comments_strings_and_chars_are_not_paths() {
    let low = r####"//! See [`High`](crate::high::High).
// use crate::high::X;
/* crate::high::Y /* nested */ crate::high::Z */
const A: &str = "crate::high::W \" crate::high::V";
const B: &str = r#"crate::high::U "quoted" "#;
const C: &[u8] = br"crate::high::T";
const D: char = '"';
const E: char = '\'';
fn f<'a>(s: &'a str) -> &'a str { s }
use crate::high::Real;
"####;
    let found = offences(
        &[
            ("lib.rs", "mod low; mod high;"),
            ("low.rs", low),
            ("high.rs", ""),
        ],
        "low\nhigh",
    );
    assert_flags(&found, &["src/low.rs:10: low (layer 1) uses high (layer 2), which is not below it: `crate::high::Real`"]);
    assert_eq!(found.len(), 1, "{found:#?}");
}

#[test]
fn a_two_file_cycle_in_a_folder_is_flagged() {
    let files = [
        ("lib.rs", "mod room;"),
        ("room/mod.rs", "mod ops;\nmod settle;\npub use ops::plan;\npub struct Rooms;\nfn f() { settle::ambiguous(); }\n"),
        ("room/ops.rs", "use super::Rooms;\n\nfn g() {\n    if super::settle::ambiguous() {}\n}\n"),
        ("room/settle.rs", "use super::{ops::plan_departure, Rooms};\n"),
    ];
    let found = offences(&files, "room");
    assert_flags(
        &found,
        &[
            "src/room/mod.rs: cycle among ops, settle:",
            "ops → settle  src/room/ops.rs:4: `super::settle::ambiguous`",
            "settle → ops  src/room/settle.rs:1: `super::ops::plan_departure`",
        ],
    );
    assert_eq!(found.len(), 1, "{found:#?}");
}

#[test]
fn children_using_their_face_and_one_way_siblings_are_no_cycle() {
    let files = [
        ("lib.rs", "mod store;"),
        ("store/mod.rs", "pub mod keys;\npub mod redis;\nuse self::redis::Store;\npub struct Doc;"),
        ("store/keys.rs", "use super::Doc;\nuse crate::store::Doc as D;"),
        ("store/redis/mod.rs", "mod ops;\nuse super::keys::Keys;\nuse super::Doc;"),
        ("store/redis/ops.rs", "use crate::store::keys::Keys;\nuse super::super::Doc;\n#[cfg(test)]\nmod tests {\n    use super::*;\n    use super::super::Store;\n}\n"),
    ];
    assert_eq!(offences(&files, "store"), Vec::<String>::new());
}

#[test]
fn a_cycle_through_a_child_folder_and_in_a_test_module_is_flagged() {
    let files = [
        ("lib.rs", "mod store;"),
        ("store/mod.rs", "mod keys;\nmod redis;"),
        (
            "store/keys.rs",
            "#[cfg(test)]\nmod tests {\n    use super::super::redis::Conn;\n}\n",
        ),
        ("store/redis/mod.rs", "mod conn;"),
        ("store/redis/conn.rs", "use crate::store::keys::Keys;"),
    ];
    let found = offences(&files, "store");
    assert_flags(
        &found,
        &[
            "cycle among keys, redis:",
            "keys → redis  src/store/keys.rs:3",
            "redis → keys  src/store/redis/conn.rs:1",
        ],
    );
}

#[test]
fn path_attributes_and_inline_modules_are_followed() {
    let files = [
        ("lib.rs", "pub mod guard;\nmod ws;"),
        ("guard.rs", "#[cfg(test)]\n#[path = \"guard_tests.rs\"]\nmod tests;"),
        ("guard_tests.rs", "use crate::ws::Conn;"),
        ("ws.rs", "mod inner {\n    fn f() { super::super::guard::x(); }\n}\nfn g() {}\nuse self::inner::Y;"),
    ];
    let found = offences(&files, "guard\nws");
    assert_flags(
        &found,
        &["src/guard_tests.rs:1: guard (layer 1) uses ws (layer 2)"],
    );
    assert_eq!(found.len(), 1, "{found:#?}");
}

#[test]
fn modules_declared_through_the_internal_macro_are_followed() {
    let lib = "macro_rules! internal {\n    ($($name:ident),*) => { $(mod $name;)* };\n}\ninternal!(low, high);\n";
    let found = offences(
        &[
            ("lib.rs", lib),
            ("low.rs", "use crate::high::X;"),
            ("high.rs", ""),
        ],
        "low\nhigh",
    );
    assert_flags(&found, &["src/low.rs:1: low (layer 1) uses high (layer 2)"]);
}

#[test]
fn the_crate_root_is_no_way_round_the_order() {
    let found = offences(
        &[
            ("lib.rs", "mod a;\npub use a::Thing;"),
            ("a.rs", "use crate::Thing;"),
        ],
        "a",
    );
    assert_flags(
        &found,
        &["src/a.rs:1: `crate::Thing` goes through the crate root"],
    );
}

#[test]
fn the_doc_block_is_read_and_its_absence_is_an_offence() {
    let layers = layers_from_doc(&doc("config, error\nmodel\n\nserver")).expect("a layer order");
    assert_eq!(
        layers,
        vec![vec!["config", "error"], vec!["model"], vec!["server"]]
    );
    assert!(layers_from_doc("no markers here").is_err());
    assert!(layers_from_doc(&format!("{BEGIN}\n```\n```\n{END}")).is_err());
    assert!(layers_from_doc(&doc("a → b")).is_err());
    let real = layers_from_doc(&real_doc()).expect("docs/architecture.md has a layer order");
    assert!(real.len() > 1, "{real:?}");
}
