//! Dup/drop insertion (SPEC §2): a relaxed program, where variables are used any number of
//! times, becomes a strict one with the same meaning.
//!
//! For each binder (a parameter, a `let` or destructure binder), right after it is bound (at
//! the start of the body for parameters, else right after its binding in the same block):
//!
//! - a variable used **0 times**, linear or not, gets `let () = drop(x) in`;
//! - a linear variable used **k > 1 times** gets k-1 `dup`s in a chain,
//!   `let (; x_1', x_2') = dup(x') in let (; x_3', x_4') = dup(x_2') in ...`, and its uses are
//!   renamed to the k copies;
//! - anything else is left alone (a nonlinear variable may be used many times).
//!
//! Fresh names never clash with a name of the function. The output's slots are renumbered in
//! declaration order, as the parser numbers them, so `parse(print(elaborate(p))) ==
//! elaborate(p)`; a program that is already strict comes back unchanged.
//!
//! Two passes per function, each linear: count the uses of every slot, then rebuild each block
//! as one loop over its bindings.

use crate::typing::{Mode, check_program};
use semantics::{
    Atom, Bind, Block, CompactString, Diagnostic, Expr, FnDef, Fresh, Local, LocalId, PrimTable,
    Program, Span, Var,
};

/// Makes a relaxed program strict by inserting `dup`s and `drop`s. The program must type-check
/// in relaxed mode; otherwise its diagnostics are returned. (A copy of `prog` is elaborated;
/// [`elaborate_owned`] moves a program the caller no longer needs instead.)
pub fn elaborate(prog: &Program, prims: &PrimTable) -> Result<Program, Vec<Diagnostic>> {
    relaxed_check(prog, prims)?;
    Ok(elaborate_unchecked(prog.clone()))
}

/// [`elaborate`], moving the program's names, atoms and vectors into the output instead of
/// copying them.
pub fn elaborate_owned(prog: Program, prims: &PrimTable) -> Result<Program, Vec<Diagnostic>> {
    relaxed_check(&prog, prims)?;
    Ok(elaborate_unchecked(prog))
}

/// [`elaborate_owned`] of a program a transformation built, well typed by construction. The
/// relaxed type check is then an assertion about the transformation: it runs in debug builds
/// (so every test checks it) and not in release, where it took a sixth of `vjp`'s time. The
/// suites check every output with the strict checker as well.
pub fn elaborate_built(prog: Program, prims: &PrimTable) -> Result<Program, Vec<Diagnostic>> {
    if cfg!(debug_assertions) {
        relaxed_check(&prog, prims)?;
    }
    Ok(elaborate_unchecked(prog))
}

fn relaxed_check(prog: &Program, prims: &PrimTable) -> Result<(), Vec<Diagnostic>> {
    let out = check_program(prog, prims, Mode::Relaxed, false);
    if out.errors.is_empty() {
        Ok(())
    } else {
        Err(crate::diagnostics(out.errors))
    }
}

fn elaborate_unchecked(prog: Program) -> Program {
    Program {
        funcs: prog.funcs.into_iter().map(elaborate_fn).collect(),
    }
}

fn elaborate_fn(mut f: FnDef) -> FnDef {
    let uses = count_uses(&f);
    let old = std::mem::take(&mut f.locals);
    let mut fresh = Fresh::new();
    let copied = |(l, u): &(&Local, &u32)| l.linear && **u > 1;
    let mut counted = false;
    // Copies are made from the stem `x_` of a linear `x'`: `x_1'`, `x_2'`, ... Only a name
    // spelled so (primed, digits after a `_` before the prime) can equal one, and only a
    // function with a copy to make needs them avoided (a strict one costs nothing).
    if old.iter().zip(&uses).any(|p| copied(&p)) {
        for l in old.iter().filter(|l| could_be_copy(&l.name)) {
            fresh.avoid(&l.name);
        }
        // Distinct stems: each stem's copies are made in one run, from its own counter, and
        // `Fresh` keeps no string per stem (a million of them on a JVP of a million lets).
        counted = Fresh::distinct(
            old.iter()
                .zip(&uses)
                .filter(copied)
                .map(|(l, _)| [l.name.trim_end_matches('\''), "_", ""]),
        );
    }
    let n = old.len();
    let mut e = Elaborator {
        old,
        uses,
        locals: Vec::with_capacity(n),
        renamed: vec![NONE; n],
        first_copy: vec![NONE; n],
        copy_ids: Vec::new(),
        next_copy: vec![0; n],
        fresh,
        counted,
        stem: String::new(),
        binders: Vec::new(),
    };
    let old_params: Vec<LocalId> = f.params.iter().chain(&f.lparams).map(|p| p.var).collect();
    for p in f.params.iter_mut().chain(f.lparams.iter_mut()) {
        p.var = e.declare(p.var);
    }
    let mut prologue = Vec::new();
    for &x in &old_params {
        e.after_binding(x, &mut prologue);
    }
    e.block(&mut f.body, prologue);
    f.locals = e.locals;
    f
}
/// No slot ([`Elaborator::renamed`], [`Elaborator::first_copy`]).
const NONE: u32 = u32::MAX;

