//! Rebuilding a Linear A function from an extracted term DAG, as relaxed source text (the
//! parser and dup/drop insertion then make it a strict core program).
//!
//! One `let` per chosen class, children first (the order [`super::extract::order`] gives: no
//! recursion on DAG depth); parameters are destructured into their scalar leaves; a call's
//! result symbols (`S:g#k`) become one call of `g` whose results are destructured; each linear
//! result leaf is rebuilt from its coefficient row, `y' = c1 * x1' + c2 * x2' + ...` (`zero`
//! for an empty row, no scale for a coefficient `1`, no term for a coefficient `0`); tuple
//! results are re-packed. A linear input read by several rows is read several times: dup
//! insertion adds the `dup`s, and drops what is never read.

use super::extract::Choice;
use super::language::Term;
use egg::{Id, Symbol};
use semantics::{FnDef, FuncIndex, PrimTable, Program, Type};
use std::collections::HashMap;
use std::fmt::Write;

/// What the rebuild needs to know about the function and its program.
pub struct Target<'a> {
    pub f: &'a FnDef,
    pub prog: &'a Program,
    /// `prog`'s functions by name (a lookup per call, so not a scan).
    pub funcs: &'a FuncIndex<'a>,
    pub prims: &'a PrimTable,
    /// The index of `f` in `prog` (a primitive shadowed by a user function above it is
    /// spelled `%p(..)`).
    pub index: usize,
    /// The lowering's tag in function symbols (`S` for `S:g#k`).
    pub tag: &'a str,
    /// The input symbols of `f`'s nonlinear parameter leaves, in order.
    pub inputs: &'a [Symbol],
}

/// The extracted function: its nonlinear result leaves and its linear result rows, as
/// classes of the e-graph the choice was made in.
pub struct Roots<'a> {
    pub nl: &'a [Id],
    pub rows: &'a [Vec<(u32, Id)>],
    /// Calls with linear arguments, kept as calls, in order (`lower::Cuts`).
    pub calls: &'a [KeptCall],
}

/// A call `g(nl ; lin)` kept as a call: its nonlinear argument leaves and the row of each
/// linear argument leaf, as classes; its linear result leaves are the linear leaves
/// `first .. first + count` of later rows.
pub struct KeptCall {
    pub func: String,
    pub nl: Vec<Id>,
    pub lin: Vec<Vec<(u32, Id)>>,
    pub first: u32,
    pub count: u32,
}

/// One `let` of the body: `let lhs = rhs`, or a destructure `let <binders> = rhs`.
struct Line {
    binders: Vec<String>,
    lhs: String,
    rhs: String,
}

struct Writer {
    lines: Vec<Line>,
    prefix: String,
    next: usize,
    /// Nonlinear tuples already bound, by type and leaves: re-packing the same leaves reuses
    /// them (a residual passed through is not rebuilt).
    known: HashMap<(String, Vec<String>), String>,
}

impl Writer {
    fn fresh(&mut self, linear: bool) -> String {
        self.next += 1;
        format!(
            "{}{}{}",
            self.prefix,
            self.next,
            if linear { "'" } else { "" }
        )
    }

    fn line(&mut self, lhs: String, rhs: String) {
        self.lines.push(Line {
            binders: Vec::new(),
            lhs,
            rhs,
        });
    }

    /// Destructures `name: ty` into its scalar leaves, in order. Recursion is on the type,
    /// whose nesting the checker bounds (E0218), never on the program.
    fn leaves(&mut self, name: &str, ty: &Type, linear: bool, out: &mut Vec<String>) {
        match ty.components() {
            None => out.push(name.to_string()),
            Some(ts) => {
                let names: Vec<String> = ts.iter().map(|_| self.fresh(linear)).collect();
                self.lines.push(Line {
                    binders: names.clone(),
                    lhs: format!("<{}>", names.join(", ")),
                    rhs: name.to_string(),
                });
                let from = out.len();
                // As deep as a chain of aliases: the stack grows on demand.
                for (x, t) in names.iter().zip(ts.iter()) {
                    semantics::deep(|| self.leaves(x, t, linear, out));
                }
                if !linear {
                    self.known
                        .insert((ty.to_string(), out[from..].to_vec()), name.to_string());
                }
            }
        }
    }

