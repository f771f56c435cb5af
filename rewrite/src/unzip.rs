//! Unzip (SPEC §4): split every function that is not in Linear B into a nonlinear half
//! `f.nonlin(xs) -> (τs, R_f)` and a linear half `f.lin(r: R_f ; xs') -> (; σs)`, with
//! checkpointing as the free choice, per nonlinear binding, between saving its value as a
//! residual and recomputing it inside `f.lin`.
//!
//! Per function, in order:
//! 1. **Normalise** the body into a flat list of items, each nonlinear ([`Item::Nl`]), linear
//!    ([`Item::Lin`]) or one half of a call of a split function. Nested blocks are spliced (binders
//!    are distinct, so this cannot capture), a mixed return `(as ; bs')` is split in two, and
//!    `drop` of a mixed value becomes a drop on each side.
//! 2. **Decide** which nonlinear items the linear half recomputes (the policy, one backward
//!    sweep). The **residuals** are then exactly the nonlinear values the linear half uses and
//!    does not recompute: less than the paper, which tapes the whole context.
//! 3. **Emit** the nonlinear half (its items still needed by its results or the residuals, then
//!    the residual tuple) and the linear half (destructure the residuals, then the linear and
//!    recomputed items in their original order).
//!
//! Functions already in Linear B pass through (a linear one that calls a split function gets
//! the call's two halves in place).

use crate::build::{FnBuilder, atom, copy_builder, shell, spelling, var};
pub use crate::checkpoint::Policy;
use crate::checkpoint::{self, Checkpoint, Marks};
use crate::error::{RewriteError, internal};
use crate::normal::{Item, Normal, let_, normalise, ret, with_typing};
use crate::subst::Copier;
use checker::Class;
use semantics::*;

/// What unzip did to one function of the input.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FnReport {
    pub name: String,
    /// Split into `.nonlin` and `.lin` (false: passed through).
    pub split: bool,
    /// Scalars in the residual tuple.
    pub residual_scalars: u128,
    /// Work of the recomputed items, as they run inside `.lin`.
    pub recomputed_work: u128,
    /// Peak live scalars of `.nonlin` and of `.lin` (of the passed-through function, twice).
    pub peak_live: (u128, u128),
    /// The work unzip may add beyond the recomputed items and the callees' own additions,
    /// accounted construct by construct (see [`crate::work_bounds`]).
    pub overhead_bound: u128,
    /// Output function indices: `.nonlin` and `.lin`, or the passed-through function.
    #[serde(skip)]
    pub outputs: (FuncId, Option<FuncId>),
}

pub struct Unzipped {
    pub program: Program,
    pub reports: Vec<FnReport>,
    /// The static work of each function of `program` (saturating), measured for the reports.
    pub(crate) works: Vec<u128>,
}

/// Unzips a well-typed program under `policy`.
pub fn unzip(prog: &Program, prims: &PrimTable, policy: Policy) -> Result<Unzipped, RewriteError> {
    // Elaboration type-checks (relaxed) and reports the same diagnostics as `check` would.
    let prog = checker::elaborate(prog, prims).map_err(RewriteError::IllTyped)?;
    unzip_strict(prog, prims, policy)
}

