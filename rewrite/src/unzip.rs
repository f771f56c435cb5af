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

use crate::build::{FnBuilder, atom, shell, var};
use crate::error::{RewriteError, internal};
use crate::normal::{Item, Normal, let_, normalise, ret, with_typing};
use crate::subst::Copier;
use checker::Class;
use semantics::*;
use std::fmt;

/// Which nonlinear values the linear half recomputes rather than receives as residuals.
/// Functions marked `@checkpoint` are recomputed under every policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Policy {
    /// Save every value the linear half needs (the default).
    #[default]
    SaveAll,
    /// Recompute every nonlinear value the linear half needs; residuals are parameters only.
    RecomputeAll,
    /// At most `K` residual scalars per function where recompute-all can meet it, saving the
    /// values whose recomputation costs the most work per scalar (a greedy heuristic).
    Budget(u128),
}

impl Policy {
    pub fn parse(s: &str) -> Result<Policy, RewriteError> {
        match s {
            "save-all" | "marks" => Ok(Policy::SaveAll),
            "recompute-all" => Ok(Policy::RecomputeAll),
            _ => s
                .strip_prefix("budget=")
                .and_then(|k| k.parse().ok())
                .map(Policy::Budget)
                .ok_or(RewriteError::BadPolicy {
                    policy: s.to_string(),
                }),
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Policy::SaveAll => f.write_str("save-all"),
            Policy::RecomputeAll => f.write_str("recompute-all"),
            Policy::Budget(k) => write!(f, "budget={k}"),
        }
    }
}

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
}

/// Unzips a well-typed program under `policy`.
pub fn unzip(prog: &Program, prims: &PrimTable, policy: Policy) -> Result<Unzipped, RewriteError> {
    // Elaboration type-checks (relaxed) and reports the same diagnostics as `check` would.
    let prog = checker::elaborate(prog, prims).map_err(RewriteError::IllTyped)?;
    unzip_strict(&prog, prims, policy)
}