    /// Packs leaves (atoms, in order) into a value of type `ty`; returns its atom.
    fn pack(&mut self, ty: &Type, leaves: &[String], linear: bool) -> Result<String, String> {
        match ty.components() {
            None => match leaves {
                [x] => Ok(x.clone()),
                _ => Err("a result of another size".into()),
            },
            Some(ts) if linear && ts.is_empty() => {
                let x = self.fresh(true);
                self.line(x.clone(), format!("zero<{ty}>"));
                Ok(x)
            }
            Some(ts) => {
                if !linear && let Some(x) = self.known.get(&(ty.to_string(), leaves.to_vec())) {
                    return Ok(x.clone());
                }
                let mut items = Vec::with_capacity(ts.len());
                let mut at = 0usize;
                for t in ts {
                    let n = usize::try_from(t.size()).map_err(|_| "a type too large")?;
                    let part = leaves.get(at..at + n).ok_or("a result of another size")?;
                    items.push(self.pack(t, part, linear)?);
                    at += n;
                }
                let x = self.fresh(linear);
                self.line(x.clone(), format!("<{}>", items.join(", ")));
                Ok(x)
            }
        }
    }

    /// The body: destructures none of whose binders is read are left out (a residual tuple
    /// passed through whole is not taken apart), and a last `let` whose value is the single
    /// result becomes the tail.
    fn finish(self, head: String, nl: Vec<String>, lin: Vec<String>) -> String {
        let ret: Vec<String> = nl.iter().chain(&lin).cloned().collect();
        let mut used: std::collections::HashSet<String> = ret.iter().cloned().collect();
        let mut keep = vec![true; self.lines.len()];
        let words = |t: &str| {
            t.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '\''))
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        for (i, l) in self.lines.iter().enumerate().rev() {
            if !l.binders.is_empty() && !l.binders.iter().any(|b| used.contains(b)) {
                keep[i] = false;
                continue;
            }
            used.extend(words(&l.rhs));
        }
        let mut lines: Vec<&Line> = self
            .lines
            .iter()
            .zip(&keep)
            .filter_map(|(l, &k)| k.then_some(l))
            .collect();
        let mut out = head;
        let tail = match (ret.as_slice(), lines.last()) {
            ([x], Some(l)) if l.binders.is_empty() && &l.lhs == x => {
                let t = l.rhs.clone();
                lines.pop();
                t
            }
            _ => multi(&nl.join(", "), &lin.join(", ")),
        };
        for l in lines {
            let _ = writeln!(out, "  let {} = {} in", l.lhs, l.rhs);
        }
        let _ = writeln!(out, "  {tail}");
        out
    }
}

/// A prefix for fresh names that no parameter name starts with.
fn prefix(f: &FnDef) -> String {
    let mut p = "s_".to_string();
    while f
        .params
        .iter()
        .chain(&f.lparams)
        .any(|q| f.name_of(q.var).starts_with(&p))
    {
        p.push('_');
    }
    p
}

/// `(nl ; lin)`, without the `;` when the linear side is empty.
fn multi(nl: &str, lin: &str) -> String {
    match (nl.is_empty(), lin.is_empty()) {
        (_, true) => format!("({nl})"),
        (true, false) => format!("(; {lin})"),
        (false, false) => format!("({nl} ; {lin})"),
    }
}

fn is_lit(n: Option<&Term>, x: f64) -> bool {
    matches!(n, Some(Term::Num(l)) if l.value() == x)
}

