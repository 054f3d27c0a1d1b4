/* What float32 throughput SSE2 can reach on this CPU, against AVX2 + FMA: #10's baseline target
 * (FACEKIT_KERNELS=baseline at >= 0.5x TFLite, which runs AVX2 + FMA here) needs the SSE2
 * variant at half of TFLite's GFLOP/s over the whole embedder. Four loops, each timed as the
 * best of 5 runs of thread CPU time (so a busy machine's waits are not counted):
 *
 *   1. 6 independent mulps chains + 6 independent addps chains (no copies, no loads): the most
 *      the two multiply and two add pipes deliver;
 *   2. 6 GEMM products in SSE2's two-operand form: movaps (copy the broadcast A value, since
 *      mulps overwrites its destination), mulps, addps into an accumulator;
 *   3. the 6x8 SSE2 GEMM tile FaceKit's baseline variant runs (12 accumulators, A pre-broadcast,
 *      K = 128, 8 panels of 8 columns, all in L1);
 *   4. the same tile as 6x16 with AVX2 FMA (vfmadd231ps: three operands, no copy), for scale.
 *
 *   cc -O2 -o /tmp/sse_ceiling Benchmarks/sse/sse_ceiling.c && /tmp/sse_ceiling
 *
 * The functions of 4 carry their own target attribute, so the file builds with a plain cc; the
 * program runs 4 only when the CPU has AVX2 and FMA.
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* The least thread CPU time of `rounds` runs of body(arg): every loop below is timed this way. */
static double best_of(int rounds, void (*body)(void *), void *arg) {
    double best = 1e9;
    for (int r = 0; r < rounds; r++) {
        double t = cpu_seconds();
        body(arg);
        t = cpu_seconds() - t;
        if (t < best) best = t;
    }
    return best;
}

/* n iterations of 4 dependent integer adds (one a cycle): the core clock. */
static void integer_adds(void *arg) {
    long n = *(long *)arg, x = 0;
    for (long i = 0; i < n; i++) __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0" : "+r"(x));
}

