//! `rv6-hba`: Hash-Based Addresses (RFC 5535) and Cryptographically
//! Generated Addresses (RFC 3972) as Shim6 (RFC 5533) uses them to bind a
//! host's locators to its ULID.
//!
//! - [`params`]: the CGA Parameters data structure (RFC 3972 §3) with its
//!   extension fields, the Multi-Prefix extension among them (RFC 5535 §5).
//! - [`cga`]: Sec, Hash1 and Hash2, generation (§4), verification (§5), RSA
//!   keys and CGA signatures (§6: RSASSA-PKCS1-v1_5 with SHA-1).
//! - [`hba`]: HBA sets (RFC 5535 §6) and whether an address is in one (§7.2).
//! - [`shim6`]: the checks of a peer's CGA Parameter Data Structure, Locator
//!   List and CGA Signature options (RFC 5533 §5.15.4, §5.15.5, §7.2),
//!   and the signature of our own: what the daemon's engine calls.
//! - [`file`]: the RFC 7468 text files that keep a set and its key.
//!
//! Every hash and signature is the RustCrypto crates' (`sha1`, `rsa`);
//! this crate only lays out what they hash and sign.

#![forbid(unsafe_code)]

pub mod cga;
pub mod file;
pub mod hba;
pub mod params;
pub mod shim6;

pub use cga::{
    PrivateKey,
    Sec, //
};
pub use params::{
    CgaParams,
    Prefix, //
};
