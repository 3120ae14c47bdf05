//! The pure cores rv6's kernel modules include with `#[path]`, built here from the very same
//! files so that `cargo test`, proptest and fuzzers exercise the code the kernel runs.
#![no_std]

#[path = "../../../crypto/xcbc_mac.rs"]
pub mod xcbc_mac;

pub mod soft_aes;

#[path = "../../../net/netfilter/ftp_parse.rs"]
pub mod ftp_parse;

#[path = "../../../net/netfilter/dhcpv6_parse.rs"]
pub mod dhcpv6_parse;

#[path = "../../../net/ipv6/mip6/mip6_wire.rs"]
pub mod mip6_wire;

#[path = "../../../net/ipv6/shim6/shim6_wire.rs"]
pub mod shim6_wire;

#[path = "../../../net/ipv6/shim6/shim6_ctx.rs"]
pub mod shim6_ctx;

#[path = "../../../net/ipv6/shim6/shim6_explore.rs"]
pub mod shim6_explore;

#[path = "../../../net/ipv6/shim6/shim6_reap.rs"]
pub mod shim6_reap;

#[path = "../../../net/ipv6/shim6/shim6_trigger.rs"]
pub mod shim6_trigger;

#[path = "../../../net/xfrm/xfrm_migrate_plan.rs"]
pub mod xfrm_migrate_plan;

#[path = "../../../net/ipv6/netfilter/guard_addr.rs"]
pub mod guard_addr;

#[path = "../../../net/ipv6/netfilter/guard_chain.rs"]
pub mod guard_chain;

#[path = "../../../net/ipv6/netfilter/guard_rules.rs"]
pub mod guard_rules;

#[path = "../../../net/ipv6/ni/ninfo_wire.rs"]
pub mod ninfo_wire;
