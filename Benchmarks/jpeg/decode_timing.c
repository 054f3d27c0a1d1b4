/* Times libjpeg decodes of whole files, alternated: for each file argument "path:denominator"
 * (denominator 1, 2, 4 or 8: libjpeg's DCT scaling), the median wall time of a decode to RGB
 * from bytes in memory, in CPU time of the decoding thread. Rounds alternate between the files, so that on a busy machine their
 * ratio stays fair. #11 item 5: is a 1/8 decode of a 20-MP photo (the entropy decode of the
 * whole file, which no scaling skips) already more than 1.5 whole decodes of a portrait?
 *
 *   cc -O2 -o /tmp/decode_timing Benchmarks/jpeg/decode_timing.c -ljpeg
 *   /tmp/decode_timing 30 ../shared/images/group/iss_morgan_hague_flickr48708316717.jpg:8 \
 *       ../shared/images/barack_obama/official_portrait_2012.jpg:1
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jpeglib.h>

/* Thread CPU time: a decode is single-threaded, and CPU time does not count the time this
 * process waits for the shared cores (or sits stopped by another process's measurement). */
static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double decode(const unsigned char *data, unsigned long size, int denominator, unsigned char *row, int *w, int *h) {
    struct jpeg_decompress_struct info;
    struct jpeg_error_mgr errors;
    info.err = jpeg_std_error(&errors);   /* sample files only: a damaged file exits */
    double t0 = now_ms();
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, size);
    jpeg_read_header(&info, TRUE);
    info.out_color_space = JCS_RGB;
    info.scale_num = 1;
    info.scale_denom = denominator;
    jpeg_start_decompress(&info);
    while (info.output_scanline < info.output_height) {
        JSAMPROW rows[1] = { row };
        jpeg_read_scanlines(&info, rows, 1);
    }
    *w = info.output_width; *h = info.output_height;
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    return now_ms() - t0;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s rounds path:denominator...\n", argv[0]); return 2; }
    int rounds = atoi(argv[1]), files = argc - 2;
    unsigned char **data = calloc(files, sizeof *data);
    unsigned long *sizes = calloc(files, sizeof *sizes);
    int *denominators = calloc(files, sizeof *denominators);
    double *times = calloc((size_t)files * rounds, sizeof *times);
    unsigned char *row = malloc(3 * 65536);
    for (int f = 0; f < files; f++) {
        char *arg = argv[f + 2], *colon = strrchr(arg, ':');
        denominators[f] = colon ? atoi(colon + 1) : 1;
        if (colon) *colon = 0;
        FILE *file = fopen(arg, "rb");
        if (!file) { fprintf(stderr, "cannot open %s\n", arg); return 1; }
        fseek(file, 0, SEEK_END); sizes[f] = ftell(file); fseek(file, 0, SEEK_SET);
        data[f] = malloc(sizes[f]);
        if (fread(data[f], 1, sizes[f], file) != sizes[f]) { fprintf(stderr, "cannot read %s\n", arg); return 1; }
        fclose(file);
    }
    int w = 0, h = 0;
    for (int f = 0; f < files; f++) decode(data[f], sizes[f], denominators[f], row, &w, &h);   /* warm-up */
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < files; k++) {
            int f = (r % 2 == 0) ? k : files - 1 - k;   /* alternate the order */
            times[f * rounds + r] = decode(data[f], sizes[f], denominators[f], row, &w, &h);
        }
    for (int f = 0; f < files; f++) {
        qsort(times + f * rounds, rounds, sizeof *times, compare);
        decode(data[f], sizes[f], denominators[f], row, &w, &h);
        printf("%s at 1/%d (%dx%d, %lu bytes): median %.2f ms CPU, min %.2f ms over %d rounds\n", argv[f + 2], denominators[f], w, h,
               sizes[f], times[f * rounds + rounds / 2], times[f * rounds], rounds);
    }
    return 0;
}
