// SPDX-License-Identifier: GPL-2.0

/*
 * Inline crypto API functions the rv6 crypto abstractions call; included
 * from rust/helpers/helpers.c by kernel/patches/0001.
 */

#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <crypto/internal/cipher.h>
#include <crypto/internal/hash.h>

__rust_helper void rust_helper_crypto_free_cipher(struct crypto_cipher *tfm)
{
	crypto_free_cipher(tfm);
}

__rust_helper unsigned int rust_helper_crypto_cipher_blocksize(struct crypto_cipher *tfm)
{
	return crypto_cipher_blocksize(tfm);
}

__rust_helper int rust_helper_crypto_grab_cipher(struct crypto_cipher_spawn *spawn,
						 struct crypto_instance *inst,
						 const char *name, u32 type, u32 mask)
{
	return crypto_grab_cipher(spawn, inst, name, type, mask);
}

__rust_helper struct crypto_alg *
rust_helper_crypto_spawn_cipher_alg(struct crypto_cipher_spawn *spawn)
{
	return crypto_spawn_cipher_alg(spawn);
}

__rust_helper struct crypto_cipher *
rust_helper_crypto_spawn_cipher(struct crypto_cipher_spawn *spawn)
{
	return crypto_spawn_cipher(spawn);
}

__rust_helper int rust_helper_crypto_inst_setname(struct crypto_instance *inst,
						  const char *name,
						  struct crypto_alg *alg)
{
	return crypto_inst_setname(inst, name, alg);
}

__rust_helper struct crypto_instance *
rust_helper_shash_crypto_instance(struct shash_instance *inst)
{
	return shash_crypto_instance(inst);
}

__rust_helper void *rust_helper_shash_instance_ctx(struct shash_instance *inst)
{
	return shash_instance_ctx(inst);
}

__rust_helper struct shash_instance *rust_helper_shash_alg_instance(struct crypto_shash *shash)
{
	return shash_alg_instance(shash);
}

__rust_helper void *rust_helper_crypto_shash_ctx(struct crypto_shash *tfm)
{
	return crypto_shash_ctx(tfm);
}

__rust_helper void *rust_helper_shash_desc_ctx(struct shash_desc *desc)
{
	return shash_desc_ctx(desc);
}

__rust_helper void rust_helper_crypto_free_shash(struct crypto_shash *tfm)
{
	crypto_free_shash(tfm);
}

__rust_helper unsigned int rust_helper_crypto_shash_descsize(struct crypto_shash *tfm)
{
	return crypto_shash_descsize(tfm);
}

__rust_helper unsigned int rust_helper_crypto_shash_digestsize(struct crypto_shash *tfm)
{
	return crypto_shash_digestsize(tfm);
}

__rust_helper unsigned int rust_helper_crypto_shash_statesize(struct crypto_shash *tfm)
{
	return crypto_shash_statesize(tfm);
}

__rust_helper int rust_helper_crypto_shash_update(struct shash_desc *desc,
						  const u8 *data, unsigned int len)
{
	return crypto_shash_update(desc, data, len);
}

__rust_helper int rust_helper_crypto_shash_final(struct shash_desc *desc, u8 *out)
{
	return crypto_shash_final(desc, out);
}

__rust_helper struct crypto_cipher *rust_helper_crypto_alloc_cipher(const char *alg_name,
								    u32 type, u32 mask)
{
	return crypto_alloc_cipher(alg_name, type, mask);
}