/// Whether a name is spelled as a copy could be: `stem_N'` (a copy's stem ends in `_`).
fn could_be_copy(name: &str) -> bool {
    let Some(name) = name.strip_suffix('\'') else {
        return false;
    };
    let stem = name.trim_end_matches(|c: char| c.is_ascii_digit());
    stem.len() < name.len() && stem.ends_with('_')
}

/// The number of occurrences of every slot.
fn count_uses(f: &FnDef) -> Vec<u32> {
    struct Uses(Vec<u32>);
    impl semantics::Visitor<'_> for Uses {
        fn read(&mut self, x: LocalId) {
            if let Some(n) = self.0.get_mut(x.0 as usize) {
                *n = n.saturating_add(1);
            }
        }
    }
    let mut uses = Uses(vec![0u32; f.locals.len()]);
    semantics::visit_block(&f.body, &mut uses);
    uses.0
}

struct Elaborator {
    /// The input's slots; a slot's name moves to the output when it is declared.
    old: Vec<Local>,
    uses: Vec<u32>,
    /// The output's slots, in declaration order.
    locals: Vec<Local>,
    /// Old slot to new slot, for binders already declared ([`NONE`] for none yet).
    renamed: Vec<u32>,
    /// For a linear slot used k > 1 times: where its k copies start in `copy_ids` (its uses
    /// are renamed to them in order), else [`NONE`]. One flat vector, not a vector per slot.
    first_copy: Vec<u32>,
    copy_ids: Vec<LocalId>,
    /// How many of a slot's copies its uses took so far.
    next_copy: Vec<u32>,
    fresh: Fresh,
    /// The copied stems are distinct: each is counted by [`Fresh::make_counted`].
    counted: bool,
    /// Scratch: a copy's stem (`x_`).
    stem: String,
    /// Scratch: the old binders of the binding being rebuilt.
    binders: Vec<LocalId>,
}

impl Elaborator {
    fn declare(&mut self, old: LocalId) -> LocalId {
        let id = LocalId(self.locals.len() as u32);
        let local = match self.old.get_mut(old.0 as usize) {
            Some(l) => Local {
                name: std::mem::take(&mut l.name),
                linear: l.linear,
                span: l.span,
            },
            None => Local {
                name: format!("_slot{}", old.0).into(),
                linear: false,
                span: Span::GENERATED,
            },
        };
        self.locals.push(local);
        if let Some(r) = self.renamed.get_mut(old.0 as usize) {
            *r = id.0;
        }
        id
    }

    fn declare_fresh(&mut self, name: CompactString, span: Span) -> LocalId {
        let id = LocalId(self.locals.len() as u32);
        self.locals.push(Local {
            name,
            linear: true,
            span,
        });
        id
    }

