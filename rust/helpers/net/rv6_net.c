// SPDX-License-Identifier: GPL-2.0

/*
 * Inline networking functions the rv6 abstractions call; included from
 * rust/helpers/helpers.c by kernel/patches/0001.
 */

#include <linux/skbuff.h>
#include <net/netns/generic.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_expect.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/ipv6.h>
#include <net/protocol.h>
#include <net/xfrm.h>
#include <linux/icmpv6.h>
#include <linux/inetdevice.h>
#include <net/addrconf.h>
#include <net/ip6_checksum.h>
#include <linux/utsname.h>
#include <net/genetlink.h>

#ifdef CONFIG_NET

__rust_helper void *rust_helper_net_generic(const struct net *net, unsigned int id)
{
	return net_generic(net, id);
}

__rust_helper int rust_helper_skb_network_offset(const struct sk_buff *skb)
{
	return skb_network_offset(skb);
}

__rust_helper void *rust_helper_skb_header_pointer(const struct sk_buff *skb,
						   int offset, int len,
						   void *buffer)
{
	return skb_header_pointer(skb, offset, len, buffer);
}

/* For the KUnit tests of kernel::net::skbuff. */
__rust_helper struct sk_buff *rust_helper_alloc_skb(unsigned int size, gfp_t priority)
{
	return alloc_skb(size, priority);
}

__rust_helper void rust_helper_kfree_skb(struct sk_buff *skb)
{
	kfree_skb(skb);
}

__rust_helper void rust_helper_skb_reserve(struct sk_buff *skb, int len)
{
	skb_reserve(skb, len);
}

__rust_helper void rust_helper_skb_reset_network_header(struct sk_buff *skb)
{
	skb_reset_network_header(skb);
}

__rust_helper void rust_helper_local_bh_disable(void)
{
	local_bh_disable();
}

__rust_helper void rust_helper_local_bh_enable(void)
{
	local_bh_enable();
}

/* rust/helpers/spinlock.c has no _bh variants; these compile to a tail call. */
__rust_helper void rust_helper_spin_lock_bh(spinlock_t *lock)
{
	spin_lock_bh(lock);
}

__rust_helper void rust_helper_spin_unlock_bh(spinlock_t *lock)
{
	spin_unlock_bh(lock);
}

#if IS_ENABLED(CONFIG_NF_CONNTRACK)
/* Connection tracking helpers: kernel::net::netfilter::conntrack. */
__rust_helper struct nf_conn_help *rust_helper_nfct_help(const struct nf_conn *ct)
{
	return nfct_help(ct);
}

__rust_helper bool rust_helper_nf_ct_is_confirmed(const struct nf_conn *ct)
{
	return nf_ct_is_confirmed(ct);
}

__rust_helper bool rust_helper_nf_ct_is_dying(const struct nf_conn *ct)
{
	return nf_ct_is_dying(ct);
}

__rust_helper struct net *rust_helper_nf_ct_net(const struct nf_conn *ct)
{
	return nf_ct_net(ct);
}

__rust_helper int rust_helper_nf_ct_expect_related(struct nf_conntrack_expect *exp,
						   unsigned int flags)
{
	return nf_ct_expect_related(exp, flags);
}

#endif

#if IS_ENABLED(CONFIG_IPV6)
/* IPv6 packets: kernel::net::ipv6. */
__rust_helper u16 rust_helper_rv6_ip6cb_dsthao(const struct sk_buff *skb)
{
	return IP6CB(skb)->dsthao;
}

__rust_helper int rust_helper_rv6_ip6cb_iif(const struct sk_buff *skb)
{
	return IP6CB(skb)->iif;
}

__rust_helper s64 rust_helper_rv6_skb_tstamp(const struct sk_buff *skb)
{
	return skb_get_ktime(skb);
}

__rust_helper u32 rust_helper_skb_network_header_len(const struct sk_buff *skb)
{
	return skb_network_header_len(skb);
}

__rust_helper int rust_helper_skb_transport_offset(const struct sk_buff *skb)
{
	return skb_transport_offset(skb);
}

__rust_helper struct net *rust_helper_sock_net(const struct sock *sk)
{
	return sock_net(sk);
}

__rust_helper void rust_helper_rv6_icmpv6_param_prob(struct sk_buff *skb, u8 code, u32 pointer)
{
	icmpv6_send(skb, ICMPV6_PARAMPROB, code, pointer);
}

/* IPv6 protocol handlers: kernel::net::ipv6::protocol. */
__rust_helper void rust_helper_rv6_ip6cb_set_nhoff(struct sk_buff *skb, u16 nhoff)
{
	IP6CB(skb)->nhoff = nhoff;
}

__rust_helper struct net *rust_helper_dev_net(const struct net_device *dev)
{
	return dev_net(dev);
}

__rust_helper bool rust_helper_pskb_may_pull(struct sk_buff *skb, unsigned int len)
{
	return pskb_may_pull(skb, len);
}

__rust_helper int rust_helper_skb_cloned(const struct sk_buff *skb)
{
	return skb_cloned(skb);
}

__rust_helper void rust_helper_skb_set_transport_header(struct sk_buff *skb, int offset)
{
	skb_set_transport_header(skb, offset);
}

__rust_helper void rust_helper_skb_postpull_rcsum(struct sk_buff *skb, const void *start,
						  unsigned int len)
{
	skb_postpull_rcsum(skb, start, len);
}

