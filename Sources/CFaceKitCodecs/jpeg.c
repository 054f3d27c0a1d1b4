// JPEG through libjpeg's API, with every setjmp/longjmp kept in this file.
#include "facekit_codecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char *message;
} fk_error;

static void fk_error_exit(j_common_ptr cinfo) {
    fk_error *e = (fk_error *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    cinfo->err->format_message(cinfo, text);
    snprintf(e->message, FK_MESSAGE_CAPACITY, "%s", text);
    longjmp(e->jump, 1);
}

// Warnings (msg_level < 0: corrupt data, premature end) stop decoding as errors do, so a
// damaged file is reported rather than returned grey-filled; trace messages are ignored.
static void fk_emit_message(j_common_ptr cinfo, int msg_level) {
    if (msg_level < 0) fk_error_exit(cinfo);
}

static void fk_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void fk_install_errors(struct jpeg_decompress_struct *cinfo, fk_error *err, fk_jpeg_info *info) {
    cinfo->err = jpeg_std_error(&err->base);
    err->base.error_exit = fk_error_exit;
    err->base.emit_message = fk_emit_message;
    err->base.output_message = fk_output_message;
    err->message = info->message;
    info->message[0] = 0;
}

static void fk_describe(struct jpeg_decompress_struct *cinfo, fk_jpeg_info *info) {
    info->width = (int)cinfo->image_width;
    info->height = (int)cinfo->image_height;
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE: info->color = FK_JPEG_COLOR_GRAY; break;
    case JCS_YCbCr: case JCS_RGB: info->color = FK_JPEG_COLOR_RGB; break;
    case JCS_CMYK: case JCS_YCCK: info->color = FK_JPEG_COLOR_CMYK; break;
    default: info->color = FK_JPEG_COLOR_OTHER; break;
    }
    info->multiScan = jpeg_has_multiple_scans(cinfo) ? 1 : 0;
    info->arithmetic = cinfo->arith_code ? 1 : 0;
    long long blocks = 0;
    for (int c = 0; c < cinfo->num_components; c++) {
        jpeg_component_info *comp = &cinfo->comp_info[c];
        long long wide = ((long long)cinfo->image_width * comp->h_samp_factor + 8LL * cinfo->max_h_samp_factor - 1)
                         / (8LL * cinfo->max_h_samp_factor);
        long long high = ((long long)cinfo->image_height * comp->v_samp_factor + 8LL * cinfo->max_v_samp_factor - 1)
                         / (8LL * cinfo->max_v_samp_factor);
        blocks += wide * high;
    }
    info->blocks = blocks;
}

// The settings TurboJPEG's tjDecompress2 uses with flags 0: accurate integer DCT, fancy
// upsampling, RGB output; the sample photos decode to the same bytes.
static void fk_configure(struct jpeg_decompress_struct *cinfo, int scale_denom) {
    cinfo->out_color_space = JCS_EXT_RGB;
    cinfo->dct_method = JDCT_ISLOW;
    cinfo->do_fancy_upsampling = TRUE;
    cinfo->scale_num = 1;
    cinfo->scale_denom = (unsigned int)(scale_denom > 0 ? scale_denom : 1);
}