/// [`unzip`] of a program that is strict already (JVP's output, which JVP elaborated): not
/// elaborated again. The program is consumed: a function that is split, or that calls one that
/// is, hands its body over to its normal form (only its signature stays, for its callers).
pub(crate) fn unzip_strict(
    mut prog: Program,
    prims: &PrimTable,
    policy: Policy,
) -> Result<Unzipped, RewriteError> {
    let classes = checker::classify_all(&prog);
    let names = prog.func_names();
    for (f, c) in prog.funcs.iter().zip(&classes) {
        if *c == Class::Mixed {
            for suffix in ["nonlin", "lin"] {
                let name = format!("{}.{suffix}", f.name);
                if names.contains(name.as_str()) {
                    return Err(RewriteError::NameClash {
                        name,
                        span: f.name_span,
                    });
                }
            }
        }
    }
    let aliases = aliases_in(program_types(&prog));
    for (f, c) in prog.funcs.iter().zip(&classes) {
        let name = residual_type_name(&f.name);
        if *c == Class::Mixed && aliases.iter().any(|a| a.name == name) {
            return Err(RewriteError::NameClash {
                name,
                span: f.name_span,
            });
        }
    }
    // Output layout: a split function becomes two consecutive functions.
    let mut outputs = Vec::with_capacity(prog.funcs.len());
    let mut next = 0u32;
    for c in &classes {
        let split = *c == Class::Mixed;
        outputs.push((FuncId(next), split.then_some(FuncId(next + 1))));
        next += if split { 2 } else { 1 };
    }
    // A function passed through unchanged (in Linear B, calling no split function) is copied
    // from itself, so it stays; its normal form (for the typing view) is made from a copy.
    let mut kept = Vec::with_capacity(prog.funcs.len());
    let mut normals: Vec<Normal> = Vec::with_capacity(prog.funcs.len());
    for i in 0..prog.funcs.len() {
        let keep = classes[i] != Class::Mixed && !calls_split(&prog.funcs[i].body, &classes);
        let f = if keep {
            prog.funcs[i].clone()
        } else {
            let signature = shell(&prog.funcs[i]);
            std::mem::replace(&mut prog.funcs[i], signature)
        };
        kept.push(keep);
        normals.push(normalise(f, &prog, &classes, false)?);
    }
    let (_, types, bind_works) =
        with_typing(&mut normals, |typing| work_and_types(typing, prims, true))?;
    let item_works: Vec<Vec<u128>> = normals
        .iter()
        .zip(&bind_works)
        .map(|(n, ws)| item_work(n, ws))
        .collect();
    drop(bind_works);

    let mut u = Unzip {
        outputs: &outputs,
        residual_types: vec![None; prog.funcs.len()],
        funcs: Vec::new(),
    };
    let mut reports = Vec::new();
    // Per function: the work of the items `.lin` recomputes, but for the recomputed split
    // calls, whose callee's `.nonlin` is measured on the output (none for a function passed
    // through). Each function's normal form, slot types and item works are freed once its
    // halves are emitted: the output is elaborated and measured without them.
    let mut recomputed: Vec<Recomputed> = Vec::with_capacity(normals.len());
    let strategy = Marks(policy.strategy());
    let per_fn = normals.into_iter().zip(types).zip(item_works);
    for (i, ((mut n, types), item_works)) in per_fn.enumerate() {
        let n = &mut n;
        let f = &prog.funcs[i];
        if classes[i] == Class::Mixed {
            let s = u.split(n, &types, &item_works, &strategy, i)?;
            recomputed.push(Recomputed::new(n, &s.recompute, &item_works));
            reports.push(FnReport {
                name: f.name.clone(),
                split: true,
                residual_scalars: s.residual_scalars,
                recomputed_work: 0,
                peak_live: (0, 0),
                overhead_bound: s.overhead_bound,
                outputs: outputs[i],
            });
        } else {
            recomputed.push(Recomputed::default());
            let overhead_bound = u.pass_through(kept[i].then_some(f), n)?;
            reports.push(FnReport {
                name: f.name.clone(),
                split: false,
                residual_scalars: 0,
                recomputed_work: 0,
                peak_live: (0, 0),
                overhead_bound,
                outputs: outputs[i],
            });
        }
    }
    let program = checker::elaborate_built(Program { funcs: u.funcs }, prims).map_err(|d| {
        internal(format!(
            "dup/drop insertion rejected the unzipped program: {}",
            d.first().map_or("", |d| d.message.as_str())
        ))
    })?;
    // Recomputed work and peak live scalars, measured on the output (one analysis for both).
    let (works, out_types, _) = work_and_types(&program, prims, false)?;
    let peak = |id: FuncId| {
        program
            .funcs
            .get(id.0 as usize)
            .map_or(0, |f| peak_live(f, &out_types[id.0 as usize]))
    };
    for (i, r) in reports.iter_mut().enumerate() {
        if r.split {
            r.recomputed_work = recomputed[i].work(&works, &outputs);
        }
        let (a, b) = r.outputs;
        r.peak_live = (peak(a), b.map_or(peak(a), peak));
    }
    Ok(Unzipped {
        program,
        reports,
        works,
    })
}

/// Whether a body calls a function that is split (anywhere, nested blocks included).
fn calls_split(body: &Block, classes: &[Class]) -> bool {
    let mut found = false;
    each_expr(body, &mut |e| {
        if let Expr::Call { func, .. } = e {
            found |= classes.get(func.0 as usize) == Some(&Class::Mixed);
        }
    });
    found
}