/// The function as relaxed source text, or why it cannot be rebuilt.
pub fn rebuild(t: &Target, roots: &Roots, choice: &Choice, order: &[Id]) -> Result<String, String> {
    let f = t.f;
    let mut w = Writer {
        lines: Vec::new(),
        prefix: prefix(f),
        next: 0,
        known: HashMap::new(),
    };
    // The header, as the printer writes it.
    let mut head = String::new();
    if f.checkpoint {
        head.push_str("@checkpoint\n");
    }
    let params = |ps: &[semantics::Param]| {
        ps.iter()
            .map(|p| format!("{}: {}", f.name_of(p.var), p.ty))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let types = |ts: &[Type]| {
        ts.iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        head,
        "def {}{} -> {} =",
        f.name,
        multi(&params(&f.params), &params(&f.lparams)),
        multi(&types(&f.results), &types(&f.lresults))
    );
    // Parameters into leaves.
    let mut nl_leaves = Vec::new();
    for p in &f.params {
        w.leaves(f.name_of(p.var), &p.ty, false, &mut nl_leaves);
    }
    let mut lin_leaves = Vec::new();
    for p in &f.lparams {
        w.leaves(f.name_of(p.var), &p.ty, true, &mut lin_leaves);
    }
    if nl_leaves.len() != t.inputs.len() {
        return Err("the parameters do not match the input symbols".into());
    }
    let input_name: HashMap<Symbol, &String> = t.inputs.iter().copied().zip(&nl_leaves).collect();
    let shadowed = |name: &str| t.prog.funcs[..t.index].iter().any(|g| g.name == name);
    // One call per (callee, arguments): the result leaves of each.
    let mut calls: HashMap<(String, Vec<Id>), Vec<String>> = HashMap::new();
    let mut atom: HashMap<Id, String> = HashMap::new();
    let tag = format!("{}:", t.tag);
    for &c in order {
        let node = choice.get(&c).ok_or("a class with no extracted node")?;
        let arg = |k: &Id| {
            atom.get(k)
                .cloned()
                .ok_or("an argument before its definition")
        };
        let text = match node {
            Term::Num(l) => semantics::fmt_real(l.value()),
            Term::Input(s) => input_name
                .get(s)
                .map(|n| n.to_string())
                .ok_or("an input symbol that is no parameter leaf")?,
            Term::Prim(s, args) => {
                let a = args.iter().map(arg).collect::<Result<Vec<_>, _>>()?;
                let x = w.fresh(false);
                let op = match s.as_str() {
                    "add" => Some("+"),
                    "sub" => Some("-"),
                    "mul" => Some("*"),
                    "div" => Some("/"),
                    _ => None,
                };
                let rhs = match (op, s.as_str(), a.as_slice()) {
                    (Some(op), _, [p, q]) => format!("{p} {op} {q}"),
                    (_, "neg", [p]) if p.starts_with('-') => format!("-({p})"),
                    (_, "neg", [p]) => format!("-{p}"),
                    _ => {
                        let pct = if shadowed(s.as_str()) { "%" } else { "" };
                        format!("{pct}{s}({})", a.join(", "))
                    }
                };
                w.line(x.clone(), rhs);
                x
            }
            Term::Fun(s, args) => {
                let name = s
                    .as_str()
                    .strip_prefix(&tag)
                    .ok_or("a symbol of another program")?;
                let (g, k) = name.rsplit_once('#').ok_or("a malformed symbol")?;
                let k: usize = k
                    .parse()
                    .map_err(|_| "a coefficient of a call with linear arguments (not rebuilt)")?;
                let key = (g.to_string(), args.to_vec());
                if !calls.contains_key(&key) {
                    let leaves = call(&mut w, t, g, args, &atom)?;
                    calls.insert(key.clone(), leaves);
                }
                calls[&key]
                    .get(k)
                    .cloned()
                    .ok_or("a result leaf out of range")?
            }
            Term::LAdd(_) | Term::Scale(_) | Term::Zero => {
                return Err("a linear node in a nonlinear term".into());
            }
            // The simplifier lowers with tuples flattened: these never reach it.
            Term::Tuple(_) | Term::Proj(..) => return Err("a tuple term (not rebuilt)".into()),
        };
        atom.insert(c, text);
    }
    // The kept calls, in order: each linear argument from its row (over the linear inputs
    // and the linear results of earlier calls), then the call, whose linear result leaves
    // extend the linear leaves.
    // A kept call whose results no live row reads is dead (calls have no effects).
    let zero_at = |c: &Id| is_lit(choice.get(c), 0.0);
    let mut read: std::collections::HashSet<u32> = roots
        .rows
        .iter()
        .flatten()
        .filter(|(_, c)| !zero_at(c))
        .map(|&(i, _)| i)
        .collect();
    let mut live = vec![false; roots.calls.len()];
    for (k, kc) in roots.calls.iter().enumerate().rev() {
        live[k] = (kc.first..kc.first + kc.count).any(|i| read.contains(&i));
        if live[k] {
            read.extend(
                kc.lin
                    .iter()
                    .flatten()
                    .filter(|(_, c)| !zero_at(c))
                    .map(|&(i, _)| i),
            );
        }
    }
    for (kc, &is_live) in roots.calls.iter().zip(&live) {
        if lin_leaves.len() != kc.first as usize {
            return Err("a kept call's results out of order".into());
        }
        if !is_live {
            // Placeholders for its result leaves: no live row reads them.
            for _ in 0..kc.count {
                lin_leaves.push(String::new());
            }
            continue;
        }
        let (callee, nl) = nonlinear_args(&mut w, t, &kc.func, &kc.nl, &atom)?;
        let mut args = Vec::with_capacity(kc.lin.len());
        for row in &kc.lin {
            args.push(linear_row(&mut w, row, &lin_leaves, choice, &atom)?);
        }
        let tys: Vec<Type> = callee.lparams.iter().map(|p| p.ty.clone()).collect();
        let lin = pack_all(&mut w, &tys, &args, true)?;
        let ls: Vec<String> = callee.lresults.iter().map(|_| w.fresh(true)).collect();
        w.line(
            multi("", &ls.join(", ")),
            format!("{}{}", kc.func, multi(&nl.join(", "), &lin.join(", "))),
        );
        for (r, ty) in ls.iter().zip(&callee.lresults) {
            w.leaves(r, ty, true, &mut lin_leaves);
        }
        if lin_leaves.len() != (kc.first + kc.count) as usize {
            return Err("a kept call's results of another size".into());
        }
    }
    // Linear results from their rows.
    let mut lin_out = Vec::new();
    for row in roots.rows {
        lin_out.push(linear_row(&mut w, row, &lin_leaves, choice, &atom)?);
    }
    let nl_atoms = roots
        .nl
        .iter()
        .map(|c| atom.get(c).cloned().ok_or("a result with no term"))
        .collect::<Result<Vec<_>, _>>()?;
    let nl = pack_all(&mut w, &f.results, &nl_atoms, false)?;
    let lin = pack_all(&mut w, &f.lresults, &lin_out, true)?;
    Ok(w.finish(head, nl, lin))
}

/// A linear leaf from its row, `c1 * x1' + c2 * x2' + ...` (`zero` for an empty row, no
/// scale for a coefficient `1`, no term for a coefficient `0`); its atom.
fn linear_row(
    w: &mut Writer,
    row: &[(u32, Id)],
    lin_leaves: &[String],
    choice: &Choice,
    atom: &HashMap<Id, String>,
) -> Result<String, String> {
    {
        let mut terms = Vec::new();
        for &(i, c) in row {
            let u = lin_leaves
                .get(i as usize)
                .ok_or("a row over no linear input")?;
            let n = choice.get(&c);
            if is_lit(n, 0.0) {
                continue;
            }
            if is_lit(n, 1.0) {
                terms.push(u.clone());
                continue;
            }
            let a = atom.get(&c).ok_or("a coefficient with no term")?;
            let x = w.fresh(true);
            w.line(x.clone(), format!("{a} * {u}"));
            terms.push(x);
        }
        let mut acc = match terms.first() {
            Some(x) => x.clone(),
            None => {
                let x = w.fresh(true);
                w.line(x.clone(), "zero".into());
                x
            }
        };
        for y in terms.iter().skip(1) {
            let x = w.fresh(true);
            w.line(x.clone(), format!("{acc} + {y}"));
            acc = x;
        }
        Ok(acc)
    }
}

/// Callee `g` of a call and its nonlinear arguments packed from the leaves `args`.
fn nonlinear_args<'p>(
    w: &mut Writer,
    t: &Target<'p>,
    g: &str,
    args: &[Id],
    atom: &HashMap<Id, String>,
) -> Result<(&'p FnDef, Vec<String>), String> {
    let callee = t
        .funcs
        .get(g)
        .and_then(|id| t.prog.func(id))
        .ok_or("a call of an unknown function")?;
    let leaves = args
        .iter()
        .map(|k| {
            atom.get(k)
                .cloned()
                .ok_or("an argument before its definition")
        })
        .collect::<Result<Vec<_>, _>>()?;
    let tys: Vec<Type> = callee.params.iter().map(|p| p.ty.clone()).collect();
    Ok((callee, pack_all(w, &tys, &leaves, false)?))
}