/// [`unzip`] of a program that is strict already (JVP's output, which JVP elaborated): not
/// elaborated again.
pub(crate) fn unzip_strict(
    prog: &Program,
    prims: &PrimTable,
    policy: Policy,
) -> Result<Unzipped, RewriteError> {
    let classes = checker::classify_all(prog);
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
    let aliases = aliases_in(program_types(prog));
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
    let mut normals: Vec<Normal> = prog
        .funcs
        .iter()
        .map(|f| normalise(f, prog, &classes, false))
        .collect::<Result<_, _>>()?;
    let (types, bind_works) = with_typing(&mut normals, |typing| {
        Ok::<_, RewriteError>((local_types(typing, prims)?, binding_works(typing, prims)?))
    })?;
    for (n, ws) in normals.iter().zip(&bind_works) {
        // Items map to the typing view's bindings one to one, but for a split call's second half.
        let mut ws = ws.iter();
        let mut iw = n.item_work.borrow_mut();
        for (i, it) in n.items.iter().enumerate() {
            if !matches!(it, Item::SplitLin { .. }) {
                iw[i] = ws.next().copied().unwrap_or(0);
            }
        }
    }

    let mut u = Unzip {
        outputs: &outputs,
        residual_types: vec![None; prog.funcs.len()],
        funcs: Vec::new(),
    };
    let mut reports = Vec::new();
    for (i, n) in normals.iter().enumerate() {
        let f = &prog.funcs[i];
        if classes[i] == Class::Mixed {
            let policy = if f.checkpoint {
                Policy::RecomputeAll
            } else {
                policy
            };
            let (scalars, overhead_bound) = u.split(n, &types[i], policy, i)?;
            reports.push(FnReport {
                name: f.name.clone(),
                split: true,
                residual_scalars: scalars,
                recomputed_work: 0,
                peak_live: (0, 0),
                overhead_bound,
                outputs: outputs[i],
            });
        } else {
            let overhead_bound = u.pass_through(f, n)?;
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
    // The typing views are not read again: free them before the output is elaborated.
    for n in &mut normals {
        n.typing = crate::build::shell(&n.typing);
    }
    drop(types);
    let program = checker::elaborate_built(Program { funcs: u.funcs }, prims).map_err(|d| {
        internal(format!(
            "dup/drop insertion rejected the unzipped program: {}",
            d.first().map_or("", |d| d.message.as_str())
        ))
    })?;
    // Recomputed work and peak live scalars, measured on the output.
    let works = static_work_saturating(&program, prims)?;
    let out_types = local_types(&program, prims)?;
    let peak = |id: FuncId| {
        program
            .funcs
            .get(id.0 as usize)
            .map_or(0, |f| peak_live(f, &out_types[id.0 as usize]))
    };
    for (r, n) in reports.iter_mut().zip(&normals) {
        if r.split {
            r.recomputed_work = n.recomputed_static(&works, &outputs);
        }
        let (a, b) = r.outputs;
        r.peak_live = (peak(a), b.map_or(peak(a), peak));
    }
    Ok(Unzipped { program, reports })
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

    /// Emits `item` into a function under construction.
    fn emit(
        &self,
        c: &mut Copier,
        out: &mut FnBuilder,
        item: &Item,
        binds: &mut Vec<Bind>,
    ) -> Result<(), RewriteError> {
        match item {
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
    fn pass_through(&mut self, orig: &FnDef, n: &Normal) -> Result<u128, RewriteError> {
        let sites = n
            .items
            .iter()
            .filter(|it| matches!(it, Item::SplitNl { .. }))
            .count() as u128;
        if sites == 0 {
            let map = |g: FuncId| self.pass_id(g);
            let mut c = Copier::new(orig, &map);
            let mut out = FnBuilder::new();
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
        let mut out = FnBuilder::new();
        let params = c.params(&mut out, &f.params);
        let lparams = c.params(&mut out, &f.lparams);
        let mut binds = Vec::with_capacity(n.items.len());
        for item in &n.items {
            self.emit(&mut c, &mut out, item, &mut binds)?;
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

    /// Steps 2 and 3 for a function that is not in Linear B. Returns the residual scalars and
    /// the work bound the split may add (beyond recomputation and the callees).
    fn split(
        &mut self,
        n: &Normal,
        types: &[Option<Type>],
        policy: Policy,
        index: usize,
    ) -> Result<(u128, u128), RewriteError> {
        let f = &n.typing;
        let slots = f.locals.len();
        let ty = |x: LocalId| -> Result<Type, RewriteError> {
            types
                .get(x.0 as usize)
                .cloned()
                .flatten()
                .ok_or_else(|| internal(format!("no type for `{}`", f.name_of(x))))
        };
        // The residual slot of each split call has the callee's residual type.
        let mut split_callee: Vec<Option<FuncId>> = vec![None; slots];
        for it in &n.items {
            if let Item::SplitNl { r, g, .. } = it
                && let Some(slot) = split_callee.get_mut(r.0 as usize)
            {
                *slot = Some(*g);
            }
        }
        let slot_type = |x: LocalId, u: &Unzip| -> Result<Type, RewriteError> {
            match split_callee.get(x.0 as usize).copied().flatten() {
                Some(g) => u.residual_types[g.0 as usize]
                    .clone()
                    .ok_or_else(|| internal("no residual type")),
                None => ty(x),
            }
        };
        let nonlinear = |x: LocalId| !f.is_linear(x);

        // Step 2: what `.lin` recomputes. `need` holds the nonlinear slots `.lin` reads.
        let mut need = vec![false; slots];
        let mut buf = Vec::new();
        for it in n.items.iter().filter(|it| !it.nonlinear()) {
            buf.clear();
            it.reads(&mut buf);
            for &x in buf.iter().filter(|&&x| nonlinear(x)) {
                need[x.0 as usize] = true;
            }
        }
        let mut recompute = vec![false; n.items.len()];
        let candidates: Vec<bool> = match policy {
            Policy::SaveAll => vec![false; n.items.len()],
            Policy::RecomputeAll => vec![true; n.items.len()],
            Policy::Budget(k) => self.budget_choice(n, &need, k, &slot_type)?,
        };
        // One backward sweep: a needed nonlinear item chosen for recomputation makes its own
        // reads needed.
        for (i, it) in n.items.iter().enumerate().rev() {
            if it.nonlinear() && candidates[i] && it.binds().iter().any(|x| need[x.0 as usize]) {
                recompute[i] = true;
                buf.clear();
                it.reads(&mut buf);
                for &x in buf.iter().filter(|&&x| nonlinear(x)) {
                    need[x.0 as usize] = true;
                }
            }
        }
        // Residuals: needed slots not recomputed, in slot order.
        let mut defined_in_lin = vec![false; slots];
        for (i, it) in n.items.iter().enumerate() {
            if recompute[i] {
                for x in it.binds() {
                    defined_in_lin[x.0 as usize] = true;
                }
            }
        }
        let residuals: Vec<LocalId> = (0..slots)
            .map(|i| LocalId(i as u32))
            .filter(|x| need[x.0 as usize] && !defined_in_lin[x.0 as usize] && nonlinear(*x))
            .collect();
        let rtypes = residuals
            .iter()
            .map(|&x| slot_type(x, self))
            .collect::<Result<Vec<_>, _>>()?;
        // A residual tuple holding a tuple (a callee's residuals, say) gets a name, declared
        // once: spelled out, residual types would double per level of a call DAG and nest as
        // deep as the call chain is long. A flat one (`<R, R, R>`) stays as it is.
        let flat = rtypes.iter().all(|t| *t == Type::Real);
        let r_type = if flat {
            Type::Tuple(rtypes)
        } else {
            Type::named(residual_type_name(&f.name), Type::Tuple(rtypes))
        };
        let scalars = r_type.size();

        // `.nonlin` keeps the nonlinear items its results or the residuals need.
        let mut live = vec![false; slots];
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

        let map = |g: FuncId| self.pass_id(g);
        // Step 3a: `.nonlin`.
        let mut c = Copier::new(f, &map);
        let mut out = FnBuilder::new();
        let params = c.params(&mut out, &f.params);
        let mut binds = Vec::new();
        for (i, it) in n.items.iter().enumerate() {
            if keep[i] {
                self.emit(&mut c, &mut out, it, &mut binds)?;
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
        let nonlin = FnDef {
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
        };

        // Step 3b: `.lin`.
        let mut c = Copier::new(f, &map);
        let mut out = FnBuilder::new();
        let r = out.named("res", false);
        let lparams = c.params(&mut out, &f.lparams);
        let unpacked = residuals.iter().map(|&x| c.bind(&mut out, x)).collect();
        let mut binds = vec![Bind::Unpack {
            binders: unpacked,
            src: var(r),
            span: Span::GENERATED,
        }];
        for (i, it) in n.items.iter().enumerate() {
            if !it.nonlinear() || recompute[i] {
                self.emit(&mut c, &mut out, it, &mut binds)?;
            }
        }
        let lresults = n
            .lresults
            .iter()
            .map(|a| c.atom(a))
            .collect::<Result<Vec<_>, _>>()?;
        let lin = FnDef {
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
        };
        self.funcs.push(nonlin);
        self.funcs.push(lin);
        self.residual_types[index] = Some(r_type);
        // The bound: the residual tuple built, returned and destructured, and the return split
        // (|R| atoms + 6); normalisation; a second binding, call and residual atom per split
        // call (3); and a drop (3 + size) of each binder one half binds but does not read.
        let sites = n
            .items
            .iter()
            .filter(|it| matches!(it, Item::SplitNl { .. }))
            .count() as u128;
        let mut unused = 0u128;
        for (i, it) in n.items.iter().enumerate() {
            if keep[i] {
                for x in it.binds().into_iter().filter(|x| !live[x.0 as usize]) {
                    unused =
                        unused.saturating_add(3 + slot_type(x, self)?.size().clamp(1, SIZE_CAP));
                }
            }
        }
        let mut read_in_lin = vec![false; slots];
        for x in n.lresults.iter().filter_map(Atom::var) {
            read_in_lin[x.id.0 as usize] = true;
        }
        for (i, it) in n.items.iter().enumerate().rev() {
            if !it.nonlinear() || recompute[i] {
                for x in it
                    .binds()
                    .into_iter()
                    .filter(|x| !read_in_lin[x.0 as usize])
                {
                    unused =
                        unused.saturating_add(3 + slot_type(x, self)?.size().clamp(1, SIZE_CAP));
                }
                buf.clear();
                it.reads(&mut buf);
                for &x in &buf {
                    read_in_lin[x.0 as usize] = true;
                }
            }
        }
        let bound = (residuals.len() as u128 + 6 + n.extra + 3 * sites).saturating_add(unused);
        *n.recompute.borrow_mut() = recompute;
        Ok((scalars, bound))
    }

    /// `budget=K`: which needed nonlinear items to recompute. Starting from save-all, while the
    /// residuals exceed `K` scalars, recompute the item that frees residual scalars at the least
    /// work per scalar freed (recomputing an item frees its binders and makes residuals of the
    /// inputs it reads that are not residuals yet). Exact on a chain of dependent lets (it keeps
    /// the first link, which would otherwise cost the parameter, and recomputes the cheapest
    /// others); a heuristic elsewhere. If no choice frees scalars any more, recompute-all.
    /// One pass over the items plus a lazy priority queue: `O(n log n)`.
    fn budget_choice(
        &self,
        n: &Normal,
        need: &[bool],
        k: u128,
        slot_type: &dyn Fn(LocalId, &Unzip) -> Result<Type, RewriteError>,
    ) -> Result<Vec<bool>, RewriteError> {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let f = &n.typing;
        let slots = f.locals.len();
        let nonlinear = |x: LocalId| !f.is_linear(x);
        let mut size = vec![0u128; slots];
        let mut def_item: Vec<Option<usize>> = vec![None; slots];
        for (i, it) in n.items.iter().enumerate() {
            for x in it.binds() {
                size[x.0 as usize] = slot_type(x, self)?.size().min(SIZE_CAP);
                def_item[x.0 as usize] = Some(i);
            }
        }
        for p in &f.params {
            size[p.var.0 as usize] = p.ty.size().min(SIZE_CAP);
        }
        // The nonlinear items reading each slot.
        let mut readers: Vec<Vec<usize>> = vec![Vec::new(); slots];
        let mut tmp = Vec::new();
        for (i, it) in n.items.iter().enumerate().filter(|(_, it)| it.nonlinear()) {
            tmp.clear();
            it.reads(&mut tmp);
            for x in &tmp {
                readers[x.0 as usize].push(i);
            }
        }
        let mut residual: Vec<bool> = need
            .iter()
            .enumerate()
            .map(|(x, &nd)| nd && nonlinear(LocalId(x as u32)))
            .collect();
        let mut total: u128 = (0..slots).filter(|&x| residual[x]).map(|x| size[x]).sum();
        let mut recompute = vec![false; n.items.len()];
        let works = n.item_work.borrow();
        let mut buf = Vec::new();
        // Scalars freed by recomputing item i now (may be negative).
        let freed =
            |i: usize, residual: &[bool], recompute: &[bool], buf: &mut Vec<LocalId>| -> i128 {
                let it = &n.items[i];
                let gain: u128 = it
                    .binds()
                    .iter()
                    .filter(|x| residual[x.0 as usize])
                    .map(|x| size[x.0 as usize])
                    .sum();
                buf.clear();
                it.reads(buf);
                buf.sort();
                buf.dedup();
                let cost: u128 = buf
                    .iter()
                    .filter(|&&x| {
                        nonlinear(x)
                            && !residual[x.0 as usize]
                            && !def_item[x.0 as usize].is_some_and(|d| recompute[d])
                    })
                    .map(|x| size[x.0 as usize])
                    .sum();
                gain as i128 - cost as i128
            };
        // Key: work per scalar freed, a fraction compared exactly (work can be near 2^128, so
        // cross-multiplying would overflow).
        #[derive(PartialEq, Eq)]
        struct Key(u128, u128, usize);
        impl Ord for Key {
            fn cmp(&self, o: &Self) -> std::cmp::Ordering {
                cmp_fractions(self.0, self.1, o.0, o.1).then(o.2.cmp(&self.2))
            }
        }
        impl PartialOrd for Key {
            fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(o))
            }
        }
        let mut heap = BinaryHeap::new();
        let candidate = |i: usize, residual: &[bool]| {
            n.items[i].nonlinear() && n.items[i].binds().iter().any(|x| residual[x.0 as usize])
        };
        for i in 0..n.items.len() {
            if candidate(i, &residual) {
                let fr = freed(i, &residual, &recompute, &mut buf);
                if fr > 0 {
                    heap.push(Reverse(Key(works[i].max(1), fr as u128, i)));
                }
            }
        }
        while total > k {
            let Some(Reverse(Key(_, fr_then, i))) = heap.pop() else {
                // Nothing frees scalars: fall back to recomputing everything.
                return Ok(vec![true; n.items.len()]);
            };
            if recompute[i] || !candidate(i, &residual) {
                continue;
            }
            let fr = freed(i, &residual, &recompute, &mut buf);
            if fr <= 0 {
                continue;
            }
            if fr as u128 != fr_then {
                heap.push(Reverse(Key(works[i].max(1), fr as u128, i)));
                continue;
            }
            recompute[i] = true;
            for x in n.items[i].binds() {
                if residual[x.0 as usize] {
                    residual[x.0 as usize] = false;
                    total -= size[x.0 as usize];
                }
            }
            // `buf` holds i's reads: the ones not residual yet become residuals, and the items
            // defining them become candidates.
            let reads = buf.clone();
            for x in reads {
                let xi = x.0 as usize;
                if nonlinear(x) && !residual[xi] && !def_item[xi].is_some_and(|d| recompute[d]) {
                    residual[xi] = true;
                    total += size[xi];
                    // Its definition now frees it, and its readers need it no more.
                    for d in def_item[xi].into_iter().chain(readers[xi].iter().copied()) {
                        if !recompute[d] && candidate(d, &residual) {
                            let fr = freed(d, &residual, &recompute, &mut buf);
                            if fr > 0 {
                                heap.push(Reverse(Key(works[d].max(1), fr as u128, d)));
                            }
                        }
                    }
                }
            }
        }
        Ok(recompute)
    }
}

/// The name of split function `f`'s residual type, when it has one: `f.res`.
pub fn residual_type_name(f: &str) -> String {
    format!("{f}.res")
}

/// Compares `a/b` with `c/d` exactly, for `b, d > 0`, with no overflow however large the
/// numbers: compare the integer parts, then the reciprocals of the remainders (the continued
/// fractions of both), as Euclid's algorithm does: at most ~190 rounds for `u128`.
pub(crate) fn cmp_fractions(a: u128, b: u128, c: u128, d: u128) -> std::cmp::Ordering {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let (mut a, mut b, mut c, mut d) = (a, b.max(1), c, d.max(1));
    let mut flipped = false;
    let orient = |o: std::cmp::Ordering, flipped: bool| if flipped { o.reverse() } else { o };
    loop {
        let (q1, q2) = (a / b, c / d);
        if q1 != q2 {
            return orient(q1.cmp(&q2), flipped);
        }
        let (r1, r2) = (a % b, c % d);
        match (r1, r2) {
            (0, 0) => return Equal,
            (0, _) => return orient(Less, flipped),
            (_, 0) => return orient(Greater, flipped),
            // r1/b < r2/d exactly when b/r1 > d/r2.
            _ => (a, b, c, d, flipped) = (b, r1, d, r2, !flipped),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::cmp_fractions;

    /// Against exact cross-multiplication where it fits, and on values where it would overflow.
    #[test]
    fn fractions_compare_exactly_without_overflow() {
        for a in 0..40u128 {
            for b in 1..12u128 {
                for c in 0..40u128 {
                    for d in 1..12u128 {
                        assert_eq!(
                            cmp_fractions(a, b, c, d),
                            (a * d).cmp(&(c * b)),
                            "{a}/{b} {c}/{d}"
                        );
                    }
                }
            }
        }
        let big = 1u128 << 120;
        use std::cmp::Ordering::*;
        assert_eq!(cmp_fractions(big, 3, big, 2), Less);
        assert_eq!(cmp_fractions(big + 1, 1 << 9, big, 1 << 9), Greater);
        assert_eq!(
            cmp_fractions(u128::MAX, u128::MAX - 1, u128::MAX - 1, u128::MAX - 2),
            Less
        );
        assert_eq!(cmp_fractions(u128::MAX, 7, u128::MAX, 7), Equal);
        // (2^120 * 300) overflows u128: cross-multiplying panicked in debug builds.
        assert_eq!(cmp_fractions(big, 300, big - 1, 299), Less);
    }
}
