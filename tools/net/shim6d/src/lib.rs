//! shim6d, the Shim6 daemon: the control half of RFC 5533 for the rv6_shim6
//! kernel module, which does the data half (Documentation/rv6/shim6.rst).
//!
//! One daemon per network namespace.  It listens to the module's `events`
//! group (generic netlink family `rv6-shim6`) and to a raw IPv6 socket for
//! next header 140; a `trigger` event starts the four-way exchange (I1, R1,
//! I2, R2) with the peer's daemon, which answers as responder, and once a
//! context is ESTABLISHED on either side it is installed in the kernel
//! (`context-add`), which then rewrites and restores its packets.  When the
//! module sees a payload header with a tag it does not know (`unknown-tag`:
//! this host lost the context, a restart), the daemon answers with an
//! R1bis, the peer's daemon with an I2bis, and the context is re-created
//! with its tags (RFC 5533 §7.4, context recovery).  It follows the host's
//! addresses through rtnetlink: when its locators change, each peer gets an
//! Update Request and each kernel context its new local set; a peer's
//! Update Request changes the context's peer set (`context-set`, RFC 5533
//! §10).  On SIGINT or SIGTERM the daemon removes its contexts from the
//! kernel.
//!
//! - [`engine`]: the protocol, without sockets or a clock: inputs in,
//!   messages, kernel requests and log lines out; `shim6_ctx` (the state
//!   machine the project's cores share) decides every transition.
//! - [`msg`]: control messages through `shim6_wire`; [`validator`]: the
//!   Responder Validator (HMAC-SHA256 under a rotating secret);
//!   [`binding`]: the host's HBA set or CGA and the checks of a peer's
//!   (RFC 5535, RFC 3972, through `rv6-hba`).
//! - [`locators`]: which addresses are locators, and when they changed
//!   (pure); [`rtnl`]: the addresses from rtnetlink; [`ratelimit`]: the
//!   Error Messages' token bucket.
//! - [`kernel`]: the family through the rv6 crate's generic netlink layer;
//!   [`raw`]: the raw socket; [`args`]: the command line; [`log`]: the log.
//!   `main.rs` is the event loop: one poll(2) over the raw socket, the
//!   events socket, the rtnetlink socket and a signalfd, with the
//!   contexts' earliest deadline as its timeout.

pub mod args;
pub mod binding;
pub mod engine;
pub mod kernel;
pub mod locators;
pub mod log;
pub mod msg;
pub mod ratelimit;
pub mod raw;
pub mod rtnl;
pub mod validator;
