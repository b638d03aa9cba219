/* Nothing of the image code may run at husk's start.  Debian builds nettle
 * "fat" on x86_64: fat-x86_64.o picks its SHA-256 compression function
 * (SHA-NI or plain x86_64) in a constructor, which executes cpuid at every
 * husk start (about 10 us per cpuid on this PVM host, a few per start) even
 * for `husk state`.  Defining the one dispatch symbol sha256.o needs keeps
 * the linker from pulling fat-x86_64.o into husk; the choice is made here on
 * the first block hashed, with the same test nettle makes (CPUID.7.EBX.SHA).
 * Both implementations are nettle's own.  nettle 3.8's internal signature
 * (Debian 12); tests/bats/image_unpack.bats checks that the constructor
 * stays out of the binary. */
#if defined(__x86_64__)
#include <cpuid.h>
#include <stdint.h>

typedef void sha256_compress_fn(uint32_t *state, const uint8_t *input, const uint32_t *k);
sha256_compress_fn _nettle_sha256_compress, _nettle_sha256_compress_x86_64,
    _nettle_sha256_compress_sha_ni;

static sha256_compress_fn *pick(void)
{
	unsigned a, b, c, d;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA))
		return _nettle_sha256_compress_sha_ni;
	return _nettle_sha256_compress_x86_64;
}

void _nettle_sha256_compress(uint32_t *state, const uint8_t *input, const uint32_t *k)
{
	static sha256_compress_fn *impl;
	sha256_compress_fn *f = __atomic_load_n(&impl, __ATOMIC_RELAXED);
	if (!f) {
		f = pick();
		__atomic_store_n(&impl, f, __ATOMIC_RELAXED);
	}
	f(state, input, k);
}
#endif