/// What splitting one function found.
struct SplitReport {
    residual_scalars: u128,
    /// The work bound the split may add (beyond recomputation and the callees).
    overhead_bound: u128,
    /// Per item: recomputed in `.lin`.
    recompute: Vec<bool>,
}

/// Per item of `n`: its static work in `f`, from `binding_works` of the typing view (its
/// bindings are the items one to one, but for a split call's second half, which has none).
fn item_work(n: &Normal, binding_works: &[u128]) -> Vec<u128> {
    let mut ws = binding_works.iter();
    n.items
        .iter()
        .map(|it| match it {
            Item::SplitLin { .. } => 0,
            _ => ws.next().copied().unwrap_or(0),
        })
        .collect()
}

/// Work of the items of a function that `.lin` recomputes, as they run there, kept once its
/// normal form is freed: a recomputed split call runs the callee's `.nonlin`, whose work is
/// known only on the output.
#[derive(Default)]
struct Recomputed {
    /// The recomputed items but the split calls (saturating).
    items: u128,
    /// Per recomputed split call: the callee, and the work of the call around its body.
    calls: Vec<(FuncId, u128)>,
}

impl Recomputed {
    fn new(n: &Normal, recompute: &[bool], item_work: &[u128]) -> Recomputed {
        let mut r = Recomputed::default();
        for (i, item) in n.items.iter().enumerate().filter(|(i, _)| recompute[*i]) {
            match item {
                Item::SplitNl { g, args, .. } => r.calls.push((*g, 2 + args.len() as u128)),
                _ => r.items = r.items.saturating_add(item_work[i]),
            }
        }
        r
    }

    /// The total, given the output's `works`. Work figures saturate at u128::MAX ("2^128 or
    /// more"), as static work does; a saturating sum of non-negative terms does not depend on
    /// their order.
    fn work(&self, works: &[u128], outputs: &[(FuncId, Option<FuncId>)]) -> u128 {
        self.calls.iter().fold(self.items, |acc, &(g, around)| {
            let nonlin = outputs[g.0 as usize].0;
            let w = works.get(nonlin.0 as usize).copied().unwrap_or(0);
            acc.saturating_add(w.saturating_add(around))
        })
    }
}

struct Unzip<'a> {
    outputs: &'a [(FuncId, Option<FuncId>)],
    /// `R_g` of each split function done so far.
    residual_types: Vec<Option<Type>>,
    funcs: Vec<FnDef>,
}

