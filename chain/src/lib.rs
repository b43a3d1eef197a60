//! The block web service. Built out by the chain issue; present now so the
//! workspace has its final shape.