    /// The bindings that follow binder `old` (already declared): a drop if it is unused, dups
    /// if it is linear and used more than once.
    fn after_binding(&mut self, old: LocalId, out: &mut Vec<Bind>) {
        let Some(local) = self.old.get(old.0 as usize) else {
            return;
        };
        let (linear, span) = (local.linear, local.span);
        let uses = self.uses.get(old.0 as usize).copied().unwrap_or(0);
        let var = Var {
            id: self.renamed(old),
            span,
        };
        if uses == 0 {
            let ret = if linear {
                Expr::Ret {
                    nl: vec![],
                    lin: vec![Atom::Var(var)],
                    span,
                }
            } else {
                Expr::Ret {
                    nl: vec![Atom::Var(var)],
                    lin: vec![],
                    span,
                }
            };
            out.push(Bind::Let {
                nl: vec![],
                lin: vec![],
                rhs: Expr::Drop {
                    body: Box::new(Block {
                        binds: vec![],
                        tail: ret,
                    }),
                    span,
                },
                span,
            });
        } else if linear && uses > 1 {
            // The copies of `x'` are `x_1'`, `x_2'`, ...: the stem is the name without primes.
            self.stem.clear();
            let name = self.locals.get(var.id.0 as usize).map_or("", |l| &l.name);
            self.stem.push_str(name.trim_end_matches('\''));
            self.stem.push('_');
            let first_copy = self.copy_ids.len() as u32;
            // A slot bound twice (never, in a well-formed function) takes the stem's counter.
            let counted = self.counted
                && self
                    .first_copy
                    .get(old.0 as usize)
                    .is_some_and(|&c| c == NONE);
            let mut n = 0;
            let mut src = var.id;
            for i in 1..uses {
                let (first, second) = if counted {
                    (
                        self.fresh.make_counted(&self.stem, true, &mut n),
                        self.fresh.make_counted(&self.stem, true, &mut n),
                    )
                } else {
                    (
                        self.fresh.make(&self.stem, true),
                        self.fresh.make(&self.stem, true),
                    )
                };
                let a = self.declare_fresh(first, span);
                let b = self.declare_fresh(second, span);
                out.push(Bind::Let {
                    nl: vec![],
                    lin: vec![a, b],
                    rhs: Expr::Dup {
                        arg: Atom::Var(Var { id: src, span }),
                        span,
                    },
                    span,
                });
                self.copy_ids.push(a);
                if i + 1 == uses {
                    self.copy_ids.push(b);
                } else {
                    src = b;
                }
            }
            if let Some(c) = self.first_copy.get_mut(old.0 as usize) {
                *c = first_copy;
            }
        }
    }

    fn renamed(&self, old: LocalId) -> LocalId {
        match self.renamed.get(old.0 as usize).copied() {
            Some(id) if id != NONE => LocalId(id),
            _ => old,
        }
    }

    /// An occurrence: a copy for a duplicated linear variable, else the binder's new slot.
    fn var(&mut self, v: &mut Var) {
        let i = v.id.0 as usize;
        // The k-th use of a slot with copies takes its k-th copy (it has one per use).
        let copy = match self.first_copy.get(i).copied() {
            Some(first) if first != NONE => {
                let k = self.next_copy[i];
                (k < self.uses[i]).then(|| self.copy_ids[(first + k) as usize])
            }
            _ => None,
        };
        v.id = match copy {
            Some(id) => {
                self.next_copy[i] += 1;
                id
            }
            None => self.renamed(v.id),
        };
    }

    fn atom(&mut self, a: &mut Atom) {
        if let Atom::Var(v) = a {
            self.var(v);
        }
    }

    fn atoms(&mut self, xs: &mut [Atom]) {
        for a in xs {
            self.atom(a);
        }
    }

    /// How many bindings [`Elaborator::after_binding`] adds after binder `old`.
    fn added_after(&self, old: LocalId) -> usize {
        let uses = self.uses.get(old.0 as usize).copied().unwrap_or(0);
        match uses {
            0 => 1,
            1 => 0,
            k if self.old.get(old.0 as usize).is_some_and(|l| l.linear) => k as usize - 1,
            _ => 0,
        }
    }