__rust_helper void rust_helper_skb_postpush_rcsum(struct sk_buff *skb, const void *start,
						  unsigned int len)
{
	skb_postpush_rcsum(skb, start, len);
}

/* The handler of a Next Header value; the caller holds the RCU read lock. */
__rust_helper const struct inet6_protocol *rust_helper_rv6_inet6_protocol(u8 nexthdr)
{
	return rcu_dereference(inet6_protos[nexthdr]);
}

__rust_helper kuid_t rust_helper_sock_net_uid(const struct net *net, const struct sock *sk)
{
	return sock_net_uid(net, sk);
}

/* consume_skb() is a function with tracepoints and inline without: one name for both. */
__rust_helper void rust_helper_rv6_consume_skb(struct sk_buff *skb)
{
	consume_skb(skb);
}

__rust_helper __sum16 rust_helper_csum_fold(__wsum csum)
{
	return csum_fold(csum);
}

/* ICMPv6 messages built in Rust: kernel::net::ipv6::icmp. */
__rust_helper __sum16 rust_helper_csum_ipv6_magic(const struct in6_addr *saddr,
						  const struct in6_addr *daddr, __u32 len,
						  __u8 proto, __wsum sum)
{
	return csum_ipv6_magic(saddr, daddr, len, proto, sum);
}

__rust_helper void rust_helper_skb_dst_set(struct sk_buff *skb, struct dst_entry *dst)
{
	skb_dst_set(skb, dst);
}

__rust_helper struct net_device *rust_helper_next_net_device_rcu(struct net_device *dev)
{
	return next_net_device_rcu(dev);
}

__rust_helper struct inet6_dev *rust_helper___in6_dev_get(const struct net_device *dev)
{
	return __in6_dev_get(dev);
}

__rust_helper struct in_device *rust_helper___in_dev_get_rcu(const struct net_device *dev)
{
	return __in_dev_get_rcu(dev);
}

__rust_helper struct new_utsname *rust_helper_init_utsname(void)
{
	return init_utsname();
}
#endif

#if IS_ENABLED(CONFIG_XFRM)
/* XFRM types: kernel::net::xfrm. */
__rust_helper struct net *rust_helper_xs_net(struct xfrm_state *x)
{
	return xs_net(x);
}

__rust_helper __be16 rust_helper_rv6_xfrm_flowi6_sport(const struct flowi *fl)
{
	return xfrm_flowi_sport(fl, &fl->u.ip6.uli);
}

__rust_helper __be16 rust_helper_rv6_xfrm_flowi6_dport(const struct flowi *fl)
{
	return xfrm_flowi_dport(fl, &fl->u.ip6.uli);
}

__rust_helper struct dst_entry *rust_helper_skb_dst(const struct sk_buff *skb)
{
	return skb_dst(skb);
}

__rust_helper struct dst_entry *rust_helper_xfrm_dst_child(const struct dst_entry *dst)
{
	return xfrm_dst_child(dst);
}

__rust_helper void rust_helper_xfrm_state_hold(struct xfrm_state *x)
{
	xfrm_state_hold(x);
}

__rust_helper void rust_helper_xfrm_state_put(struct xfrm_state *x)
{
	xfrm_state_put(x);
}

__rust_helper void rust_helper_xfrm_pol_hold(struct xfrm_policy *policy)
{
	xfrm_pol_hold(policy);
}

__rust_helper struct net *rust_helper_xp_net(const struct xfrm_policy *xp)
{
	return xp_net(xp);
}

__rust_helper int rust_helper_xfrm_policy_id2dir(u32 index)
{
	return xfrm_policy_id2dir(index);
}

__rust_helper void rust_helper_read_lock_bh(rwlock_t *lock)
{
	read_lock_bh(lock);
}

__rust_helper void rust_helper_read_unlock_bh(rwlock_t *lock)
{
	read_unlock_bh(lock);
}

__rust_helper void rust_helper_xfrm_pol_put(struct xfrm_policy *policy)
{
	xfrm_pol_put(policy);
}

#endif

/* Generic netlink (kernel::net::netlink::genl). */

__rust_helper struct net *rust_helper_genl_info_net(const struct genl_info *info)
{
	return genl_info_net(info);
}

__rust_helper const struct genl_info *rust_helper_genl_info_dump(struct netlink_callback *cb)
{
	return genl_info_dump(cb);
}

__rust_helper int rust_helper_genlmsg_reply(struct sk_buff *skb, struct genl_info *info)
{
	return genlmsg_reply(skb, info);
}

__rust_helper int rust_helper_genlmsg_multicast_netns(const struct genl_family *family,
						      struct net *net, struct sk_buff *skb,
						      u32 portid, unsigned int group, gfp_t flags)
{
	return genlmsg_multicast_netns(family, net, skb, portid, group, flags);
}

__rust_helper void rust_helper_genl_dump_check_consistent(struct netlink_callback *cb,
							  void *user_hdr)
{
	genl_dump_check_consistent(cb, user_hdr);
}

__rust_helper struct nlattr *rust_helper_nla_nest_start(struct sk_buff *skb, int attrtype)
{
	return nla_nest_start(skb, attrtype);
}

__rust_helper int rust_helper_nla_nest_end_safe(struct sk_buff *skb, struct nlattr *start)
{
	return nla_nest_end_safe(skb, start);
}

__rust_helper void rust_helper_nla_nest_cancel(struct sk_buff *skb, struct nlattr *start)
{
	nla_nest_cancel(skb, start);
}

#endif
