// libwebp, loaded at run time: FaceKit builds without libwebp's headers or link flags, and
// decodes WebP wherever the runtime library is installed. The functions used are plain
// exported functions of libwebp's stable ABI (not its versioned inline wrappers).
#include "facekit_codecs.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fk_webp_library {
    int (*get_info)(const uint8_t *, size_t, int *, int *);
    uint8_t *(*decode_rgb_into)(const uint8_t *, size_t, uint8_t *, size_t, int);
    size_t (*encode_lossless_rgb)(const uint8_t *, int, int, int, uint8_t **);
    void (*free)(void *);
};

fk_webp_library *fk_webp_open(const char *const *names, char message[FK_MESSAGE_CAPACITY]) {
    void *handle = NULL;
    message[0] = 0;
    for (const char *const *name = names; *name != NULL && handle == NULL; name++) {
        handle = dlopen(*name, RTLD_NOW | RTLD_LOCAL);
        if (handle == NULL && message[0] == 0) {
            const char *why = dlerror();
            snprintf(message, FK_MESSAGE_CAPACITY, "%s", why ? why : *name);
        }
    }
    if (handle == NULL) return NULL;
    fk_webp_library *lib = (fk_webp_library *)calloc(1, sizeof *lib);
    if (lib == NULL) {
        snprintf(message, FK_MESSAGE_CAPACITY, "out of memory");
        return NULL;
    }
    *(void **)&lib->get_info = dlsym(handle, "WebPGetInfo");
    *(void **)&lib->decode_rgb_into = dlsym(handle, "WebPDecodeRGBInto");
    *(void **)&lib->encode_lossless_rgb = dlsym(handle, "WebPEncodeLosslessRGB");
    *(void **)&lib->free = dlsym(handle, "WebPFree");
    if (lib->get_info == NULL || lib->decode_rgb_into == NULL) {
        snprintf(message, FK_MESSAGE_CAPACITY, "the library loaded has no WebPGetInfo or WebPDecodeRGBInto");
        free(lib);
        dlclose(handle);
        return NULL;
    }
    return lib;
}

int fk_webp_get_info(const fk_webp_library *lib, const uint8_t *data, size_t size, int *width, int *height) {
    return lib->get_info(data, size, width, height);
}

int fk_webp_decode_rgb_into(const fk_webp_library *lib, const uint8_t *data, size_t size, uint8_t *out,
                            size_t out_size, int stride) {
    return lib->decode_rgb_into(data, size, out, out_size, stride) != NULL;
}

uint8_t *fk_webp_encode_lossless_rgb(const fk_webp_library *lib, const uint8_t *rgb, int width, int height,
                                     int stride, size_t *size) {
    if (lib->encode_lossless_rgb == NULL || lib->free == NULL) return NULL;
    uint8_t *webp = NULL;
    size_t n = lib->encode_lossless_rgb(rgb, width, height, stride, &webp);
    if (n == 0 || webp == NULL) return NULL;
    // Copied into a malloc'ed buffer, so that fk_free releases every buffer this target returns.
    uint8_t *copy = (uint8_t *)malloc(n);
    if (copy != NULL) memcpy(copy, webp, n);
    lib->free(webp);
    *size = n;
    return copy;
}
