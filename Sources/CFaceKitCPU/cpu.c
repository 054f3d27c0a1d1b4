// Reads the x86-64 CPU's features once with cpuid and xgetbv (the OS must have enabled the
// register state too); on Apple platforms AVX-512 state is enabled lazily by the kernel, so
// sysctl answers there instead of XCR0.
#include "facekit_cpu.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#include <stdint.h>
#if defined(__APPLE__)
#include <sys/sysctl.h>
static int apple_has(const char *name) {
    int value = 0;
    size_t size = sizeof(value);
    return sysctlbyname(name, &value, &size, NULL, 0) == 0 && value != 0;
}
#endif

static uint64_t read_xcr0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

int facekit_cpu_features(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    const int osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1, fma = (ecx >> 12) & 1;
    if (!osxsave || !avx) return 0;
    const uint64_t xcr0 = read_xcr0();
    if ((xcr0 & 0x6) != 0x6) return 0;                 // XMM and YMM state
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    int features = 0;
    const int avx2 = (ebx >> 5) & 1;
    if (avx2 && fma) features |= FACEKIT_CPU_AVX2_FMA;
    const int avx512 = ((ebx >> 16) & 1) && ((ebx >> 17) & 1) && ((ebx >> 30) & 1) && ((ebx >> 31) & 1); // F, DQ, BW, VL
#if defined(__APPLE__)
    const int zmm = apple_has("hw.optional.avx512f");
#else
    const int zmm = (xcr0 & 0xe0) == 0xe0;             // opmask, ZMM0-15 upper halves, ZMM16-31
#endif
    if ((features & FACEKIT_CPU_AVX2_FMA) && avx512 && zmm) features |= FACEKIT_CPU_AVX512;
    return features;
}
#else
int facekit_cpu_features(void) { return 0; }
#endif
