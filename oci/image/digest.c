/* Digests of blobs: sha256 and sha512 (the image-spec's registered
 * algorithms), with nettle. */
#include <stdio.h>
#include <string.h>

#include "oci/image/internal.h"

static size_t alg_size(enum img_alg a)
{
	return a == IMG_SHA256 ? SHA256_DIGEST_SIZE : SHA512_DIGEST_SIZE;
}

static const char *alg_name(enum img_alg a)
{
	return a == IMG_SHA256 ? "sha256" : "sha512";
}

bool img_digest_parse(const char *s, struct img_digest *d)
{
	const char *hex;
	if (!strncmp(s, "sha256:", 7)) {
		d->alg = IMG_SHA256;
		hex = s + 7;
	} else if (!strncmp(s, "sha512:", 7)) {
		d->alg = IMG_SHA512;
		hex = s + 7;
	} else {
		return false;
	}
	size_t want = alg_size(d->alg) * 2;
	if (strlen(hex) != want)
		return false;
	/* The spec's encoded part is lowercase hex for both algorithms. */
	for (size_t i = 0; i < want; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return false;
	memcpy(d->hex, hex, want + 1);
	return true;
}

const char *img_digest_text(const struct img_digest *d, char *buf)
{
	snprintf(buf, IMG_DIGEST_TEXT, "%s:%s", alg_name(d->alg), d->hex);
	return buf;
}

void img_hash_init(struct img_hash *h, enum img_alg alg)
{
	h->alg = alg;
	if (alg == IMG_SHA256)
		sha256_init(&h->u.s256);
	else
		sha512_init(&h->u.s512);
}

void img_hash_update(struct img_hash *h, const void *p, size_t n)
{
	if (h->alg == IMG_SHA256)
		sha256_update(&h->u.s256, n, p);
	else
		sha512_update(&h->u.s512, n, p);
}

void img_hash_final(struct img_hash *h, struct img_digest *out)
{
	uint8_t raw[SHA512_DIGEST_SIZE];
	size_t n = alg_size(h->alg);
	if (h->alg == IMG_SHA256)
		sha256_digest(&h->u.s256, n, raw);
	else
		sha512_digest(&h->u.s512, n, raw);
	static const char x[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out->hex[2 * i] = x[raw[i] >> 4];
		out->hex[2 * i + 1] = x[raw[i] & 15];
	}
	out->hex[2 * n] = '\0';
	out->alg = h->alg;
}
