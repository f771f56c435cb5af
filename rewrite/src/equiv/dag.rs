//! The term DAG: every term built while lowering lives here, hash-consed, so a value used
//! twice is one node and a shared subterm is never expanded into a tree (60 `let`s each using
//! the previous one twice are 60 nodes, not 2^60).
//!
//! [`Defs`] gives each uninterpreted function symbol its meaning (a lowered term over the
//! callee's own input symbols); [`Dag::eval`] uses it to evaluate terms at numeric points,
//! which is how a false claim gets its counterexample.

use super::language::{Lit, Term};
use egg::{Id, Language, RecExpr, Symbol};
use semantics::PrimTable;
use std::collections::HashMap;

#[derive(Default)]
pub struct Dag {
    nodes: Vec<Term>,
    index: HashMap<Term, Id>,
    pub defs: Defs,
    /// The nonlinear terms that linear code scales by (and the partials the reference
    /// Jacobians multiply by): the ring normal form first tries them as atoms.
    pub factors: std::collections::HashSet<Id>,
    /// Callee frames kept across evaluations (see [`Dag::eval`]).
    memo: std::cell::RefCell<Memo>,
}

/// The frames of function symbols at argument values that do not depend on one evaluation's
/// point (reals, random tuples, tuples of kept frames): a function's value at given arguments
/// is the same in every obligation, so they are evaluated once per session. Valid for one
/// generation of [`Defs`] (redefining a symbol clears it).
#[derive(Default)]
struct Memo {
    generation: u64,
    frames: Vec<Frame>,
    index: HashMap<(Vec<Id>, Vec<Key>), usize>,
}

/// The meaning of an uninterpreted function symbol: `sym(a1..an) = body[params := a]`.
#[derive(Clone, Debug)]
pub struct Def {
    pub params: Vec<Id>,
    pub body: Id,
}

#[derive(Default)]
pub struct Defs {
    map: HashMap<Symbol, Def>,
    /// Bumped when a symbol is redefined (the evaluator's kept frames are then stale).
    generation: u64,
}

impl Defs {
    pub fn insert(&mut self, sym: Symbol, def: Def) {
        if let Some(old) = self.map.insert(sym, def.clone())
            && (old.params != def.params || old.body != def.body)
        {
            self.generation += 1;
        }
    }
    pub fn get(&self, sym: Symbol) -> Option<&Def> {
        self.map.get(&sym)
    }
}

impl Dag {
    pub fn add(&mut self, t: Term) -> Id {
        if let Some(&id) = self.index.get(&t) {
            return id;
        }
        let id = Id::from(self.nodes.len());
        self.nodes.push(t.clone());
        self.index.insert(t, id);
        id
    }

    pub fn lookup(&self, t: &Term) -> Option<Id> {
        self.index.get(t).copied()
    }

