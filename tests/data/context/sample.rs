//! A small module for the symbol index tests.

pub const LIMIT: usize = 10;

/// Keeps things.
pub struct Store {
    root: String,
}

pub trait Loader {
    fn load(&self, name: &str) -> String;
}

impl Loader for Store {
    fn load(&self, name: &str) -> String {
        format!("{}/{}", self.root, helper(name.len()))
    }
}

/// Doubles a value.
pub fn helper(value: usize) -> usize {
    value * 2
}
