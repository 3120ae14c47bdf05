// SPDX-License-Identifier: GPL-2.0

/*
 * Inline networking functions the rv6 abstractions call; included from
 * rust/helpers/helpers.c by kernel/patches/0001.
 */

#include <linux/skbuff.h>
#include <net/netns/generic.h>

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

#endif
