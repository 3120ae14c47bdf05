// SPDX-License-Identifier: GPL-2.0

/*
 * Inline rhashtable functions kernel::rhashtable calls; included from
 * rust/helpers/helpers.c by kernel/patches/0001.  The parameters come by
 * value, as the inline functions take them.
 */

#include <linux/rhashtable.h>

__rust_helper void *rust_helper_rhashtable_lookup(struct rhashtable *ht, const void *key,
						 const struct rhashtable_params params)
{
	return rhashtable_lookup(ht, key, params);
}

__rust_helper int rust_helper_rhashtable_lookup_insert_fast(struct rhashtable *ht,
							   struct rhash_head *obj,
							   const struct rhashtable_params params)
{
	return rhashtable_lookup_insert_fast(ht, obj, params);
}

__rust_helper int rust_helper_rhashtable_remove_fast(struct rhashtable *ht,
						    struct rhash_head *obj,
						    const struct rhashtable_params params)
{
	return rhashtable_remove_fast(ht, obj, params);
}
