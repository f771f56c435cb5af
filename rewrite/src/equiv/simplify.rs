//! The simplifier (`lina simplify`, `lina vjp --simplify`): equality saturation on each
//! function's terms, extraction of the cheapest equivalent under the work model, a rebuilt
//! Linear A function, and validation of the result.
//!
//! Per function: lowering ([`super::lower`]) gives hash-consed terms for the nonlinear
//! results and a coefficient row for each linear result leaf (so common subexpressions and
//! dead code are gone before any rewriting); the terms go into an e-graph with exact constant
//! folding, are saturated under the prover's rule table plus [`EXTRA_RULES`] (within
//! [`Limits`]), and the cheapest DAG is extracted ([`super::extract`]) and rebuilt as a
//! function ([`super::rebuild`]). Then, for the whole program:
//!
//! - dup/drop insertion and the strict checker make the rebuilt program strict (and it must
//!   be in Linear B where the input was);
//! - a rebuilt function is kept only if it lowers the static work `W` (a callee's work counted
//!   with its own choice), so the result is never worse than the input;
//! - every kept function is **proved** equal to its input by the prover
//!   ([`super::validate`]: same-named functions compute the same results and coefficients)
//!   and evaluated against it at random points; a function that is not proved, or differs
//!   numerically, is put back as it was, and the round is repeated.
//!
//! Proofs are over the reals: a rebuilt function can round differently in f64 (sums are
//! regrouped) and can be defined where the input overflowed, never the other way round (the
//! rules preserve definedness).

use super::claims::Session;
use super::dag::Dag;
use super::extract::{self, Choice};
use super::language::{Lit, Term};
use super::lower::Lowerer;
use super::prove::{self, Outcome};
use super::rebuild::{KeptCall, Roots, Target, rebuild};
use super::rules::{RULES, parse_rules};
use egg::{Analysis, DidMerge, EGraph, Id, Language, Pattern, Rewrite, Runner, Symbol};
use semantics::{Diagnostic, Expr, FuncIndex, PrimTable, Program, Value};
use serde::Serialize;
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

/// Rules the simplifier adds to the prover's table: identities over the reals whose two
/// sides are defined at the same points (checked numerically, as the table's are, by
/// `rewrite/tests/simplify.rs`), oriented towards cheaper terms.
pub const EXTRA_RULES: &str = "
neg-neg: (neg (neg ?a)) => ?a
mul-neg: (mul (neg ?a) ?b) => (neg (mul ?a ?b))
sub-neg: (sub ?a (neg ?b)) => (add ?a ?b)
neg-sub: (neg (sub ?a ?b)) => (sub ?b ?a)
div-one: (div ?a 1) => ?a
mul-div: (mul ?a (div ?b ?c)) => (div (mul ?a ?b) ?c)
div-div: (div (div ?a ?b) ?c) => (div ?a (mul ?b ?c))
";

/// The limits of one function's saturation (egg `Runner` style).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Limits {
    /// Functions whose term DAG has more nodes than this are not saturated (their
    /// simplification is sharing, dead-code removal and the row rebuild only).
    pub saturate_nodes: usize,
    pub nodes: usize,
    pub iterations: usize,
    #[serde(serialize_with = "millis")]
    pub time: Duration,
    /// Random points at which each rebuilt function is evaluated against its input.
    pub samples: usize,
    /// Functions doing more work than this are not evaluated (they are still proved).
    pub sample_work: u128,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u128(d.as_millis())
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            saturate_nodes: 400,
            nodes: 4_000,
            iterations: 8,
            time: Duration::from_millis(500),
            samples: 3,
            sample_work: 1_000_000,
        }
    }
}

/// What happened to one function.
#[derive(Clone, Debug, Serialize)]
pub struct FnReport {
    pub func: String,
    /// Static work of the function (callees included) before and after.
    pub work_before: u128,
    pub work_after: u128,
    /// Whether the output's function is the rebuilt one (else it is the input's).
    pub simplified: bool,
    /// The proof that the output's function equals the input's.
    pub proof: Outcome,
    /// Why the input's function was kept, or what the proof said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The simplified program and a report per function.
#[derive(Clone, Debug)]
pub struct Simplified {
    pub program: Program,
    pub functions: Vec<FnReport>,
}

/// Constant folding, exact only: a ring operation (or a division with an exact quotient) on
/// literals that the ring normal form reads as exact coefficients, giving one (so the
/// validation can prove the fold).
#[derive(Default)]
pub struct Fold;

fn small_dyadic(c: f64) -> bool {
    c.abs() < 1048576.0 && (c * 1024.0).fract() == 0.0
}

impl Analysis<Term> for Fold {
    type Data = Option<u64>;

