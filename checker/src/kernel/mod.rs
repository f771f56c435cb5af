pub mod derivation;
pub mod evidence;