/// One call of `g` at the argument leaves `args`; the names of its nonlinear result leaves.
fn call(
    w: &mut Writer,
    t: &Target,
    g: &str,
    args: &[Id],
    atom: &HashMap<Id, String>,
) -> Result<Vec<String>, String> {
    let (callee, nl) = nonlinear_args(w, t, g, args, atom)?;
    // A mixed callee's nonlinear results do not depend on its linear inputs: pass zeros.
    let mut lin = Vec::new();
    for p in &callee.lparams {
        let z = w.fresh(true);
        w.line(z.clone(), format!("zero<{}>", p.ty));
        lin.push(z);
    }
    let rs: Vec<String> = callee.results.iter().map(|_| w.fresh(false)).collect();
    let ls: Vec<String> = callee.lresults.iter().map(|_| w.fresh(true)).collect();
    w.line(
        multi(&rs.join(", "), &ls.join(", ")),
        format!("{g}{}", multi(&nl.join(", "), &lin.join(", "))),
    );
    let mut out = Vec::new();
    for (r, ty) in rs.iter().zip(&callee.results) {
        w.leaves(r, ty, false, &mut out);
    }
    Ok(out)
}

/// Packs a list of values of types `tys` from their leaves, in order.
fn pack_all(
    w: &mut Writer,
    tys: &[Type],
    leaves: &[String],
    linear: bool,
) -> Result<Vec<String>, String> {
    let mut at = 0usize;
    let mut out = Vec::with_capacity(tys.len());
    for t in tys {
        let n = usize::try_from(t.size()).map_err(|_| "a type too large")?;
        let part = leaves.get(at..at + n).ok_or("results of another size")?;
        out.push(w.pack(t, part, linear)?);
        at += n;
    }
    if at != leaves.len() {
        return Err("results of another size".into());
    }
    Ok(out)
}