    /// Rebuilds `b` in place. Its bindings move into a new vector with the added ones, or,
    /// when none is added (an already strict block), stay where they are.
    fn block(&mut self, b: &mut Block, prologue: Vec<Bind>) {
        // The exact size: growing a million-binding vector by doubling copied it twenty times.
        let added: usize = b
            .binds
            .iter()
            .map(|bind| match bind {
                Bind::Let { nl, lin, .. } => nl
                    .iter()
                    .chain(lin)
                    .map(|&x| self.added_after(x))
                    .sum::<usize>(),
                Bind::Unpack { binders, .. } => {
                    binders.iter().map(|&x| self.added_after(x)).sum::<usize>()
                }
            })
            .sum::<usize>();
        let mut old = std::mem::take(&mut self.binders);
        if added == 0 && prologue.is_empty() {
            for bind in &mut b.binds {
                self.rename_bind(bind, &mut old);
            }
        } else {
            let input = std::mem::take(&mut b.binds);
            let mut binds = prologue;
            binds.reserve_exact(input.len() + added);
            for mut bind in input {
                self.rename_bind(&mut bind, &mut old);
                binds.push(bind);
                for &x in &old {
                    self.after_binding(x, &mut binds);
                }
            }
            b.binds = binds;
        }
        self.binders = old;
        self.expr(&mut b.tail);
    }

    /// Renames a binding's operands and declares its binders, leaving their old slots in `old`.
    fn rename_bind(&mut self, bind: &mut Bind, old: &mut Vec<LocalId>) {
        old.clear();
        match bind {
            Bind::Let { nl, lin, rhs, .. } => {
                self.expr(rhs);
                old.extend(nl.iter().chain(lin.iter()));
                for x in nl.iter_mut().chain(lin.iter_mut()) {
                    *x = self.declare(*x);
                }
            }
            Bind::Unpack { binders, src, .. } => {
                self.var(src);
                old.extend(binders.iter());
                for x in binders.iter_mut() {
                    *x = self.declare(*x);
                }
            }
        }
    }

    fn expr(&mut self, e: &mut Expr) {
        match e {
            Expr::Ret { nl, lin, .. } | Expr::Call { nl, lin, .. } => {
                self.atoms(nl);
                self.atoms(lin);
            }
            Expr::Tuple { items, .. } | Expr::LTuple { items, .. } => self.atoms(items),
            Expr::Prim { args, .. } => self.atoms(args),
            Expr::LAdd { lhs, rhs, .. } => {
                self.atom(lhs);
                self.atom(rhs);
            }
            Expr::Scale { scalar, lin, .. } => {
                self.atom(scalar);
                self.atom(lin);
            }
            Expr::Zero { .. } => {}
            Expr::Dup { arg, .. } => self.atom(arg),
            Expr::Drop { body, .. } => self.block(body, Vec::new()),
            Expr::Block(b) => self.block(b, Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_avoid_the_names_of_their_form_only() {
        let prims = PrimTable::standard();
        let prog = semantics::parse("def f(; x': R, x_1': R) -> (; R) = x' + x' + x_1'").unwrap();
        let out = elaborate(&prog, prims).unwrap();
        let names: Vec<&str> = out.funcs[0]
            .locals
            .iter()
            .map(|l| l.name.as_str())
            .collect();
        assert!(
            names.contains(&"x_2'") && names.contains(&"x_3'"),
            "{names:?}"
        );
        assert_eq!(
            names.iter().filter(|n| **n == "x_1'").count(),
            1,
            "{names:?}"
        );
        crate::check(&out, prims, crate::Options::default()).unwrap();
    }

    /// The owning entry point moves instead of copying; the result is the same, and a strict
    /// program (every block takes the in-place path) comes back unchanged.
    #[test]
    fn owning_elaboration_agrees_and_keeps_a_strict_program() {
        let prims = PrimTable::standard();
        let src = "def f(x: R, u: R ; y': R) -> (R ; R) = \
                   let z = (let w = x * x in let v = 2.0 in w) in (z ; y' + (x * y' + y'))";
        let prog = semantics::parse(src).unwrap();
        let borrowed = elaborate(&prog, prims).unwrap();
        let owned = elaborate_owned(prog, prims).unwrap();
        assert_eq!(owned, borrowed);
        crate::check(&owned, prims, crate::Options::default()).unwrap();
        assert_eq!(elaborate_owned(owned.clone(), prims).unwrap(), owned);
        let built = elaborate_built(owned.clone(), prims).unwrap();
        assert_eq!(built, owned);
    }
}
