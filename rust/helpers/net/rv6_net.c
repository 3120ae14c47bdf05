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

__rust_helper int rust_helper_nf_ct_expect_related(struct nf_conntrack_expect *exp,
						   unsigned int flags)
{
	return nf_ct_expect_related(exp, flags);
}

/*
 * A helper's registered copy stays alive while conntracks refer to it, and
 * they call its ->destroy after unregistration; the Rust registration keeps
 * its own reference until it has disarmed ->destroy.
 */
__rust_helper void rust_helper_rv6_ct_helper_hold(struct nf_conntrack_helper *h)
{
	refcount_inc(&h->ct_refcnt);
}

__rust_helper void rust_helper_rv6_ct_helper_put(struct nf_conntrack_helper *h)
{
	if (refcount_dec_and_test(&h->ct_refcnt))
		kfree_rcu(h, rcu);
}
#endif

#endif
