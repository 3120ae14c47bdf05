//! XFRM and PF_KEY for `rv6 xfrm` (the object is [`crate::objects::xfrm`]):
//! the MIGRATE requests of both key manager interfaces, and the monitors
//! that print what they announce.
//!
//! XFRM netlink goes through the rust-netlink crates: `netlink-sys` for the
//! socket, `netlink-packet-core` for the framing and `netlink-packet-xfrm`
//! (0.5) for the XFRM structs and messages. What that crate lacks, [`wire`]
//! adds in its own style (its `Emitable`/`Parseable` traits, zerocopy
//! buffers filled by its types):
//!
//! | lacking in netlink-packet-xfrm 0.5 | covered by |
//! |---|---|
//! | XFRM_MSG_MIGRATE_STATE, `struct xfrm_user_migrate_state` | [`wire::MigrateState`], [`wire::UserMigrateState`] |
//! | several entries in one XFRMA_MIGRATE (a request's form) | [`wire::Migrate`] |
//! | the attributes of XFRM_MSG_EXPIRE | [`wire::Expire`] |
//! | XFRMA_SA_DIR, _NAT_KEEPALIVE_INTERVAL, _SA_PCPU | [`wire::u32_attr`], [`wire::other_value`] |
//! | length checks before its parsers slice (a short message panics) | [`wire::XfrmMsg::parse`] |
//! | extended acks (`ErrorMessage` keeps them as bytes) | [`socket::kernel_error`] |
//!
//! PF_KEY has no maintained crate: [`pfkey`] is a small typed encoder and
//! decoder of RFC 2367 and the KAME/USAGI extensions Linux's af_key.c
//! reads.
//!
//! The text of [`text`] is `ip xfrm monitor`'s (iproute2 6.1) for the
//! messages it knows; [`json`] and [`pfkey_print`] are rv6's. [`names`]
//! holds the host lookups both need, [`args`] the grammar of the commands,
//! [`monitor`] the listening loops.

pub mod args;
pub mod json;
pub mod monitor;
pub mod names;
pub mod pfkey;
pub mod pfkey_print;
pub mod socket;
pub mod text;
pub mod wire;
