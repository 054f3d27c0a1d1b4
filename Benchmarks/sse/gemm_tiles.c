/* AVX2 + FMA GEMM tile shapes with A and the weight panels in L1, the experiment behind the AVX2
 * variant's f32-gemm 3x32 (#10): 6x16 (6 broadcasts + 2 weight vectors per 12 FMAs), 6x16 with
 * A packed k-major, 4x24 (4 + 3 per 12) and 3x32 (3 + 4 per 12). M 48, N 96, K 64 / 128 / 256,
 * panel outer as FaceKit runs them; each the best of 5 runs by thread CPU time.
 *
 *   cc -O2 -mavx2 -mfma -o /tmp/gemm_tiles Benchmarks/sse/gemm_tiles.c && /tmp/gemm_tiles
 *
 * Needs a CPU with AVX2 and FMA. On this project's Zen 3 machine, two runs beside a build
 * (2026-12-02): 3x32 83-90 GFLOP/s at every K, 6x16 72-90, 4x24 77-91 (it spilled in Swift).
 * In the networks' layer shapes `bench kernels` then measured 3x32 at 80-88 % of the FMA peak
 * where 6x16 had 64-81 %. */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

#define K 64
static float A[48 * 512] __attribute__((aligned(64)));
static float B[2 * 1024 * 33] __attribute__((aligned(64)));
static float C[48 * 256] __attribute__((aligned(64)));

/* 6x16: row r's value at step i is a[r * rs + i * ks] (row-major A: rs = k, ks = 1; A packed
 * k-major: rs = 1, ks = 6, the 6 broadcasts of a step from one line). */
static inline __attribute__((always_inline)) void t6x16_strided(const float *a, long rs, long ks, const float *w, float *c, int k, int ldc) {
    __m256 c00 = _mm256_load_ps(w), c01 = _mm256_load_ps(w + 8);
    __m256 c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01, c40 = c00, c41 = c01, c50 = c00, c51 = c01;
    w += 16;
    for (int i = 0; i < k; i++) {
        __m256 wl = _mm256_load_ps(w), wh = _mm256_load_ps(w + 8), x;
        x = _mm256_broadcast_ss(a); c00 = _mm256_fmadd_ps(x, wl, c00); c01 = _mm256_fmadd_ps(x, wh, c01);
        x = _mm256_broadcast_ss(a + rs); c10 = _mm256_fmadd_ps(x, wl, c10); c11 = _mm256_fmadd_ps(x, wh, c11);
        x = _mm256_broadcast_ss(a + 2 * rs); c20 = _mm256_fmadd_ps(x, wl, c20); c21 = _mm256_fmadd_ps(x, wh, c21);
        x = _mm256_broadcast_ss(a + 3 * rs); c30 = _mm256_fmadd_ps(x, wl, c30); c31 = _mm256_fmadd_ps(x, wh, c31);
        x = _mm256_broadcast_ss(a + 4 * rs); c40 = _mm256_fmadd_ps(x, wl, c40); c41 = _mm256_fmadd_ps(x, wh, c41);
        x = _mm256_broadcast_ss(a + 5 * rs); c50 = _mm256_fmadd_ps(x, wl, c50); c51 = _mm256_fmadd_ps(x, wh, c51);
        w += 16; a += ks;
    }
    _mm256_storeu_ps(c, c00); _mm256_storeu_ps(c + 8, c01); _mm256_storeu_ps(c + ldc, c10); _mm256_storeu_ps(c + ldc + 8, c11);
    _mm256_storeu_ps(c + 2 * ldc, c20); _mm256_storeu_ps(c + 2 * ldc + 8, c21); _mm256_storeu_ps(c + 3 * ldc, c30); _mm256_storeu_ps(c + 3 * ldc + 8, c31);
    _mm256_storeu_ps(c + 4 * ldc, c40); _mm256_storeu_ps(c + 4 * ldc + 8, c41); _mm256_storeu_ps(c + 5 * ldc, c50); _mm256_storeu_ps(c + 5 * ldc + 8, c51);
}

__attribute__((noinline)) static void t6x16(const float *a, const float *w, float *c, int k, int ldc) { t6x16_strided(a, k, 1, w, c, k, ldc); }