impl Unzip<'_> {
    fn pass_id(&self, g: FuncId) -> Option<FuncId> {
        self.outputs.get(g.0 as usize).map(|o| o.0)
    }

    /// Emits `item` into a function under construction. A binding emitted for the last time
    /// (`last`: no other half emits it) is moved out of the item and renamed in place, not
    /// copied: with the default policy every item is emitted once, so the halves reuse the
    /// normal form's vectors instead of allocating (and faulting in) their own.
    fn emit(
        &self,
        c: &mut Copier,
        out: &mut FnBuilder,
        item: &mut Item,
        last: bool,
        binds: &mut Vec<Bind>,
    ) -> Result<(), RewriteError> {
        match item {
            Item::Nl(b) | Item::Lin(b) if last => {
                binds.push(c.bind_moved(out, std::mem::replace(b, crate::normal::lent()))?)
            }
            Item::Nl(b) | Item::Lin(b) => binds.push(c.bind_stmt(out, b)?),
            Item::SplitNl { xs, r, g, args, .. } => {
                let (nonlin, _) = self.outputs[g.0 as usize];
                let args = args.iter().map(|a| c.atom(a)).collect::<Result<_, _>>()?;
                let mut nl: Vec<LocalId> = xs.iter().map(|&x| c.bind(out, x)).collect();
                nl.push(c.bind(out, *r));
                binds.push(let_(
                    nl,
                    vec![],
                    Expr::Call {
                        func: nonlin,
                        nl: args,
                        lin: vec![],
                        span: Span::GENERATED,
                    },
                ));
            }
            Item::SplitLin { ys, r, g, largs } => {
                let lin_id = self.outputs[g.0 as usize]
                    .1
                    .ok_or_else(|| internal("a split call of an unsplit function"))?;
                let rr = c.atom(&atom(*r))?;
                let largs = largs.iter().map(|a| c.atom(a)).collect::<Result<_, _>>()?;
                let ys = ys.iter().map(|&y| c.bind(out, y)).collect();
                binds.push(let_(
                    vec![],
                    ys,
                    Expr::Call {
                        func: lin_id,
                        nl: vec![rr],
                        lin: largs,
                        span: Span::GENERATED,
                    },
                ));
            }
        }
        Ok(())
    }

    /// A function in Linear B: copied as it is (calls renumbered), or, if it calls a split
    /// function, in normal form with each such call replaced by its two halves. Returns the
    /// work bound it may add.
    fn pass_through(&mut self, orig: Option<&FnDef>, n: &mut Normal) -> Result<u128, RewriteError> {
        let sites = n
            .items
            .iter()
            .filter(|it| matches!(it, Item::SplitNl { .. }))
            .count() as u128;
        if let (0, Some(orig)) = (sites, orig) {
            let map = |g: FuncId| self.pass_id(g);
            let mut c = Copier::new(orig, &map);
            let mut out = copy_builder(copies_distinct(orig), orig.locals.len());
            let params = c.params(&mut out, &orig.params);
            let lparams = c.params(&mut out, &orig.lparams);
            let body = c.block(&mut out, &orig.body)?;
            self.funcs.push(FnDef {
                params,
                lparams,
                locals: out.locals,
                body,
                ..shell(orig)
            });
            return Ok(0);
        }
        let f = &n.typing;
        let map = |g: FuncId| self.pass_id(g);
        let mut c = Copier::new(f, &map);
        let mut out = copy_builder(copies_distinct(f), f.locals.len());
        let params = c.params(&mut out, &f.params);
        let lparams = c.params(&mut out, &f.lparams);
        let mut binds = Vec::with_capacity(n.items.len());
        for item in &mut n.items {
            self.emit(&mut c, &mut out, item, true, &mut binds)?;
        }
        let tail = ret(
            n.results
                .iter()
                .map(|a| c.atom(a))
                .collect::<Result<_, _>>()?,
            n.lresults
                .iter()
                .map(|a| c.atom(a))
                .collect::<Result<_, _>>()?,
        );
        let def = FnDef {
            params,
            lparams,
            locals: out.locals,
            body: Block { binds, tail },
            ..shell(f)
        };
        self.funcs.push(def);
        Ok(n.extra + 3 * sites)
    }

    /// Steps 2 and 3 for a function that is not in Linear B: the policy decides (see
    /// [`checkpoint::decide`]), then both halves are emitted.
    fn split(
        &mut self,
        n: &mut Normal,
        types: &[Option<Type>],
        item_work: &[u128],
        policy: &dyn Checkpoint,
        index: usize,
    ) -> Result<SplitReport, RewriteError> {
        let slot_type = slot_types(n, types, &self.residual_types);
        let d = checkpoint::decide(policy, n, item_work, n.typing.checkpoint, &slot_type)?;
        let r_type = residual_type(&n.typing.name, &d.residuals, &slot_type)?;
        let (keep, live) = nonlin_items(n, &d.residuals);
        let distinct = copies_distinct(&n.typing);
        // Measured before the halves take the items' bindings.
        let bound = overhead_bound(n, &d, &keep, &live, &slot_type)?;
        drop(slot_type);
        let nonlin = self.nonlin_half(n, &keep, &d.recompute, &d.residuals, &r_type, distinct)?;
        let lin = self.lin_half(n, &d.recompute, &d.residuals, &r_type, distinct)?;
        self.funcs.push(nonlin);
        self.funcs.push(lin);
        let residual_scalars = r_type.size();
        self.residual_types[index] = Some(r_type);
        Ok(SplitReport {
            residual_scalars,
            overhead_bound: bound,
            recompute: d.recompute,
        })
    }

    /// Step 3a: `.nonlin`, the items in `keep`, then the residual tuple.
    fn nonlin_half(
        &self,
        n: &mut Normal,
        keep: &[bool],
        recompute: &[bool],
        residuals: &[LocalId],
        r_type: &Type,
        distinct: bool,
    ) -> Result<FnDef, RewriteError> {
        let f = &n.typing;
        let map = |g: FuncId| self.pass_id(g);
        let mut c = Copier::new(f, &map);
        let mut out = copy_builder(distinct, f.locals.len() + 1);
        let params = c.params(&mut out, &f.params);
        let mut binds = Vec::with_capacity(keep.iter().filter(|&&k| k).count() + 1);
        for (i, it) in n.items.iter_mut().enumerate() {
            if keep[i] {
                // `.lin` emits the nonlinear items it recomputes again.
                let last = !(it.nonlinear() && recompute[i]);
                self.emit(&mut c, &mut out, it, last, &mut binds)?;
            }
        }
        let res = out.named("res", false);
        let res_items = residuals
            .iter()
            .map(|&x| c.atom(&atom(x)))
            .collect::<Result<Vec<_>, _>>()?;
        binds.push(let_(
            vec![res],
            vec![],
            Expr::Tuple {
                items: res_items,
                span: Span::GENERATED,
            },
        ));
        let mut results = n
            .results
            .iter()
            .map(|a| c.atom(a))
            .collect::<Result<Vec<_>, _>>()?;
        results.push(atom(res));
        let mut result_types = f.results.clone();
        result_types.push(r_type.clone());
        Ok(FnDef {
            name: format!("{}.nonlin", f.name),
            checkpoint: false,
            params,
            lparams: vec![],
            results: result_types,
            lresults: vec![],
            locals: out.locals,
            body: Block {
                binds,
                tail: ret(results, vec![]),
            },
            ..shell(f)
        })
    }

    /// Step 3b: `.lin`, the residuals destructured, then the linear and recomputed items in
    /// their original order.
    fn lin_half(
        &self,
        n: &mut Normal,
        recompute: &[bool],
        residuals: &[LocalId],
        r_type: &Type,
        distinct: bool,
    ) -> Result<FnDef, RewriteError> {
        let f = &n.typing;
        let map = |g: FuncId| self.pass_id(g);
        let mut c = Copier::new(f, &map);
        let mut out = copy_builder(distinct, f.locals.len() + 1);
        let r = out.named("res", false);
        let lparams = c.params(&mut out, &f.lparams);
        let unpacked = residuals.iter().map(|&x| c.bind(&mut out, x)).collect();
        let emitted = n
            .items
            .iter()
            .zip(recompute)
            .filter(|(it, r)| !it.nonlinear() || **r)
            .count();
        let mut binds = Vec::with_capacity(emitted + 1);
        binds.push(Bind::Unpack {
            binders: unpacked,
            src: var(r),
            span: Span::GENERATED,
        });
        for (i, it) in n.items.iter_mut().enumerate() {
            if !it.nonlinear() || recompute[i] {
                self.emit(&mut c, &mut out, it, true, &mut binds)?;
            }
        }
        let lresults = n
            .lresults
            .iter()
            .map(|a| c.atom(a))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(FnDef {
            name: format!("{}.lin", f.name),
            checkpoint: false,
            params: vec![Param {
                var: r,
                ty: r_type.clone(),
            }],
            lparams,
            results: vec![],
            lresults: f.lresults.clone(),
            locals: out.locals,
            body: Block {
                binds,
                tail: ret(vec![], lresults),
            },
            ..shell(f)
        })
    }
}

