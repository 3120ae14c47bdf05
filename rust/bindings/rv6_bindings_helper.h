/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Headers for rv6's additions to the kernel crate; included at the end of
 * rust/bindings/bindings_helper.h by kernel/patches/0001.
 */
#include <linux/netfilter.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <crypto/aes.h>
#include <crypto/aes-cbc-macs.h>
#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <crypto/internal/cipher.h>
#include <crypto/internal/hash.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_expect.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/xfrm.h>
#include <net/rawv6.h>
#include <net/mip6.h>
#include <net/ipv6.h>
#include <net/ip6_route.h>
#include <net/tcp.h>
#include <linux/icmpv6.h>
#include <linux/inetdevice.h>
#include <net/addrconf.h>
#include <net/if_inet6.h>
#include <linux/utsname.h>
#include <linux/rhashtable.h>

/* Flags of a generic netlink multicast group (BIT() macros bindgen cannot see). */
#include <net/genetlink.h>
const u8 RUST_CONST_HELPER_GENL_MCAST_CAP_NET_ADMIN = GENL_MCAST_CAP_NET_ADMIN;