__attribute__((noinline)) static void t4x24(const float *a, const float *w, float *c, int k, int ldc) {
    __m256 c00 = _mm256_load_ps(w), c01 = _mm256_load_ps(w + 8), c02 = _mm256_load_ps(w + 16);
    __m256 c10 = c00, c11 = c01, c12 = c02, c20 = c00, c21 = c01, c22 = c02, c30 = c00, c31 = c01, c32 = c02;
    w += 24;
    for (int i = 0; i < k; i++) {
        __m256 w0 = _mm256_load_ps(w), w1 = _mm256_load_ps(w + 8), w2 = _mm256_load_ps(w + 16), x;
        x = _mm256_broadcast_ss(a + i); c00 = _mm256_fmadd_ps(x, w0, c00); c01 = _mm256_fmadd_ps(x, w1, c01); c02 = _mm256_fmadd_ps(x, w2, c02);
        x = _mm256_broadcast_ss(a + k + i); c10 = _mm256_fmadd_ps(x, w0, c10); c11 = _mm256_fmadd_ps(x, w1, c11); c12 = _mm256_fmadd_ps(x, w2, c12);
        x = _mm256_broadcast_ss(a + 2 * k + i); c20 = _mm256_fmadd_ps(x, w0, c20); c21 = _mm256_fmadd_ps(x, w1, c21); c22 = _mm256_fmadd_ps(x, w2, c22);
        x = _mm256_broadcast_ss(a + 3 * k + i); c30 = _mm256_fmadd_ps(x, w0, c30); c31 = _mm256_fmadd_ps(x, w1, c31); c32 = _mm256_fmadd_ps(x, w2, c32);
        w += 24;
    }
    _mm256_storeu_ps(c, c00); _mm256_storeu_ps(c + 8, c01); _mm256_storeu_ps(c + 16, c02);
    _mm256_storeu_ps(c + ldc, c10); _mm256_storeu_ps(c + ldc + 8, c11); _mm256_storeu_ps(c + ldc + 16, c12);
    _mm256_storeu_ps(c + 2 * ldc, c20); _mm256_storeu_ps(c + 2 * ldc + 8, c21); _mm256_storeu_ps(c + 2 * ldc + 16, c22);
    _mm256_storeu_ps(c + 3 * ldc, c30); _mm256_storeu_ps(c + 3 * ldc + 8, c31); _mm256_storeu_ps(c + 3 * ldc + 16, c32);
}

__attribute__((noinline)) static void t3x32(const float *a, const float *w, float *c, int k, int ldc) {
    __m256 c00 = _mm256_load_ps(w), c01 = _mm256_load_ps(w + 8), c02 = _mm256_load_ps(w + 16), c03 = _mm256_load_ps(w + 24);
    __m256 c10 = c00, c11 = c01, c12 = c02, c13 = c03, c20 = c00, c21 = c01, c22 = c02, c23 = c03;
    w += 32;
    for (int i = 0; i < k; i++) {
        __m256 x0 = _mm256_broadcast_ss(a + i), x1 = _mm256_broadcast_ss(a + k + i), x2 = _mm256_broadcast_ss(a + 2 * k + i);
        __m256 w0 = _mm256_load_ps(w);
        c00 = _mm256_fmadd_ps(x0, w0, c00); c10 = _mm256_fmadd_ps(x1, w0, c10); c20 = _mm256_fmadd_ps(x2, w0, c20);
        w0 = _mm256_load_ps(w + 8);
        c01 = _mm256_fmadd_ps(x0, w0, c01); c11 = _mm256_fmadd_ps(x1, w0, c11); c21 = _mm256_fmadd_ps(x2, w0, c21);
        w0 = _mm256_load_ps(w + 16);
        c02 = _mm256_fmadd_ps(x0, w0, c02); c12 = _mm256_fmadd_ps(x1, w0, c12); c22 = _mm256_fmadd_ps(x2, w0, c22);
        w0 = _mm256_load_ps(w + 24);
        c03 = _mm256_fmadd_ps(x0, w0, c03); c13 = _mm256_fmadd_ps(x1, w0, c13); c23 = _mm256_fmadd_ps(x2, w0, c23);
        w += 32;
    }
    _mm256_storeu_ps(c, c00); _mm256_storeu_ps(c + 8, c01); _mm256_storeu_ps(c + 16, c02); _mm256_storeu_ps(c + 24, c03);
    _mm256_storeu_ps(c + ldc, c10); _mm256_storeu_ps(c + ldc + 8, c11); _mm256_storeu_ps(c + ldc + 16, c12); _mm256_storeu_ps(c + ldc + 24, c13);
    _mm256_storeu_ps(c + 2 * ldc, c20); _mm256_storeu_ps(c + 2 * ldc + 8, c21); _mm256_storeu_ps(c + 2 * ldc + 16, c22); _mm256_storeu_ps(c + 2 * ldc + 24, c23);
}

/* 6x16 with A pre-packed k-major (a[k*6 + r]): the 6 broadcasts come from one line. */
__attribute__((noinline)) static void t6x16p(const float *a, const float *w, float *c, int k, int ldc) { t6x16_strided(a, 1, 6, w, c, k, ldc); }

typedef void (*tile_fn)(const float *, const float *, float *, int, int);

/* M = 48 rows, N = 96 (lcm-friendly: 6 panels of 16, 4 of 24, 3 of 32), K as given; panel outer. */
static double run(tile_fn f, int mr, int nr, int k, long reps) {
    int m = 48, n = 96;
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
        long reps = 200000 * 64 / k / 10;
        printf("K %3d: 6x16 %5.1f  6x16 packed-A %5.1f  4x24 %5.1f  3x32 %5.1f GFLOP/s\n", k,
               run(t6x16, 6, 16, k, reps), run(t6x16p, 6, 16, k, reps), run(t4x24, 4, 24, k, reps), run(t3x32, 3, 32, k, reps));
    }
    return 0;
}
