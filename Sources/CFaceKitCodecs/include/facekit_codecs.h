// FaceKit's C glue to the system image libraries.
//
// JPEG: libjpeg's API (jpeglib.h, from libjpeg-dev / libjpeg-turbo). libjpeg reports errors by
// longjmp; every setjmp/longjmp stays inside jpeg.c, so no error path crosses a Swift frame and
// none ends in exit() or abort(). Warnings (corrupt data, premature end) are errors too.
//
// WebP: libwebp is not linked; webp.c loads its runtime library with dlopen on first use.
#ifndef FACEKIT_CODECS_H
#define FACEKIT_CODECS_H

#include <stddef.h>
#include <stdint.h>

#define FK_MESSAGE_CAPACITY 240

/// The colour family of a JPEG's stored components.
enum {
    FK_JPEG_COLOR_OTHER = 0,
    FK_JPEG_COLOR_GRAY = 1,
    FK_JPEG_COLOR_RGB = 2,    // YCbCr or RGB
    FK_JPEG_COLOR_CMYK = 3,   // CMYK or YCCK
};

/// What a JPEG header says, and the outcome of a call.
typedef struct {
    int width, height;               // the stored image
    int color;                       // FK_JPEG_COLOR_*
    int multiScan;                   // progressive or multi-scan: every coefficient is buffered
    int arithmetic;                  // arithmetic-coded entropy data
    long long blocks;                // 8x8 blocks over all components (entropy data must code each)
    int outWidth, outHeight;         // the decoded size at the requested scale
    int cropX, cropWidth;            // the columns actually decoded (crop widened to iMCU bounds)
    char message[FK_MESSAGE_CAPACITY]; // libjpeg's message when a call fails
} fk_jpeg_info;

/// Reads the header; fills `info` (out size for scale 1/`scale_denom`, denom 1, 2, 4 or 8).
/// Returns 0, or -1 with `info->message` set.
int fk_jpeg_read_header(const uint8_t *data, size_t size, int scale_denom, fk_jpeg_info *info);

/// Decodes at scale 1/`scale_denom` into `out` (rows of `stride` bytes, RGB), the output rows
/// `row0 ..< row0 + rows` and the output columns from `col0`, `cols` wide (cols 0: whole rows).
/// The crop is widened to the decoder's block columns: `info->cropX`/`cropWidth` give the
/// columns written, starting at `out`. `out` must hold `rows` rows of at least
/// `stride >= 3 * cropWidth`; call with `out` NULL first to learn `cropX`/`cropWidth`.
/// `max_memory` caps libjpeg's own working memory (0: no cap). A whole-image decode reads to
/// the end of the data; a crop stops after its last row.
/// Returns 0, or -1 with `info->message` set.
int fk_jpeg_decode(const uint8_t *data, size_t size, int scale_denom,
                   int col0, int cols, int row0, int rows,
                   uint8_t *out, size_t stride, size_t max_memory, fk_jpeg_info *info);

/// Pixel formats for fk_jpeg_encode.
enum { FK_JPEG_ENCODE_RGB = 0, FK_JPEG_ENCODE_GRAY = 1, FK_JPEG_ENCODE_CMYK = 2 };

/// Encodes a JPEG (tests make their inputs with it): quality 1-100, `subsample` 1 for 4:2:0
/// (else 4:4:4), `progressive` 1 for a progressive file. Returns a malloc'ed buffer (free it
/// with fk_free) and its size in `*size`, or NULL with `message` set.
uint8_t *fk_jpeg_encode(const uint8_t *pixels, int width, int height, int format, int quality,
                        int subsample, int progressive, size_t *size, char message[FK_MESSAGE_CAPACITY]);

/// Frees a buffer returned by fk_jpeg_encode or fk_webp_encode_lossless_rgb.
void fk_free(void *pointer);

/// libwebp's functions, from a library loaded with dlopen.
typedef struct fk_webp_library fk_webp_library;

/// Loads libwebp: the first of `names` (a NULL-terminated list) that dlopen finds. Returns the
/// library (never unloaded), or NULL with `message` saying why.
fk_webp_library *fk_webp_open(const char *const *names, char message[FK_MESSAGE_CAPACITY]);

/// libwebp's WebPGetInfo: 1 when the header is valid.
int fk_webp_get_info(const fk_webp_library *lib, const uint8_t *data, size_t size, int *width, int *height);

/// libwebp's WebPDecodeRGBInto: 1 on success.
int fk_webp_decode_rgb_into(const fk_webp_library *lib, const uint8_t *data, size_t size, uint8_t *out,
                            size_t out_size, int stride);

/// libwebp's WebPEncodeLosslessRGB (tests make their WebP inputs with it); NULL when it fails.
/// Free the result with fk_free.
uint8_t *fk_webp_encode_lossless_rgb(const fk_webp_library *lib, const uint8_t *rgb, int width, int height,
                                     int stride, size_t *size);

#endif
