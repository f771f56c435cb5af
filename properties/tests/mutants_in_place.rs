//! Linear variables used twice or three times *in place*: a use duplicated where it stands, in
//! every construct that can hold a linear variable (return, linear tuple, either side of `+`,
//! scale, call argument, `dup`, `drop` body), by `y' + y'` (two uses) or `y' + y' + y'`
//! (three), or by a `drop(y')` just before the use, just after it, or both. The strict checker
//! must reject each with E0201 alone, at a position inside the function, and relaxed checking
//! must accept it (a multiplicity fault). A checker that only noticed a second use placed
//! before the first, or only two uses, fails here.

use properties::harness::{fail, run};
use properties::linear;
use properties::mutants::{
    InPlace, Mutant, UseAt, duplicate_in_place, in_place_duplicates, linear_uses,
};
use properties::parse_generated;
use semantics::{PrimTable, parse, print, render};
use std::collections::BTreeSet;

/// Every construct that holds a linear use, each once.
const EVERY_CONSTRUCT: &str = "\
def l0(x: R ; a': R, b': <R, R>) -> (; R) =
  let <b1', b2'> = b' in
  let s' = b1' + b2' in
  let t' = x * a' in
  t' + s'

def l1(x: R ; a': R, b': R, c': <R, R>, d': R, e': R) -> (; <R, R>, R) =
  let s' = a' + b' in
  let m' = x * s' in
  let (; p', q') = dup(m') in
  let () = drop(p') in
  let r' = l0(x ; q', c') in
  let t' = <d', r'> in
  (; t', e')
";

/// The mutant's verdicts: strict checking reports only E0201, inside the function; relaxed
/// checking accepts it.
fn verdict(m: &Mutant) -> Result<(), String> {
    let src = print(&m.program);
    let p =
        parse(&src).map_err(|d| format!("the mutant does not parse: {}\n{src}", d[0].message))?;
    let prims = PrimTable::standard();
    let diags = match checker::check(&p, prims, checker::Options::default()) {
        Ok(_) => return Err(format!("accepted ({})\n{src}", m.edit)),
        Err(d) => d,
    };
    let codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
    if codes.iter().any(|&c| c != "E0201") {
        return Err(format!(
            "expected only E0201 ({}), got {codes:?}\n{}",
            m.edit,
            render(&diags, "mutant", &src)
        ));
    }
    let func = &p.funcs[m.func];
    if !diags
        .iter()
        .filter_map(|d| d.primary_span())
        .all(|s| s.start >= func.span.start && s.end <= func.span.end)
    {
        return Err(format!(
            "a diagnostic points outside `{}`\n{}",
            func.name,
            render(&diags, "mutant", &src)
        ));
    }
    checker::check(&p, prims, checker::Options { relaxed: true })
        .map(|_| ())
        .map_err(|d| {
            format!(
                "relaxed checking rejects a multiplicity fault ({})\n{}",
                m.edit,
                render(&d, "mutant", &src)
            )
        })
}

#[test]
fn every_construct_rejects_a_linear_use_duplicated_in_place_two_or_three_times() {
    let p = parse(EVERY_CONSTRUCT).unwrap();
    checker::check(&p, PrimTable::standard(), checker::Options::default())
        .unwrap_or_else(|d| panic!("the base program is well-typed: {}", d[0].message));
    let mut covered = BTreeSet::new();
    let mutants = in_place_duplicates(&p);
    for (m, at, how) in &mutants {
        if let Err(e) = verdict(m) {
            panic!("{} / {}: {e}", at.construct(), how.describe());
        }
        covered.insert((at.construct(), how.describe()));
    }
    let constructs = [
        UseAt::Ret(0),
        UseAt::LTuple(0),
        UseAt::AddLeft,
        UseAt::AddRight,
        UseAt::Scale,
        UseAt::CallArg(0),
        UseAt::Dup,
        UseAt::DropBody(0),
    ];
    for at in constructs {
        for how in InPlace::ALL {
            assert!(
                covered.contains(&(at.construct(), how.describe())),
                "no mutant duplicates a use in {} by {}",
                at.construct(),
                how.describe()
            );
        }
    }
    assert!(mutants.iter().any(|(_, _, h)| h.uses() == 3));
    println!(
        "{} in-place mutants of one program, every construct and edit",
        mutants.len()
    );
}

#[test]
fn generated_programs_reject_every_in_place_duplicate() {
    run(
        "generated_programs_reject_every_in_place_duplicate",
        linear::mixed_program_strategy(),
        |g| {
            let p = parse_generated(&g.render())?;
            // Three uses per program, spread over them, each edit cycling through the five.
            let sites: Vec<(usize, usize, UseAt)> = p
                .funcs
                .iter()
                .enumerate()
                .flat_map(|(fi, f)| linear_uses(f).into_iter().map(move |(k, at)| (fi, k, at)))
                .collect();
            let step = sites.len().div_ceil(3).max(1);
            for (n, &(fi, k, at)) in sites.iter().step_by(step).enumerate() {
                let how = InPlace::ALL[(g.seed as usize + n) % InPlace::ALL.len()];
                let mut q = p.clone();
                duplicate_in_place(&mut q.funcs[fi], k, at, how);
                let m = Mutant {
                    program: q,
                    func: fi,
                    edit: how.describe(),
                };
                verdict(&m).map_err(|e| {
                    fail(format!("{} / {}: {e}", at.construct(), how.describe()), &p)
                })?;
            }
            Ok(())
        },
    );
}