int fk_jpeg_read_header(const uint8_t *data, size_t size, int scale_denom, fk_jpeg_info *info) {
    struct jpeg_decompress_struct cinfo;
    fk_error err;
    memset(&cinfo, 0, sizeof cinfo);
    fk_install_errors(&cinfo, &err, info);
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    fk_describe(&cinfo, info);
    if (info->color != FK_JPEG_COLOR_CMYK) {
        fk_configure(&cinfo, scale_denom);
        jpeg_calc_output_dimensions(&cinfo);
        info->outWidth = (int)cinfo.output_width;
        info->outHeight = (int)cinfo.output_height;
    } else {
        info->outWidth = info->outHeight = 0;
    }
    info->cropX = 0;
    info->cropWidth = info->outWidth;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

int fk_jpeg_decode(const uint8_t *data, size_t size, int scale_denom,
                   int col0, int cols, int row0, int rows,
                   uint8_t *out, size_t stride, size_t max_memory, fk_jpeg_info *info) {
    struct jpeg_decompress_struct cinfo;
    fk_error err;
    memset(&cinfo, 0, sizeof cinfo);
    fk_install_errors(&cinfo, &err, info);
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    if (max_memory > 0) cinfo.mem->max_memory_to_use = (long)max_memory;
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    fk_describe(&cinfo, info);
    if (info->color == FK_JPEG_COLOR_CMYK) {
        snprintf(info->message, FK_MESSAGE_CAPACITY, "CMYK JPEG");
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    fk_configure(&cinfo, scale_denom);
    jpeg_start_decompress(&cinfo);
    info->outWidth = (int)cinfo.output_width;
    info->outHeight = (int)cinfo.output_height;
    int whole = cols <= 0 && row0 <= 0 && rows >= (int)cinfo.output_height;
    JDIMENSION x = 0, width = cinfo.output_width;
    if (cols > 0 && (col0 > 0 || cols < (int)cinfo.output_width)) {
        if (col0 < 0 || col0 + cols > (int)cinfo.output_width) {
            snprintf(info->message, FK_MESSAGE_CAPACITY, "crop columns %d..<%d outside 0..<%d", col0, col0 + cols,
                     (int)cinfo.output_width);
            jpeg_destroy_decompress(&cinfo);
            return -1;
        }
        x = (JDIMENSION)col0;
        width = (JDIMENSION)cols;
        jpeg_crop_scanline(&cinfo, &x, &width);
    }
    info->cropX = (int)x;
    info->cropWidth = (int)width;
    if (out == NULL) {
        jpeg_destroy_decompress(&cinfo);
        return 0;
    }
    if (row0 < 0 || rows < 0 || row0 + rows > (int)cinfo.output_height || stride < 3 * (size_t)width) {
        snprintf(info->message, FK_MESSAGE_CAPACITY, "crop rows %d..<%d outside 0..<%d", row0, row0 + rows,
                 (int)cinfo.output_height);
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    if (row0 > 0) jpeg_skip_scanlines(&cinfo, (JDIMENSION)row0);
    for (int r = 0; r < rows;) {
        JSAMPROW row = out + (size_t)r * stride;
        JDIMENSION got = jpeg_read_scanlines(&cinfo, &row, 1);
        if (got == 0) {
            snprintf(info->message, FK_MESSAGE_CAPACITY, "the decoder returned no scanline");
            jpeg_destroy_decompress(&cinfo);
            return -1;
        }
        r += (int)got;
    }
    // A whole image is read to its end, so damage after the last row is still reported.
    if (whole) jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

uint8_t *fk_jpeg_encode(const uint8_t *pixels, int width, int height, int format, int quality,
                        int subsample, int progressive, size_t *size, char message[FK_MESSAGE_CAPACITY]) {
    struct jpeg_compress_struct cinfo;
    fk_error err;
    unsigned char *buffer = NULL;
    unsigned long length = 0;
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = fk_error_exit;
    err.base.emit_message = fk_emit_message;
    err.base.output_message = fk_output_message;
    err.message = message;
    message[0] = 0;
    if (setjmp(err.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return NULL;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &buffer, &length);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    int components = format == FK_JPEG_ENCODE_GRAY ? 1 : format == FK_JPEG_ENCODE_CMYK ? 4 : 3;
    cinfo.input_components = components;
    cinfo.in_color_space = format == FK_JPEG_ENCODE_GRAY ? JCS_GRAYSCALE : format == FK_JPEG_ENCODE_CMYK ? JCS_CMYK : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    if (format == FK_JPEG_ENCODE_RGB) {
        int f = subsample ? 2 : 1;
        cinfo.comp_info[0].h_samp_factor = f;
        cinfo.comp_info[0].v_samp_factor = f;
        cinfo.comp_info[1].h_samp_factor = cinfo.comp_info[1].v_samp_factor = 1;
        cinfo.comp_info[2].h_samp_factor = cinfo.comp_info[2].v_samp_factor = 1;
    }
    if (progressive) jpeg_simple_progression(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * (size_t)width * (size_t)components);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *size = (size_t)length;
    return buffer;
}

void fk_free(void *pointer) { free(pointer); }
