//! The rules of λLL's judgment `Γ ; Δ ⊢ t : A` (DILL, plus the additive structure of tangent
//! types V ::= R | V ⊗ ... ⊗ V; D is a droppable type, R | !A | D ⊗ ... ⊗ D).
//!
//! ```text
//! T-Var     Γ ; x:A ⊢ x : A                      T-IVar   Γ, x:A ; · ⊢ x : A
//! T-Global  Γ ; · ⊢ f : A        (def f : A above)   T-Lit    Γ ; · ⊢ c : R
//! T-Bang    Γ ; · ⊢ t : A  ⟹  Γ ; · ⊢ !t : !A                              (promotion)
//! T-Let     Γ ; Δ1 ⊢ t : A   Γ ; Δ2, x:A ⊢ u : B  ⟹  Γ ; Δ1,Δ2 ⊢ let x = t in u : B   (cut)
//! T-LetBang Γ ; Δ1 ⊢ t : !A  Γ, x:A ; Δ2 ⊢ u : B  ⟹  Γ ; Δ1,Δ2 ⊢ let !x = t in u : B
//! T-LetTensor Γ ; Δ1 ⊢ t : A1 ⊗ … ⊗ An   Γ, {xi:Bi | qi = !xi} ; Δ2, {xi:Ai | qi = xi} ⊢ u : B
//!           ⟹  Γ ; Δ1,Δ2 ⊢ let (q1, …, qn) = t in u : B        (Ai = !Bi when qi = !xi)
//! T-LetUnit Γ ; Δ1 ⊢ t : 1   Γ ; Δ2 ⊢ u : B  ⟹  Γ ; Δ1,Δ2 ⊢ let () = t in u : B
//! T-Tensor  Γ ; Δi ⊢ ai : Ai  ⟹  Γ ; Δ1,…,Δn ⊢ (a1, …, an) : A1 ⊗ … ⊗ An   (n ≥ 1)
//! T-Unit    Γ ; · ⊢ () : 1
//! T-Lam     Γ ; Δ, x:A ⊢ t : B  ⟹  Γ ; Δ ⊢ fun (x : A) { t } : A ⊸ B
//! T-App     Γ ; Δ1 ⊢ a : A ⊸ B   Γ ; Δ2 ⊢ b : A  ⟹  Γ ; Δ1,Δ2 ⊢ a b : B
//! T-Prim    Γ ; · ⊢ ai : R  ⟹  Γ ; · ⊢ p(a1, …, an) : R      (p in the primitive table)
//! T-Zero    Γ ; · ⊢ zero[V] : V
//! T-Add     Γ ; Δ1 ⊢ a : V   Γ ; Δ2 ⊢ b : V  ⟹  Γ ; Δ1,Δ2 ⊢ a + b : V
//! T-Scale   Γ ; · ⊢ a : R   Γ ; Δ ⊢ b : V  ⟹  Γ ; Δ ⊢ a * b : V
//! T-Dup     Γ ; Δ ⊢ a : V  ⟹  Γ ; Δ ⊢ dup a : V ⊗ V
//! T-Drop    Γ ; Δ ⊢ a : D  ⟹  Γ ; Δ ⊢ drop a : 1
//! T-Block   the bindings of a block in order, then its tail (a sequence of T-Let* nodes)
//! T-Def     · ; · ⊢ t : A  ⟹  def f : A = t
//! ```
//! Γ has weakening and contraction (it is implicit: an unused `!x` is fine), Δ has neither:
//! `dup` and `drop` are the only ways to copy or discard a linear value, and only at tangent
//! (respectively droppable) types.

/// Every rule name, in the order above (rule coverage is measured against this list).
pub const LL_RULES: [&str; 22] = [
    "T-Var",
    "T-IVar",
    "T-Global",
    "T-Lit",
    "T-Bang",
    "T-Let",
    "T-LetBang",
    "T-LetTensor",
    "T-LetUnit",
    "T-Tensor",
    "T-Unit",
    "T-Lam",
    "T-App",
    "T-Prim",
    "T-Zero",
    "T-Add",
    "T-Scale",
    "T-Dup",
    "T-Drop",
    "T-Block",
    "T-Def",
    "T-Weaken",
];