    fn make(egraph: &mut EGraph<Term, Fold>, enode: &Term, _id: Id) -> Option<u64> {
        let c = |i: &Id| egraph[*i].data.map(f64::from_bits);
        let v = match enode {
            Term::Num(l) => l.value(),
            Term::Prim(s, args) => {
                let xs = args.iter().map(c).collect::<Option<Vec<f64>>>()?;
                match (s.as_str(), xs.as_slice()) {
                    ("add", [x, y]) => x + y,
                    ("sub", [x, y]) => x - y,
                    ("mul", [x, y]) => x * y,
                    ("neg", [x]) => -x,
                    ("div", [x, y]) if *y != 0.0 && (x / y).mul_add(*y, -x) == 0.0 => x / y,
                    _ => return None,
                }
            }
            _ => return None,
        };
        small_dyadic(v).then_some(v.to_bits())
    }

    fn merge(&mut self, a: &mut Option<u64>, b: Option<u64>) -> DidMerge {
        match (&a, b) {
            (None, Some(_)) => {
                *a = b;
                DidMerge(true, false)
            }
            (Some(_), None) => DidMerge(false, true),
            _ => DidMerge(false, false),
        }
    }

    fn modify(egraph: &mut EGraph<Term, Fold>, id: Id) {
        if let Some(bits) = egraph[id].data {
            let n = egraph.add(Term::Num(Lit(bits)));
            egraph.union(id, n);
        }
    }
}

type Rule = Rewrite<Term, Fold>;

/// The prover's table and [`EXTRA_RULES`], as rewrites over the folding e-graph.
pub fn simplify_rules() -> Result<Vec<Rule>, String> {
    let mut out = Vec::new();
    for text in [RULES, EXTRA_RULES] {
        for r in parse_rules(text)? {
            let mut add = |name: String, l: &str, r: &str| -> Result<(), String> {
                let lp = Pattern::from_str(l).map_err(|e| format!("rule `{name}`: {e}"))?;
                let rp = Pattern::from_str(r).map_err(|e| format!("rule `{name}`: {e}"))?;
                out.push(
                    Rewrite::new(name.clone(), lp, rp)
                        .map_err(|e| format!("rule `{name}`: {e}"))?,
                );
                Ok(())
            };
            add(r.name.clone(), &r.lhs, &r.rhs)?;
            if r.both_ways {
                add(format!("{}-rev", r.name), &r.rhs, &r.lhs)?;
            }
        }
    }
    Ok(out)
}

const TAG: &str = "S";

/// A rebuilt candidate for one function, or why there is none.
#[allow(clippy::too_many_arguments)]
fn candidate(
    dag: &mut Dag,
    prog: &Program,
    funcs: &FuncIndex,
    prims: &PrimTable,
    index: usize,
    works: &[u128],
    rules: &[Rule],
    limits: &Limits,
) -> Result<String, String> {
    let f = &prog.funcs[index];
    let mut low = Lowerer {
        dag,
        prims,
        prog,
        tag: TAG,
        opaque: false,
        cuts: Some(Default::default()),
    };
    let (inputs, lowered) = low.lower_and_define(f).map_err(|e| e.message)?;
    let cuts = low.cuts.take().unwrap_or_default();
    let symbols: Vec<Symbol> = inputs
        .iter()
        .map(|&i| match dag.get(i) {
            Term::Input(s) => Ok(*s),
            _ => Err("an input that is not a symbol"),
        })
        .collect::<Result<_, _>>()?;
    let mut roots: Vec<Id> = lowered.nl.clone();
    for row in &lowered.lin {
        roots.extend(row.iter().map(|&(_, c)| c));
    }
    // The kept calls' arguments: nonlinear leaves, then each linear argument's row.
    for call in &cuts.calls {
        roots.extend(&call.nl);
        for row in &call.lin {
            roots.extend(row.iter().map(|&(_, c)| c));
        }
    }
    let (expr, at) = dag.extract(&roots);
    let mut egraph: EGraph<Term, Fold> = EGraph::default();
    let mut ids: Vec<Id> = Vec::with_capacity(expr.len());
    for node in expr.as_ref() {
        let n = node.clone().map_children(|c| ids[usize::from(c)]);
        ids.push(egraph.add(n));
    }
    egraph.rebuild();
    if expr.len() <= limits.saturate_nodes {
        let runner = Runner::default()
            .with_egraph(egraph)
            .with_node_limit(limits.nodes)
            .with_iter_limit(limits.iterations)
            .with_time_limit(limits.time)
            .run(rules);
        egraph = runner.egraph;
    }
    let class = |k: usize| egraph.find(ids[usize::from(at[k])]);
    let nl: Vec<Id> = (0..lowered.nl.len()).map(class).collect();
    let mut k = lowered.nl.len();
    let mut rows = Vec::new();
    for row in &lowered.lin {
        rows.push(
            row.iter()
                .map(|&(i, _)| {
                    k += 1;
                    (i, class(k - 1))
                })
                .collect::<Vec<_>>(),
        );
    }
    let mut calls = Vec::with_capacity(cuts.calls.len());
    for call in &cuts.calls {
        let args: Vec<Id> = call
            .nl
            .iter()
            .map(|_| {
                k += 1;
                class(k - 1)
            })
            .collect();
        let mut lin = Vec::with_capacity(call.lin.len());
        for row in &call.lin {
            lin.push(
                row.iter()
                    .map(|&(i, _)| {
                        k += 1;
                        (i, class(k - 1))
                    })
                    .collect::<Vec<_>>(),
            );
        }
        calls.push(KeptCall {
            func: call.func.clone(),
            nl: args,
            lin,
            first: call.first,
            count: call.count,
        });
    }
    let all: Vec<Id> = nl
        .iter()
        .copied()
        .chain(rows.iter().flatten().map(|&(_, c)| c))
        .chain(calls.iter().flat_map(|c| {
            c.nl.iter()
                .copied()
                .chain(c.lin.iter().flatten().map(|&(_, x)| x))
        }))
        .collect();
    // The nodes lowering made, as they are now: on equal work the extraction keeps them (a
    // rewritten node costs 1/64 of a unit more), so that what did not get cheaper stays as
    // written and the validation proves it at once.
    let original: std::collections::HashSet<Term> = expr
        .as_ref()
        .iter()
        .map(|n| n.clone().map_children(|c| egraph.find(ids[usize::from(c)])))
        .collect();
    let cost = |n: &Term| {
        let w = node_cost(n, funcs, prims, works).saturating_mul(64);
        w.saturating_add(u64::from(!original.contains(n)))
    };
    let mut choice: Choice = extract::extract(&egraph, &cost);
    extract::improve(&egraph, &mut choice, &all, &cost);
    let order = extract::order(&choice, &all)?;
    let target = Target {
        f,
        prog,
        funcs,
        prims,
        index,
        tag: TAG,
        inputs: &symbols,
    };
    rebuild(
        &target,
        &Roots {
            nl: &nl,
            rows: &rows,
            calls: &calls,
        },
        &choice,
        &order,
    )
}

/// A node's own work once rebuilt: a `let` of a primitive is the binding, the primitive's
/// cost and its atom occurrences; a call adds the callee's work. Literals and inputs cost
/// nothing of their own (their occurrences are counted where they are read).
fn node_cost(n: &Term, funcs: &FuncIndex, prims: &PrimTable, works: &[u128]) -> u64 {
    match n {
        Term::Num(_) | Term::Input(_) => 0,
        Term::Prim(s, args) => {
            let c = prims
                .lookup(s.as_str())
                .and_then(|p| prims.get(p))
                .map_or(1, |r| r.cost as u64);
            1 + c + args.len() as u64
        }
        Term::Fun(s, args) => {
            let name = s.as_str();
            let callee = name
                .strip_prefix("S:")
                .and_then(|n| n.rsplit_once('#'))
                .and_then(|(g, _)| funcs.get(g));
            let w = callee
                .and_then(|g| works.get(g.0 as usize))
                .copied()
                .unwrap_or(0);
            (2 + args.len() as u64).saturating_add(u64::try_from(w).unwrap_or(u64::MAX))
        }
        Term::LAdd(_) | Term::Scale(_) | Term::Zero => 3,
        // Not lowered by the simplifier (tuples flattened); priced as a binding.
        Term::Tuple(items) => 1 + items.len() as u64,
        Term::Proj(..) => 2,
    }
}

/// How often each function's body calls each other function (every call runs once: Linear A
/// has no control flow).
fn call_counts(prog: &Program) -> Vec<HashMap<usize, u128>> {
    prog.funcs
        .iter()
        .map(|f| {
            let mut m = HashMap::new();
            semantics::each_expr(&f.body, &mut |e| {
                if let Expr::Call { func, .. } = e {
                    *m.entry(func.0 as usize).or_insert(0u128) += 1;
                }
            });
            m
        })
        .collect()
}

/// A program from per-function source texts: parsed, elaborated, strictly checked.
fn assemble(header: &str, texts: &[String], prims: &PrimTable) -> Result<Program, String> {
    let mut src = header.to_string();
    for t in texts {
        src.push_str(t);
        src.push('\n');
    }
    let render = |d: Vec<Diagnostic>| {
        d.iter()
            .map(|d| format!("{}: {}", d.code, d.message))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let p = semantics::parse(&src).map_err(render)?;
    let p = checker::elaborate(&p, prims).map_err(render)?;
    checker::accepts(&p, prims, checker::Options { relaxed: false }).map_err(render)?;
    Ok(p)
}

/// Simplifies every function of a strict, well-typed program.
pub fn simplify(prog: &Program, prims: &PrimTable, limits: &Limits) -> Result<Simplified, String> {
    let n = prog.funcs.len();
    let works = semantics::static_work_saturating(prog, prims).map_err(|e| e.message)?;
    let linear_b = checker::check_linear_b(prog).is_empty();
    let rules = simplify_rules()?;
    let mut dag = Dag::default();
    // A function over the lowering's budget (a wide tuple: `n²` row entries) is kept as it is.
    let refused = checker::kernel::walk::refused(prog, &semantics::Type::size);
    let funcs = prog.index();
    let mut cands: Vec<Result<String, String>> = (0..n)
        .map(|i| match refused.contains(&prog.funcs[i].name) {
            true => Err(checker::kernel::walk::OVER_BUDGET.to_string()),
            false => candidate(&mut dag, prog, &funcs, prims, i, &works, &rules, limits),
        })
        .collect();
    let header: String = semantics::aliases_in(semantics::program_types(prog))
        .iter()
        .map(|a| format!("type {} = {}\n", a.name, a.def))
        .collect();
    let originals = semantics::print_each_fn(&prog.funcs, prims);
    let counts_orig = call_counts(prog);
    let own = |works: &[u128], counts: &[HashMap<usize, u128>], i: usize| {
        counts[i].iter().fold(works[i], |w, (&g, &k)| {
            w.saturating_sub(k.saturating_mul(works.get(g).copied().unwrap_or(0)))
        })
    };
    let mut notes: Vec<Option<String>> = cands.iter().map(|c| c.as_ref().err().cloned()).collect();
    for _round in 0..4 {
        // Every candidate at once, for its work.
        let texts: Vec<String> = (0..n)
            .map(|i| cands[i].clone().unwrap_or_else(|_| originals[i].clone()))
            .collect();
        let all = match assemble(&header, &texts, prims) {
            Ok(p) => p,
            Err(e) => {
                // A rebuilt function the checker refuses is a fault of the rebuild: find it
                // one function at a time (against the originals) and drop it.
                let mut found = false;
                for i in 0..n {
                    if cands[i].is_err() {
                        continue;
                    }
                    let mut t = originals.clone();
                    t[i] = texts[i].clone();
                    if let Err(e) = assemble(&header, &t, prims) {
                        notes[i] = Some(format!("the rebuilt function is rejected: {e}"));
                        cands[i] = Err(String::new());
                        found = true;
                    }
                }
                if !found {
                    return Err(format!("the rebuilt program is rejected: {e}"));
                }
                continue;
            }
        };
        let works_all = semantics::static_work_saturating(&all, prims).map_err(|e| e.message)?;
        let counts_all = call_counts(&all);
        // Choose, callees first: the rebuilt function where it does strictly less work.
        let mut fin: Vec<u128> = vec![0; n];
        let mut chosen = vec![false; n];
        for i in 0..n {
            let total = |own: u128, counts: &HashMap<usize, u128>, fin: &[u128]| {
                counts.iter().fold(own, |w, (&g, &k)| {
                    w.saturating_add(k.saturating_mul(fin.get(g).copied().unwrap_or(0)))
                })
            };
            let w_orig = total(own(&works, &counts_orig, i), &counts_orig[i], &fin);
            fin[i] = w_orig;
            if cands[i].is_ok() {
                let w_cand = total(own(&works_all, &counts_all, i), &counts_all[i], &fin);
                if w_cand < w_orig {
                    fin[i] = w_cand;
                    chosen[i] = true;
                    notes[i] = None;
                } else {
                    notes[i] = Some(format!("not cheaper (rebuilt: W {w_cand})"));
                }
            }
        }
        let texts: Vec<String> = (0..n)
            .map(|i| {
                if chosen[i] {
                    texts[i].clone()
                } else {
                    originals[i].clone()
                }
            })
            .collect();
        let out = assemble(&header, &texts, prims)?;
        let mut failed: Vec<(usize, String)> = Vec::new();
        if linear_b && !checker::check_linear_b(&out).is_empty() {
            for (i, c) in checker::classify_all(&out).iter().enumerate() {
                if chosen[i] && *c == checker::Class::Mixed {
                    failed.push((i, "not in Linear B once rebuilt".into()));
                }
            }
        }
        let mut session = Session::new(prims, prove::Limits::default())?;
        let reports = session.equiv(prog, &out, None);
        let mut proof: Vec<Outcome> = vec![Outcome::Unknown; n];
        let index = prog.index();
        for r in &reports {
            if let Some(i) = index.get(&r.func) {
                let i = i.0 as usize;
                proof[i] = r.outcome;
                if r.outcome != Outcome::Proved {
                    let why = r.reason.clone().unwrap_or_default();
                    failed.push((i, format!("not proved ({}): {why}", r.outcome.as_str())));
                }
            }
        }
        let final_works = semantics::static_work_saturating(&out, prims).map_err(|e| e.message)?;
        for i in 0..n {
            if chosen[i]
                && final_works[i] <= limits.sample_work
                && let Some(why) = differs(prog, &out, prims, i, limits.samples)
            {
                failed.push((i, why));
            }
        }
        if failed.is_empty() {
            let functions = (0..n)
                .map(|i| FnReport {
                    func: prog.funcs[i].name.clone(),
                    work_before: works[i],
                    work_after: final_works[i],
                    simplified: chosen[i],
                    proof: proof[i],
                    note: notes[i].clone(),
                })
                .collect();
            return Ok(Simplified {
                program: out,
                functions,
            });
        }
        let mut reverted = false;
        for (i, why) in failed {
            if chosen[i] {
                reverted = true;
            }
            if cands[i].is_ok() {
                cands[i] = Err(why.clone());
            }
            notes[i] = Some(why);
        }
        if !reverted {
            break;
        }
    }
    // No consistent simplification: the input, unchanged.
    let functions = (0..n)
        .map(|i| FnReport {
            func: prog.funcs[i].name.clone(),
            work_before: works[i],
            work_after: works[i],
            simplified: false,
            proof: Outcome::Proved,
            note: Some(notes[i].clone().unwrap_or_else(|| {
                "kept: the program could not be simplified consistently".into()
            })),
        })
        .collect();
    Ok(Simplified {
        program: prog.clone(),
        functions,
    })
}

/// Function `i` of `a` and of `b` at random points: a point where both are finite and differ
/// beyond rounding.
fn differs(
    a: &Program,
    b: &Program,
    prims: &PrimTable,
    i: usize,
    samples: usize,
) -> Option<String> {
    let f = &a.funcs[i];
    let id = semantics::FuncId(i as u32);
    let mut rng = semantics::numeric::Rng::new(0x51_3e11 ^ i as u64);
    for k in 0..samples {
        let (lo, hi) = if k % 2 == 0 { (0.2, 2.0) } else { (-2.0, 2.0) };
        let nl: Vec<Value> = f.params.iter().map(|p| rng.value(&p.ty, lo, hi)).collect();
        let lin: Vec<Value> = f
            .lparams
            .iter()
            .map(|p| rng.value(&p.ty, -1.0, 1.0))
            .collect();
        let (Ok(x), Ok(y)) = (
            semantics::eval_fn(a, prims, id, &nl, &lin),
            semantics::eval_fn(b, prims, id, &nl, &lin),
        ) else {
            return Some("does not evaluate".into());
        };
        let xs = semantics::numeric::leaves(&[x.nl, x.lin].concat());
        let ys = semantics::numeric::leaves(&[y.nl, y.lin].concat());
        if xs.len() != ys.len() {
            return Some("results of another shape".into());
        }
        for (p, q) in xs.iter().zip(&ys) {
            if p.is_finite() && q.is_finite() && (p - q).abs() > 1e-6 * (1.0 + p.abs() + q.abs()) {
                return Some(format!("differs numerically ({p} against {q})"));
            }
        }
    }
    None
}