    pub fn get(&self, id: Id) -> &Term {
        &self.nodes[usize::from(id)]
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn num(&mut self, x: f64) -> Id {
        self.add(Term::Num(Lit::new(x)))
    }

    pub fn input(&mut self, name: &str) -> Id {
        self.add(Term::Input(Symbol::from(name)))
    }

    pub fn prim(&mut self, name: &str, args: Vec<Id>) -> Id {
        self.add(Term::Prim(Symbol::from(name), args))
    }

    pub fn fun(&mut self, name: &str, args: Vec<Id>) -> Id {
        self.add(Term::Fun(Symbol::from(name), args))
    }

    pub fn is_lit(&self, id: Id, x: f64) -> bool {
        matches!(self.get(id), Term::Num(l) if l.0 == x.to_bits())
    }

    /// `a * b`, where a literal `1.0` factor is left out: the linear-form sweep's product
    /// (scaling a coefficient that is exactly the identity).
    pub fn mul(&mut self, a: Id, b: Id) -> Id {
        if self.is_lit(a, 1.0) {
            b
        } else if self.is_lit(b, 1.0) {
            a
        } else {
            self.prim("mul", vec![a, b])
        }
    }

    /// Component `k` of the `n`-tuple `t`. Beta as it builds: component `k` of `<> a0 .. an`
    /// is `ak`, so no projection of a constructed tuple is ever a node.
    pub fn proj(&mut self, k: u32, n: u32, t: Id) -> Id {
        if let Term::Tuple(items) = self.get(t)
            && items.len() == n as usize
            && let Some(&a) = items.get(k as usize)
        {
            return a;
        }
        self.add(Term::Proj(k, n, [t]))
    }

    /// The tuple of `items`. Eta as it builds: `<> (proj.0.n t) .. (proj.n-1.n t)` is `t`.
    pub fn tuple(&mut self, items: Vec<Id>) -> Id {
        let n = items.len() as u32;
        let mut whole = None;
        let eta = n > 0
            && items.iter().enumerate().all(|(i, &a)| match self.get(a) {
                Term::Proj(k, m, [t]) if *k as usize == i && *m == n => {
                    *whole.get_or_insert(*t) == *t
                }
                _ => false,
            });
        match whole {
            Some(t) if eta => t,
            _ => self.add(Term::Tuple(items)),
        }
    }

    pub fn sum(&mut self, a: Id, b: Id) -> Id {
        self.prim("add", vec![a, b])
    }

    /// The nodes reachable from `roots`, children first (an explicit stack: no recursion on
    /// term depth), as one `RecExpr` with sharing; and where each root landed.
    pub fn extract(&self, roots: &[Id]) -> (RecExpr<Term>, Vec<Id>) {
        let mut map: HashMap<Id, Id> = HashMap::new();
        let mut expr = RecExpr::default();
        for &root in roots {
            let mut stack = vec![(root, false)];
            while let Some((id, ready)) = stack.pop() {
                if map.contains_key(&id) {
                    continue;
                }
                let node = self.get(id);
                if ready {
                    let n = node.clone().map_children(|c| map[&c]);
                    map.insert(id, expr.add(n));
                } else {
                    stack.push((id, true));
                    for &c in node.children() {
                        if !map.contains_key(&c) {
                            stack.push((c, false));
                        }
                    }
                }
            }
        }
        let at = roots.iter().map(|r| map[r]).collect();
        (expr, at)
    }

    /// [`Dag::extract`] of two roots where every node for which `cut` holds becomes an opaque
    /// leaf (the input symbol `%id`, one per DAG node) and its subterms are not extracted;
    /// the DAG id of each extracted node, and where each root landed.
    pub fn extract_cut(
        &self,
        roots: &[Id],
        cut: &dyn Fn(Id, Option<&Term>) -> bool,
    ) -> (RecExpr<Term>, Vec<Id>, Vec<Id>) {
        let mut map: HashMap<Id, Id> = HashMap::new();
        let mut expr = RecExpr::default();
        let mut ids = Vec::new();
        for &root in roots {
            let mut stack = vec![(root, None::<Id>, false)];
            while let Some((id, parent, ready)) = stack.pop() {
                if map.contains_key(&id) {
                    continue;
                }
                let node = self.get(id);
                if cut(id, parent.map(|p| self.get(p))) {
                    map.insert(id, expr.add(Term::Input(Symbol::from(format!("%{id}")))));
                    ids.push(id);
                } else if ready {
                    let n = node.clone().map_children(|c| map[&c]);
                    map.insert(id, expr.add(n));
                    ids.push(id);
                } else {
                    stack.push((id, parent, true));
                    for &c in node.children() {
                        if !map.contains_key(&c) {
                            stack.push((c, Some(id), false));
                        }
                    }
                }
            }
        }
        let at = roots.iter().map(|r| map[r]).collect();
        (expr, ids, at)
    }

    /// [`Dag::extract`] of one root, with the DAG id of each extracted node.
    pub fn extract_ids(&self, root: Id) -> (RecExpr<Term>, Vec<Id>) {
        let (expr, _) = self.extract(&[root]);
        let ids = expr
            .as_ref()
            .iter()
            .scan(Vec::<Id>::new(), |done, n| {
                let m = n.clone().map_children(|c| done[usize::from(c)]);
                let id = self.index.get(&m).copied().unwrap_or(root);
                done.push(id);
                Some(id)
            })
            .collect();
        (expr, ids)
    }

    /// The number of nodes of `root` written out as a tree, saturating at `cap`.
    pub fn tree_size(&self, root: Id, cap: u64) -> u64 {
        let (expr, _) = self.extract(&[root]);
        let mut size: Vec<u64> = Vec::with_capacity(expr.len());
        for node in expr.as_ref() {
            let s = node
                .children()
                .iter()
                .fold(1u64, |acc, c| acc.saturating_add(size[usize::from(*c)]));
            size.push(s.min(cap));
        }
        size.last().copied().unwrap_or(0)
    }

    /// Evaluates terms at a point: `inputs` binds input symbols, function symbols evaluate
    /// their [`Def`]. Every node is evaluated once per **frame** (a parameter list with
    /// argument values): the result leaves of one callee at one point share their work (a
    /// thousand residuals of one `.nonlin` cost one sweep, not a thousand), and a call DAG
    /// doing exponential work evaluates in time linear in its size. `None` when a symbol has
    /// no meaning. A tuple is evaluated lazily (a tuple node in a frame; a component is only
    /// computed when projected), so a residual with 2^n leaves costs what is read of it; an
    /// input used as a tuple is a random one (its components derived from its value by
    /// hashing). A root that is a tuple evaluates to NaN: it is compared componentwise, if at
    /// all, by its callers.
    pub fn eval(
        &self,
        prims: &PrimTable,
        roots: &[Id],
        inputs: &HashMap<Id, f64>,
    ) -> Option<Vec<f64>> {
        let mut memo = self.memo.borrow_mut();
        if memo.generation != self.defs.generation {
            *memo = Memo {
                generation: self.defs.generation,
                ..Memo::default()
            };
        }
        let mut ev = Evaluator {
            dag: self,
            prims,
            memo: &mut memo,
            frames: vec![Frame {
                env: inputs.iter().map(|(&k, &x)| (k, V::R(x))).collect(),
                vals: HashMap::new(),
            }],
            index: HashMap::new(),
        };
        roots
            .iter()
            .map(|&r| ev.value(Fr::E(0), r).map(|v| v.real()))
            .collect()
    }
}

/// A frame: kept across evaluations ([`Memo`]) or of this evaluation only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Fr {
    P(usize),
    E(usize),
}

