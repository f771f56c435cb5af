//! The typing rules of SPEC §2, by name: **the one table** of rule names. Derivation nodes and
//! diagnostics name their rule from here, and the coverage test checks that the corpus fires
//! every one.
//!
//! The judgment is `Γ ; Δ ⊢ e : (τs ; σs)`: Γ holds nonlinear variables (shared between
//! premises, each used at least once in strict mode), Δ linear ones (split between premises,
//! each used exactly once). The rules, as [`crate::typing`] implements them:
//!
//! ```text
//!   x : τ ∈ Γ                     c a literal                  y' : σ ∈ Δ
//!  ─────────────── T-Var         ─────────────── T-Lit        ─────────────────── T-LinVar
//!  Γ ; · ⊢ x : (τ ;)             Γ ; · ⊢ c : (R ;)            Γ ; y':σ ⊢ y' : (; σ)
//!
//!  Γ ; · ⊢ ai : (τi ;)    Γ ; Δj ⊢ yj' : (; σj)
//!  ──────────────────────────────────────────────────────── T-Ret
//!  Γ ; Δ1 ⊎ ... ⊎ Δm ⊢ (a1, ..., an ; y1', ..., ym') : (τs ; σs)
//!
//!  Γ ; Δ1 ⊢ e1 : (τs ; σs)     (xs ; ys') fit (τs ; σs)
//!  ──────────────────────────────────────────────────────── T-Let      (one binding of a block)
//!  Γ ; Δ1 ⊢ let (xs ; ys') = e1 : (τs ; σs)   and then   Γ, xs:τs ; ys':σs ...
//!
//!  Γ ; · ⊢ x : (<τ1..τn> ;)               Γ ; Δ ⊢ y' : (; <σ1..σn>)
//!  ───────────────────────────── T-Unpack  ─────────────────────────────── T-LUnpack
//!  let <x1..xn> = x binds xi:τi             let <y1'..yn'> = y' binds yi':σi
//!
//!  Γ ; Δ0 ⊢ b1 ... Γ, b1..bk-1 ; Δk-1 ⊢ bk     Γ, b1..bk ; Δk ⊢ e : ρ
//!  ──────────────────────────────────────────────────────────────────── T-Block
//!  Γ ; Δ0 ⊎ ... ⊎ Δk ⊢ let b1 in ... let bk in e : ρ
//!
//!  Γ ; · ⊢ ai : (τi ;)                    Γ ; Δi ⊢ yi' : (; σi)
//!  ─────────────────────────── T-Tuple    ───────────────────────────────── T-LTuple
//!  Γ ; · ⊢ <a1..an> : (<τs> ;)            Γ ; ⊎Δi ⊢ <y1'..yn'> : (; <σs>)
//!
//!  g : (τs ; σs) -> (ρs ; πs) defined above    Γ ; · ⊢ ai : (τi ;)    Γ ; Δj ⊢ yj' : (; σj)
//!  ──────────────────────────────────────────────────────────────────────────────────── T-Call
//!  Γ ; ⊎Δj ⊢ g(a1..an ; y1'..ym') : (ρs ; πs)
//!
//!  p/n in the primitive table    Γ ; · ⊢ ai : (R ;)
//!  ──────────────────────────────────────────────── T-Prim
//!  Γ ; · ⊢ p(a1, ..., an) : (R ;)
//!
//!  Γ ; Δ1 ⊢ y1' : (; σ)   Γ ; Δ2 ⊢ y2' : (; σ)        Γ ; · ⊢ a : (R ;)   Γ ; Δ ⊢ y' : (; σ)
//!  ────────────────────────────────────── T-LAdd      ──────────────────────────────── T-Scale
//!  Γ ; Δ1 ⊎ Δ2 ⊢ y1' + y2' : (; σ)                   Γ ; Δ ⊢ a * y' : (; σ)
//!
//!                                    Γ ; Δ ⊢ y' : (; σ)                 Γ ; Δ ⊢ e : ρ
//!  ───────────────────── T-Zero      ─────────────────────── T-Dup      ─────────────────── T-Drop
//!  Γ ; · ⊢ zero<σ> : (; σ)           Γ ; Δ ⊢ dup(y') : (; σ, σ)         Γ ; Δ ⊢ drop(e) : ( ; )
//!
//!  Γ = xs:τs   Δ = ys':σs   Γ ; Δ ⊢ body : (ρs ; πs)   every binder used (see below)
//!  ──────────────────────────────────────────────────────────────────────────── T-Def
//!  ⊢ def f(xs: τs ; ys': σs) -> (ρs ; πs) = body
//! ```
//!
//! Multiplicities are side conditions checked once per binder, by counting: a linear binder is
//! used exactly once and (strict mode) a nonlinear binder at least once, a use inside `drop(e)`
//! counting. A relaxed program drops both conditions; dup/drop insertion restores them.

use std::fmt;

/// A typing rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    Def,
    Block,
    Let,
    Unpack,
    LUnpack,
    Var,
    Lit,
    LinVar,
    Ret,
    Tuple,
    LTuple,
    Call,
    Prim,
    LAdd,
    Scale,
    Zero,
    Dup,
    Drop,
}

impl Rule {
    /// Every rule, in the order of [`RULES`].
    pub const ALL: [Rule; 18] = [
        Rule::Def,
        Rule::Block,
        Rule::Let,
        Rule::Unpack,
        Rule::LUnpack,
        Rule::Var,
        Rule::Lit,
        Rule::LinVar,
        Rule::Ret,
        Rule::Tuple,
        Rule::LTuple,
        Rule::Call,
        Rule::Prim,
        Rule::LAdd,
        Rule::Scale,
        Rule::Zero,
        Rule::Dup,
        Rule::Drop,
    ];

    /// The rule's name as derivations and diagnostics spell it (`T-Let`).
    pub const fn name(self) -> &'static str {
        match self {
            Rule::Def => "T-Def",
            Rule::Block => "T-Block",
            Rule::Let => "T-Let",
            Rule::Unpack => "T-Unpack",
            Rule::LUnpack => "T-LUnpack",
            Rule::Var => "T-Var",
            Rule::Lit => "T-Lit",
            Rule::LinVar => "T-LinVar",
            Rule::Ret => "T-Ret",
            Rule::Tuple => "T-Tuple",
            Rule::LTuple => "T-LTuple",
            Rule::Call => "T-Call",
            Rule::Prim => "T-Prim",
            Rule::LAdd => "T-LAdd",
            Rule::Scale => "T-Scale",
            Rule::Zero => "T-Zero",
            Rule::Dup => "T-Dup",
            Rule::Drop => "T-Drop",
        }
    }

    /// The rule named `name`, if there is one.
    pub fn named(name: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// A rule serialises as its name (`"T-Let"`) and reads back only from a name in the table.
impl serde::Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Rule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Rule, D::Error> {
        let name = String::deserialize(d)?;
        Rule::named(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("`{name}` is not a typing rule")))
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Every typing rule's name, for the coverage test.
pub const RULES: &[&str] = &{
    let mut names = [""; Rule::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = Rule::ALL[i].name();
        i += 1;
    }
    names
};