/* n iterations of 1: 6 mulps chains and 6 addps chains. */
static void independent(void *arg) {
    long n = *(long *)arg;
    for (long i = 0; i < n; i++)
        __asm__ volatile(
            "mulps %%xmm14,%%xmm0\n mulps %%xmm14,%%xmm1\n mulps %%xmm14,%%xmm2\n"
            "mulps %%xmm14,%%xmm3\n mulps %%xmm14,%%xmm4\n mulps %%xmm14,%%xmm5\n"
            "addps %%xmm15,%%xmm6\n addps %%xmm15,%%xmm7\n addps %%xmm15,%%xmm8\n"
            "addps %%xmm15,%%xmm9\n addps %%xmm15,%%xmm10\n addps %%xmm15,%%xmm11\n"
            ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11");
}

/* n iterations of 2: 6 products in two-operand form. */
static void products(void *arg) {
    long n = *(long *)arg;
    for (long i = 0; i < n; i++)
        __asm__ volatile(
            "movaps %%xmm12,%%xmm13\n mulps %%xmm14,%%xmm13\n addps %%xmm13,%%xmm0\n"
            "movaps %%xmm12,%%xmm13\n mulps %%xmm14,%%xmm13\n addps %%xmm13,%%xmm1\n"
            "movaps %%xmm12,%%xmm13\n mulps %%xmm14,%%xmm13\n addps %%xmm13,%%xmm2\n"
            "movaps %%xmm12,%%xmm13\n mulps %%xmm14,%%xmm13\n addps %%xmm13,%%xmm3\n"
            "movaps %%xmm12,%%xmm13\n mulps %%xmm14,%%xmm13\n addps %%xmm13,%%xmm4\n"
            "movaps %%xmm12,%%xmm13\n mulps %%xmm14,%%xmm13\n addps %%xmm13,%%xmm5\n"
            ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm13");
}

/* ab: [K][6] broadcast A values; w: [K][8] weights; c: 6 x 8 results. */
static void __attribute__((noinline)) tile_sse(const __m128 *ab, const float *w, int k, float *c) {
    __m128 c00 = _mm_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m128 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (int i = 0; i < k; i++) {
        __m128 w0 = _mm_load_ps(w), w1 = _mm_load_ps(w + 4);
        w += 8;
        c00 = _mm_add_ps(c00, _mm_mul_ps(ab[0], w0)); c01 = _mm_add_ps(c01, _mm_mul_ps(ab[0], w1));
        c10 = _mm_add_ps(c10, _mm_mul_ps(ab[1], w0)); c11 = _mm_add_ps(c11, _mm_mul_ps(ab[1], w1));
        c20 = _mm_add_ps(c20, _mm_mul_ps(ab[2], w0)); c21 = _mm_add_ps(c21, _mm_mul_ps(ab[2], w1));
        c30 = _mm_add_ps(c30, _mm_mul_ps(ab[3], w0)); c31 = _mm_add_ps(c31, _mm_mul_ps(ab[3], w1));
        c40 = _mm_add_ps(c40, _mm_mul_ps(ab[4], w0)); c41 = _mm_add_ps(c41, _mm_mul_ps(ab[4], w1));
        c50 = _mm_add_ps(c50, _mm_mul_ps(ab[5], w0)); c51 = _mm_add_ps(c51, _mm_mul_ps(ab[5], w1));
        ab += 6;
    }
    __m128 r[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
    for (int i = 0; i < 12; i++) _mm_store_ps(c + 4 * i, r[i]);
}

/* a: [6][K] rows of A; w: [K][16] weights; c: 6 x 16 results. */
__attribute__((target("avx2,fma"), noinline))
static void tile_fma(const float *a, const float *w, int k, float *c) {
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    const float *a0 = a, *a1 = a + k, *a2 = a + 2 * k, *a3 = a + 3 * k, *a4 = a + 4 * k, *a5 = a + 5 * k;
    for (int i = 0; i < k; i++) {
        __m256 w0 = _mm256_load_ps(w), w1 = _mm256_load_ps(w + 8), x;
        w += 16;
        x = _mm256_broadcast_ss(a0 + i); c00 = _mm256_fmadd_ps(x, w0, c00); c01 = _mm256_fmadd_ps(x, w1, c01);
        x = _mm256_broadcast_ss(a1 + i); c10 = _mm256_fmadd_ps(x, w0, c10); c11 = _mm256_fmadd_ps(x, w1, c11);
        x = _mm256_broadcast_ss(a2 + i); c20 = _mm256_fmadd_ps(x, w0, c20); c21 = _mm256_fmadd_ps(x, w1, c21);
        x = _mm256_broadcast_ss(a3 + i); c30 = _mm256_fmadd_ps(x, w0, c30); c31 = _mm256_fmadd_ps(x, w1, c31);
        x = _mm256_broadcast_ss(a4 + i); c40 = _mm256_fmadd_ps(x, w0, c40); c41 = _mm256_fmadd_ps(x, w1, c41);
        x = _mm256_broadcast_ss(a5 + i); c50 = _mm256_fmadd_ps(x, w0, c50); c51 = _mm256_fmadd_ps(x, w1, c51);
    }
    __m256 r[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
    for (int i = 0; i < 12; i++) _mm256_store_ps(c + 8 * i, r[i]);
}

/* The GEMM operands of loops 3 and 4. */
struct gemm { int k, panels; long reps; const float *w, *a; const __m128 *ab; float *c; };

static void sse_tiles(void *arg) {
    const struct gemm *g = arg;
    for (long i = 0; i < g->reps; i++)
        for (int p = 0; p < g->panels; p++) tile_sse(g->ab, g->w + p * g->k * 8, g->k, g->c + p * 48);
}

static void fma_tiles(void *arg) {
    const struct gemm *g = arg;
    for (long i = 0; i < g->reps; i++)
        for (int p = 0; p < g->panels / 2; p++) tile_fma(g->a, g->w + p * g->k * 16, g->k, g->c + p * 96);
}

int main(void) {
    long clock_n = 400000000, n = 50000000;
    double f = 4.0 * clock_n / best_of(3, integer_adds, &clock_n) / 1e9;
    printf("core clock: %.2f GHz (dependent integer adds)\n", f);
    double t = best_of(5, independent, &n);
    printf("1. SSE2 6 mulps + 6 addps, independent: %6.1f GFLOP/s, %.2f FP instructions per cycle\n",
           n * 12 * 4.0 / t / 1e9, n * 12.0 / t / 1e9 / f);
    t = best_of(5, products, &n);
    printf("2. SSE2 movaps + mulps + addps products: %6.1f GFLOP/s, %.2f instructions per cycle\n",
           n * 6 * 8.0 / t / 1e9, n * 18.0 / t / 1e9 / f);

    int k = 128, panels = 8;
    float *w = aligned_alloc(64, (size_t)panels * k * 16 * sizeof(float));
    float *a = aligned_alloc(64, (size_t)6 * k * sizeof(float));
    __m128 *ab = aligned_alloc(64, (size_t)6 * k * sizeof(__m128));
    float *c = aligned_alloc(64, (size_t)panels * 96 * sizeof(float));
    for (int i = 0; i < panels * k * 16; i++) w[i] = 0.5f;
    for (int i = 0; i < 6 * k; i++) { a[i] = 0.001f * i; ab[i] = _mm_set1_ps(0.001f * i); }
    struct gemm g = {k, panels, 100000, w, a, ab, c};
    t = best_of(5, sse_tiles, &g);
    printf("3. SSE2 6x8 GEMM tile, K %d, in L1:    %6.1f GFLOP/s\n", k, g.reps * (double)panels * k * 96 / t / 1e9);
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        t = best_of(5, fma_tiles, &g);
        printf("4. AVX2+FMA 6x16 GEMM tile, K %d, in L1: %6.1f GFLOP/s\n", k, g.reps * (double)(panels / 2) * k * 192 / t / 1e9);
    }
    printf("(check: %g)\n", c[0] + c[47]);
    return 0;
}