/// A value of the evaluator: a real, a tuple (the tuple node `id` in frame `f`), or a random
/// tuple (the seed of its components).
#[derive(Clone, Copy, Debug)]
enum V {
    R(f64),
    T(Fr, Id),
    S(u64),
}

/// [`V`] as a frame key (reals by bits).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key(u8, u64, u64);

impl V {
    /// As a real: a random tuple's seed gives a number in `[0.2, 2)`; a tuple is NaN.
    fn real(self) -> f64 {
        match self {
            V::R(x) => x,
            V::S(h) => 0.2 + 1.8 * ((h >> 11) as f64 / (1u64 << 53) as f64),
            V::T(..) => f64::NAN,
        }
    }

    fn key(self) -> Key {
        match self {
            V::R(x) => Key(0, x.to_bits(), 0),
            V::T(Fr::P(f), id) => Key(1, f as u64, usize::from(id) as u64),
            V::T(Fr::E(f), id) => Key(3, f as u64, usize::from(id) as u64),
            V::S(h) => Key(2, h, 0),
        }
    }
}

/// A seed's component `k` (splitmix64 of both).
fn mix(h: u64, k: u32) -> u64 {
    let mut z = h ^ (u64::from(k) + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

struct Frame {
    env: HashMap<Id, V>,
    vals: HashMap<Id, V>,
}

struct Evaluator<'a> {
    dag: &'a Dag,
    prims: &'a PrimTable,
    memo: &'a mut Memo,
    frames: Vec<Frame>,
    /// This evaluation's frames by parameters and argument values (frame 0, the point
    /// itself, is not here).
    index: HashMap<(Vec<Id>, Vec<Key>), usize>,
}

impl Evaluator<'_> {
    /// The value of `root` in frame `f`: an explicit post-order stack within the frame; a
    /// function symbol evaluates its body in the callee's frame, and a projection of a tuple
    /// its component in the tuple's frame, so the host stack grows with the call depth only
    /// (on demand, as the evaluator's does).
    fn frame(&mut self, f: Fr) -> &mut Frame {
        match f {
            Fr::P(i) => &mut self.memo.frames[i],
            Fr::E(i) => &mut self.frames[i],
        }
    }

    /// The frame of a function symbol with parameters `params` at arguments `xs`: kept
    /// across evaluations unless an argument is a tuple of this evaluation.
    fn callee(&mut self, params: &[Id], xs: Vec<V>) -> Fr {
        let key = (params.to_vec(), xs.iter().map(|x| x.key()).collect());
        let frame = || Frame {
            env: params.iter().copied().zip(xs.iter().copied()).collect(),
            vals: HashMap::new(),
        };
        if xs.iter().any(|x| matches!(x, V::T(Fr::E(_), _))) {
            if let Some(&g) = self.index.get(&key) {
                return Fr::E(g);
            }
            self.frames.push(frame());
            self.index.insert(key, self.frames.len() - 1);
            Fr::E(self.frames.len() - 1)
        } else {
            if let Some(&g) = self.memo.index.get(&key) {
                return Fr::P(g);
            }
            self.memo.frames.push(frame());
            self.memo.index.insert(key, self.memo.frames.len() - 1);
            Fr::P(self.memo.frames.len() - 1)
        }
    }

    fn value(&mut self, f: Fr, root: Id) -> Option<V> {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            let mut stack = vec![(root, false)];
            while let Some((id, ready)) = stack.pop() {
                if self.frame(f).vals.contains_key(&id) {
                    continue;
                }
                let node = self.dag.get(id);
                // A tuple's components are not evaluated with it.
                let lazy = matches!(node, Term::Tuple(_));
                if !ready {
                    stack.push((id, true));
                    if !lazy {
                        for &c in node.children() {
                            if !self.frame(f).vals.contains_key(&c) {
                                stack.push((c, false));
                            }
                        }
                    }
                    continue;
                }
                let vals = &self.frame(f).vals;
                let xs: Vec<V> = if lazy {
                    Vec::new()
                } else {
                    node.children().iter().map(|c| vals[c]).collect()
                };
                let r = |i: usize| xs[i].real();
                let v = match node {
                    Term::Num(l) => V::R(l.value()),
                    Term::Input(_) => *self.frame(f).env.get(&id)?,
                    Term::Prim(s, _) => {
                        let row = self
                            .prims
                            .lookup(s.as_str())
                            .and_then(|p| self.prims.get(p))?;
                        let args: Vec<f64> = xs.iter().map(|x| x.real()).collect();
                        V::R((row.eval)(&args))
                    }
                    Term::Fun(s, _) => {
                        let def = self.dag.defs.get(*s)?;
                        if def.params.len() != xs.len() {
                            return None;
                        }
                        let (params, body) = (def.params.clone(), def.body);
                        let g = self.callee(&params, xs);
                        self.value(g, body)?
                    }
                    Term::LAdd(_) => V::R(r(0) + r(1)),
                    Term::Scale(_) => V::R(r(0) * r(1)),
                    Term::Zero => V::R(0.0),
                    Term::Tuple(_) => V::T(f, id),
                    Term::Proj(k, _, _) => match xs[0] {
                        V::T(g, t) => {
                            let c = *self.dag.get(t).children().get(*k as usize)?;
                            self.value(g, c)?
                        }
                        V::S(h) => V::S(mix(h, *k)),
                        V::R(x) => V::S(mix(x.to_bits(), *k)),
                    },
                };
                self.frame(f).vals.insert(id, v);
            }
            self.frame(f).vals.get(&root).copied()
        })
    }
}
