/* AVX-512 GEMM tile shapes (16 lanes, 32 zmm registers), the experiment behind the AVX-512
 * variant's tile choice (#10): MxN tiles of M broadcasts and N/16 weight vectors per k step.
 * M 168, N 192, K 64 / 128 / 256 (A 43-172 KB: in L1/L2, as in the embedder's fused blocks),
 * panel outer as FaceKit runs them; each the best of 5 runs by thread CPU time.
 *
 *   clang -O2 -mavx512f -mfma -o /tmp/gemm_tiles_avx512 Benchmarks/sse/gemm_tiles_avx512.c && /tmp/gemm_tiles_avx512
 *
 * Needs a CPU with AVX-512F. Use clang (the Swift toolchain's): GCC 12 at -O2 does not unroll
 * the tile loops and keeps the accumulators in memory (60-115 GFLOP/s for every shape). On this
 * project's Zen 5 machine, 2026-12-08 (peak 258-270 GFLOP/s a core): 6x32 266-270, 8x32 258-268,
 * 4x64 259-266, 6x64 256-263, 7x48 258-261, 7x16 209-217; 12x32 and 14x32 spill (110-117). */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double cpu(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

static float A[168 * 256] __attribute__((aligned(64)));
static float B[192 * 257] __attribute__((aligned(64)));
static float C[168 * 192] __attribute__((aligned(64)));

/* One generic tile: MR rows x NV vectors of 16 lanes, accumulators in registers (the compiler
 * keeps acc[][] in zmm registers when MR * NV + NV + 1 <= 32). */
#define TILE(NAME, MR, NV)                                                                          \
    __attribute__((noinline)) static void NAME(const float *a, const float *w, float *c, int k, int ldc) { \
        __m512 acc[MR][NV];                                                                         \
        for (int v = 0; v < NV; v++) { __m512 b = _mm512_load_ps(w + 16 * v); for (int r = 0; r < MR; r++) acc[r][v] = b; } \
        w += 16 * NV;                                                                               \
        for (int i = 0; i < k; i++) {                                                               \
            __m512 wv[NV];                                                                          \
            for (int v = 0; v < NV; v++) wv[v] = _mm512_load_ps(w + 16 * v);                        \
            for (int r = 0; r < MR; r++) {                                                          \
                __m512 x = _mm512_set1_ps(a[r * k + i]);                                            \
                for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(x, wv[v], acc[r][v]);      \
            }                                                                                       \
            w += 16 * NV;                                                                           \
        }                                                                                           \
        for (int r = 0; r < MR; r++) for (int v = 0; v < NV; v++) _mm512_storeu_ps(c + r * ldc + 16 * v, acc[r][v]); \
    }

TILE(t6x32, 6, 2)
TILE(t8x32, 8, 2)
TILE(t12x32, 12, 2)
TILE(t14x32, 14, 2)
TILE(t4x64, 4, 4)
TILE(t6x64, 6, 4)
TILE(t7x48, 7, 3)
TILE(t7x16, 7, 1)

typedef void (*tile_fn)(const float *, const float *, float *, int, int);

static double run(tile_fn f, int mr, int nr, int k, long reps) {
    int m = 168, n = 192;
    double best = 1e9;
    for (int round = 0; round < 5; round++) {
        double t = cpu();
        for (long r = 0; r < reps; r++)
            for (int p = 0; p < n / nr; p++)
                for (int i = 0; i < m; i += mr) f(A + i * k, B + p * nr * (k + 1), C + i * n + p * nr, k, n);
        t = cpu() - t;
        if (t < best) best = t;
    }
    return 2.0 * m * n * k * reps / best / 1e9;
}

int main(void) {
    for (int i = 0; i < (int)(sizeof A / 4); i++) A[i] = (float)(i % 7) * 0.01f;
    for (int i = 0; i < (int)(sizeof B / 4); i++) B[i] = (float)(i % 5) * 0.01f;
    int ks[] = {64, 128, 256};
    for (int j = 0; j < 3; j++) {
        int k = ks[j];
        long reps = 20000 * 64 / k / 10;
        printf("K %3d: 6x32 %5.1f  8x32 %5.1f  12x32 %5.1f  14x32 %5.1f  4x64 %5.1f  6x64 %5.1f  7x48 %5.1f  7x16 %5.1f GFLOP/s\n", k,
               run(t6x32, 6, 32, k, reps), run(t8x32, 8, 32, k, reps), run(t12x32, 12, 32, k, reps), run(t14x32, 14, 32, k, reps),
               run(t4x64, 4, 64, k, reps), run(t6x64, 6, 64, k, reps), run(t7x48, 7, 48, k, reps), run(t7x16, 7, 16, k, reps));
    }
    return 0;
}
