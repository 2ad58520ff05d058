//! velt-serve's integration tests, in one binary: the worker in process, between a fake
//! Transcend (its own ES384 key pair), a fake Ketch (callbacks checking every event against
//! the forwarder's schemas and limits) or a fake Fides callback endpoint, and the fake Velt
//! (behind a proxy counting deletion requests).

mod access;
mod auth;
mod common;
mod erasure;
mod fides;
mod ketch;
mod ops;
mod outbox;
