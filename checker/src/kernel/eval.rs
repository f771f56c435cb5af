//! Re-checking a `refuted` obligation: both sides evaluated at the recorded point, by a loop
//! over the term DAG with the primitive table's evaluation functions. A function symbol
//! `tag:g#k`, `tag:g#k@i` or `tag:g#dk@i` means the kernel's own lowering of `g` (its result,
//! coefficient or reference partial), evaluated in a frame of its own; frames nest as deep as
//! the calls do, at most [`MAX_DEPTH`] (beyond that nothing is confirmed).

use super::Verifier;
use super::term::Id;
use super::walk::coefficient;
use std::collections::HashMap;

pub const MAX_DEPTH: usize = 256;

impl Verifier<'_> {
    /// Do `l` and `r` differ at `point` (input symbol ↦ value), beyond rounding?
    pub fn differ(&self, l: Id, r: Id, point: &[(String, f64)]) -> bool {
        let env: HashMap<&str, f64> = point.iter().map(|(n, x)| (n.as_str(), *x)).collect();
        let memo = &mut HashMap::new();
        let (a, b) = (self.value(l, &env, memo, 0), self.value(r, &env, memo, 0));
        let apart = |(a, b): (f64, f64)| (a - b).abs() > 1e-6 * (1.0 + a.abs() + b.abs());
        a.zip(b)
            .is_some_and(|(a, b)| a.is_finite() && b.is_finite() && apart((a, b)))
    }

    /// The value of `root`, inputs read from `env` (an explicit post-order stack).
    fn value(
        &self,
        root: Id,
        env: &HashMap<&str, f64>,
        memo: &mut HashMap<Id, f64>,
        depth: usize,
    ) -> Option<f64> {
        let mut stack = vec![(root, false)];
        while let Some((id, ready)) = stack.pop() {
            let n = self.dag.node(id);
            if memo.contains_key(&id) {
                continue;
            } else if !ready {
                stack.push((id, true));
                stack.extend(n.kids.iter().map(|&k| (k, false)));
                continue;
            }
            let xs: Vec<f64> = n.kids.iter().map(|k| memo[k]).collect();
            let prim = self.prims.lookup(&n.op).and_then(|p| self.prims.get(p));
            let v = match (self.dag.lit(id), prim) {
                (Some(c), _) => c,
                (_, Some(row)) if row.arity == xs.len() => (row.eval)(&xs),
                _ if n.kids.is_empty() && !n.op.contains('#') => *env.get(n.op.as_str())?,
                _ => self.symbol(&n.op, &xs, depth)?,
            };
            memo.insert(id, v);
        }
        memo.get(&root).copied()
    }

    /// A function symbol's value at `xs`: its meaning, the kernel's lowering of the callee.
    fn symbol(&self, op: &str, xs: &[f64], depth: usize) -> Option<f64> {
        let (tag, rest) = op.split_once(':')?;
        let (name, which) = rest.rsplit_once('#')?;
        let (grad, which) = which
            .strip_prefix('d')
            .map_or((false, which), |w| (true, w));
        // A result leaf is the same term in either lowering (`grad` adds the partials).
        let key = |g: bool| format!("{tag}:{name}:{g}");
        let other = || {
            self.lowered
                .get(&key(!grad))
                .filter(|_| !which.contains('@'))
        };
        let (own, low) = self.lowered.get(&key(grad)).or_else(other)?;
        let body = match which.split_once('@') {
            None => *low.nl.get(which.parse::<usize>().ok()?)?,
            Some((k, i)) => {
                let row =
                    (if grad { &low.grads } else { &low.lin }).get(k.parse::<usize>().ok()?)?;
                let Some(c) = coefficient(row, i.parse().ok()?) else {
                    return Some(0.0);
                };
                c
            }
        };
        if depth >= MAX_DEPTH || own.len() != xs.len() {
            return None;
        }
        let env = own
            .iter()
            .zip(xs)
            .map(|(&x, &v)| (self.dag.node(x).op.as_str(), v))
            .collect();
        self.value(body, &env, &mut HashMap::new(), depth + 1)
    }
}
