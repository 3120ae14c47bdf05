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

#endif
