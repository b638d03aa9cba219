# oci/image/: the libFuzzer target of the layer reader (`make fuzz-image`):
# oci/image with the oci/ parsers, in-root resolution and common/, all
# instrumented.  Run e.g.
#   build-fuzz/fuzz_image_layer -max_total_time=60 tests/fuzz/corpus/image
IMAGE_FUZZ      := $(FUZZ_BUILD)/fuzz_image_layer
IMAGE_FUZZ_SRCS := tests/fuzz/fuzz_image_layer.c $(wildcard oci/image/*.c) $(wildcard oci/*.c) \
	rootfs/resolve.c rootfs/sys.c common/err.c common/util.c common/log.c

$(IMAGE_FUZZ): $(IMAGE_FUZZ_SRCS) $(wildcard oci/image/*.h oci/*.h rootfs/*.h common/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -I. \
		-D_GNU_SOURCE $(shell pkg-config --cflags yajl) -o $@ $(IMAGE_FUZZ_SRCS) \
		$(shell pkg-config --libs yajl) $(ARCHIVE_LIBS) $(CRYPTO_LIBS)

.PHONY: fuzz-image
fuzz-image: $(IMAGE_FUZZ)
fuzz: fuzz-image

# husk image unpack vs umoci on a 5-layer image (bench/image_unpack.sh).
.PHONY: bench-image
bench-image: husk
	bench/image_unpack.sh $(HUSK)