/// Whether the copies of `f` (its halves, or the function passed through) may take its names
/// without a name table: a half takes only `f`'s names and `res`, so if those are pairwise
/// distinct once spelled, every name it takes is free (see [`FnBuilder::distinct`]). False
/// for a function with two slots of one name (a sibling scope's, say): its copies check.
fn copies_distinct(f: &FnDef) -> bool {
    Fresh::distinct(f.locals.iter().map(spelling).chain([["res", "", ""]]))
}

/// The type of each slot of `n`, where the residual slot of a split call has the callee's
/// residual type.
fn slot_types<'a>(
    n: &'a Normal,
    types: &'a [Option<Type>],
    residual_types: &'a [Option<Type>],
) -> impl Fn(LocalId) -> Result<Type, RewriteError> + 'a {
    let f = &n.typing;
    let mut split_callee: Vec<Option<FuncId>> = vec![None; f.locals.len()];
    for it in &n.items {
        if let Item::SplitNl { r, g, .. } = it
            && let Some(slot) = split_callee.get_mut(r.0 as usize)
        {
            *slot = Some(*g);
        }
    }
    move |x: LocalId| match split_callee.get(x.0 as usize).copied().flatten() {
        Some(g) => residual_types[g.0 as usize]
            .clone()
            .ok_or_else(|| internal("no residual type")),
        None => types
            .get(x.0 as usize)
            .cloned()
            .flatten()
            .ok_or_else(|| internal(format!("no type for `{}`", f.name_of(x)))),
    }
}

/// `R_f`: the residuals' tuple type. A residual tuple holding a tuple (a callee's residuals,
/// say) gets a name, declared once: spelled out, residual types would double per level of a
/// call DAG and nest as deep as the call chain is long. A flat one (`<R, R, R>`) stays as it is.
fn residual_type(
    name: &str,
    residuals: &[LocalId],
    slot_type: &dyn Fn(LocalId) -> Result<Type, RewriteError>,
) -> Result<Type, RewriteError> {
    let rtypes = residuals
        .iter()
        .map(|&x| slot_type(x))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(if rtypes.iter().all(|t| *t == Type::Real) {
        Type::Tuple(rtypes)
    } else {
        Type::named(residual_type_name(name), Type::Tuple(rtypes))
    })
}

/// The nonlinear items `.nonlin` keeps (those its results or the residuals need), and the
/// slots live in it.
fn nonlin_items(n: &Normal, residuals: &[LocalId]) -> (Vec<bool>, Vec<bool>) {
    let mut live = vec![false; n.typing.locals.len()];
    for x in n
        .results
        .iter()
        .filter_map(Atom::var)
        .map(|v| v.id)
        .chain(residuals.iter().copied())
    {
        live[x.0 as usize] = true;
    }
    let mut keep = vec![false; n.items.len()];
    let mut buf = Vec::new();
    for (i, it) in n.items.iter().enumerate().rev() {
        // An item that binds nothing (a drop, a destructure of `<>`) stays: it is what uses
        // its variables.
        let binds = it.binds();
        if it.nonlinear() && (binds.is_empty() || binds.iter().any(|x| live[x.0 as usize])) {
            keep[i] = true;
            buf.clear();
            it.reads(&mut buf);
            for &x in &buf {
                live[x.0 as usize] = true;
            }
        }
    }
    (keep, live)
}

/// The work bound of a split: the residual tuple built, returned and destructured, and the
/// return split (|R| atoms + 6); normalisation; a second binding, call and residual atom per
/// split call (3); and a drop (3 + size) of each binder one half binds but does not read.
fn overhead_bound(
    n: &Normal,
    d: &checkpoint::Decision,
    keep: &[bool],
    live: &[bool],
    slot_type: &dyn Fn(LocalId) -> Result<Type, RewriteError>,
) -> Result<u128, RewriteError> {
    let sites = n
        .items
        .iter()
        .filter(|it| matches!(it, Item::SplitNl { .. }))
        .count() as u128;
    let drop_cost = |x: LocalId| -> Result<u128, RewriteError> {
        Ok(3 + slot_type(x)?.size().clamp(1, SIZE_CAP))
    };
    let mut unused = 0u128;
    for (i, it) in n.items.iter().enumerate() {
        if keep[i] {
            for x in it.binds().into_iter().filter(|x| !live[x.0 as usize]) {
                unused = unused.saturating_add(drop_cost(x)?);
            }
        }
    }
    let mut read_in_lin = vec![false; n.typing.locals.len()];
    for x in n.lresults.iter().filter_map(Atom::var) {
        read_in_lin[x.id.0 as usize] = true;
    }
    let mut buf = Vec::new();
    for (i, it) in n.items.iter().enumerate().rev() {
        if !it.nonlinear() || d.recompute[i] {
            for x in it
                .binds()
                .into_iter()
                .filter(|x| !read_in_lin[x.0 as usize])
            {
                unused = unused.saturating_add(drop_cost(x)?);
            }
            buf.clear();
            it.reads(&mut buf);
            for &x in &buf {
                read_in_lin[x.0 as usize] = true;
            }
        }
    }
    Ok((d.residuals.len() as u128 + 6 + n.extra + 3 * sites).saturating_add(unused))
}

/// The name of split function `f`'s residual type, when it has one: `f.res`.
pub fn residual_type_name(f: &str) -> String {
    format!("{f}.res")
}
